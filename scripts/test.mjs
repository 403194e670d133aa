// Runs every test file under test/ with node's test runner (TypeScript through tsx).
// The end-to-end editor test and the soak have their own scripts: test:e2e and test:soak.
// A test that hangs fails after 3 minutes instead of holding CI.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const excluded = new Set(['test/e2e', 'test/reliability/soak']);
function collect(dir) {
  if (excluded.has(dir)) return [];
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return /\.test\.ts$/.test(name) ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length ? only : collect('test');
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
