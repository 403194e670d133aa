// Bundles the three runtime artefacts with esbuild: the VS Code extension, the language server and the kt CLI.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

const targets = [
  { entryPoints: ['client/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { entryPoints: ['server/main.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['gateway/cli/kt.ts'], outfile: 'dist/kt.js', banner: { js: '#!/usr/bin/env node' } },
];

const started = Date.now();
await Promise.all(targets.map((t) => build({ ...common, ...t, minify: !watch })));
chmodSync('dist/kt.js', 0o755);
console.log(`built dist/extension.js, dist/server.js, dist/kt.js in ${Date.now() - started} ms`);
