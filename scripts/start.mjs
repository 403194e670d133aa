// `npm start`: builds when needed, then runs the gateway on the bundled offline example config.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const bundle = 'dist/kt.js';
if (!existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(newestSource('gateway'), newestSource('schemas'))) {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const args = [bundle, 'gateway', 'start', '--config', 'examples/policy-config.yaml', ...process.argv.slice(2)];
console.log(`$ node ${args.join(' ')}`);
console.log('Try it:  curl -s http://127.0.0.1:41002/v1/chat/completions -H "Authorization: Bearer $(cat examples/.kt/dev-key)" \\');
console.log('           -H "Content-Type: application/json" -d \'{"model":"reliable-chat","messages":[{"role":"user","content":"Hello"}]}\'');
const child = spawn(process.execPath, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
