// Builds dist/ with esbuild and packs the .vsix with @vscode/vsce 3.x (4.x needs Node 22): bundled code
// only (--no-dependencies: no node_modules inside), then checks what went in and how big it is.
//
// vsce runs in a staging folder whose package.json has no devDependencies: they are not shipped, and
// vsce would otherwise refuse `@types/vscode` 1.100 (what the e2e editor runs) above `engines.vscode`
// ^1.90. The client type-checks against @types/vscode 1.90 too, so ^1.90 is an honest claim.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAX_BYTES = 2 * 1024 * 1024;
const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = resolve(process.argv[2] ?? join(root, `${pkg.name}-${pkg.version}.vsix`));
const BUNDLES = ['dist/extension.js', 'dist/server.js', 'dist/kt.js', 'dist/dashboard.js', 'dist/dashboard.css'];

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) fail(`${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

run(process.execPath, ['scripts/build.mjs'], root);
for (const f of BUNDLES) if (!existsSync(join(root, f))) fail(`${f} is missing after the build; the .vsix would not work.`);

const stage = mkdtempSync(join(tmpdir(), 'kt-vsix-'));
try {
  const { devDependencies: _dev, ...manifest } = pkg;
  writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));
  // The gateway's tokenizer tables (cost routing), loaded lazily by dist/kt.js.
  const files = [...BUNDLES, 'dist/tokenizer.js', 'dist/otlp.js', 'LICENSE', 'README.md', 'CHANGELOG.md', 'images/icon.png', '.vscodeignore'];
  if (existsSync(join(root, 'schemas'))) files.push(...readdirSync(join(root, 'schemas')).filter((f) => f.endsWith('.json')).map((f) => `schemas/${f}`));
  for (const f of files) if (existsSync(join(root, f))) cpSync(join(root, f), join(stage, f));

  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  run(process.execPath, [vsce, 'package', '--no-dependencies', '--out', out], stage);

  const listing = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: stage, encoding: 'utf8' });
  const packed = listing.stdout.split('\n').filter(Boolean);
  const forbidden = packed.filter((f) => /(^|\/)node_modules\/|\.map$|\.ts$/.test(f));
  if (forbidden.length) fail(`unexpected files in the .vsix: ${forbidden.join(', ')}`);
  const size = statSync(out).size;
  console.log(`package: ${out} (${(size / 1024).toFixed(0)} KiB; ${packed.join(', ')})`);
  if (size > MAX_BYTES) fail(`the .vsix is ${(size / 1048576).toFixed(2)} MiB, over the 2 MiB budget`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
