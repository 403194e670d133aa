// The gateway in the benchmarks: its policy config (one target per fake upstream, one single-model
// group per target) and its process.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild } from './measure.mjs';

/** `routes`: [{ group, target, url }], url being a fake upstream's origin. */
export function benchRoutingConfig(routes) {
  const targets = routes.flatMap(({ target, url }) => [`    - id: ${target}`, '      provider:', `        base_url: ${url}/v1`, '        secret_key_ref:', '          env: BENCH_KEY']);
  const groups = routes.flatMap(({ group, target }) => [`  - name: ${group}`, '    models:', `      - provider: ${target}`, '        model: bench-model']);
  return ['providers:', '  targets:', ...targets, 'model_groups:', ...groups, ''].join('\n');
}

/** The audit policy block the routing guide puts in every example config: a hash-chained decision log. */
export const GUIDE_AUDIT_POLICY = ['policies:', '  chain:', '    - audit-logger', 'policy:', '  audit-logger:', '    immutable: true', '    retention_days: 365', '    log_all_access: true', ''].join('\n');

/**
 * Starts `dist/kt.js gateway start` on `config` in `folder`; resolves with the child, its url and its dev key.
 * `nodeArgs` go to node before the script; `entry` replaces dist/kt.js (a profile reads better from the sources).
 */
export async function startBenchGateway(folder, config, extraArgs = [], nodeArgs = [], entry = 'dist/kt.js') {
  mkdirSync(folder, { recursive: true });
  const configPath = join(folder, 'policy-config.yaml');
  writeFileSync(configPath, config);
  const gateway = await startChild([...nodeArgs, entry, 'gateway', 'start', '--config', configPath, '--port', '0', ...extraArgs], { BENCH_KEY: 'sk-bench-0123456789' });
  gateway.key = readFileSync(join(folder, '.kt', 'dev-key'), 'utf8').trim();
  return gateway;
}
