// CPU profile of one gateway under the throughput load of bench/gateway.mjs (prints its hottest functions).
//   node bench/gateway-profile.mjs [--audit] [--connections N] [--seconds S]
// Writes a .cpuprofile (open it in Chrome DevTools) and prints self time by function and by file.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GUIDE_AUDIT_POLICY, benchRoutingConfig, startBenchGateway } from './lib/gateway-config.mjs';
import { chatTarget, startChild, throughput } from './lib/measure.mjs';

const { values } = parseArgs({ options: { audit: { type: 'boolean' }, connections: { type: 'string', default: '64' }, seconds: { type: 'string', default: '8' }, out: { type: 'string' } } });
const dir = mkdtempSync(join(tmpdir(), 'kt-profile-'));
const profileDir = values.out ?? dir;
const upstream = await startChild(['bench/lib/upstream.mjs'], { UPSTREAM_DELAY_MS: '20' });
const config = benchRoutingConfig([{ group: 'bench', target: 'slow', url: upstream.url }]) + (values.audit ? GUIDE_AUDIT_POLICY : '');
// From the TypeScript sources through tsx: the bundle's minified names would hide which function is which.
const gateway = await startBenchGateway(join(dir, 'gw'), config, [], ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--import', 'tsx'], 'gateway/cli/kt.ts');
const connections = Number(values.connections);
const target = chatTarget(gateway.url, 'bench', gateway.key, connections);
await throughput(target, connections, 1);
const rps = await throughput(target, connections, Number(values.seconds));
await target.client.close();
const exited = new Promise((resolve) => gateway.child.on('exit', resolve));
gateway.child.kill('SIGINT');
await exited;
upstream.child.kill('SIGKILL');
const name = readdirSync(profileDir).find((n) => n.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(profileDir, name), 'utf8'));
const dt = new Map();
profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
// Shares of the time the process was busy (not idle).
const total = [...dt].reduce((sum, [id, us]) => (idleIds.has(id) ? sum : sum + us), 0);
const byFn = new Map();
const byFile = new Map();
for (const node of profile.nodes) {
  const us = dt.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules|gateway)\//, '$1/') || '(native)';
  const fn = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  if (!idleIds.has(node.id)) byFile.set(file, (byFile.get(file) ?? 0) + us);
}
// Inclusive time: a function's own time and everything it called (recursion counted once).
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const inclusive = new Map();
const label = (node) => { const { functionName, url, lineNumber } = node.callFrame; return `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|gateway)\//, '$1/') || '(native)'}:${lineNumber + 1}`; };
(function walk(id, active) {
  const node = nodes.get(id);
  const key = label(node);
  const fresh = !active.has(key);
  if (fresh) active.add(key);
  let sum = dt.get(id) ?? 0;
  for (const child of node.children ?? []) sum += walk(child, active);
  if (fresh) {
    active.delete(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
  }
  return sum;
})(profile.nodes[0].id, new Set());
for (const key of [...inclusive.keys()]) if (!key.includes('gateway/')) inclusive.delete(key);
const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`# ${values.audit ? 'audit on' : 'audit off'}, ${connections} connections: ${rps.toFixed(0)} requests/s; profile ${join(profileDir, name)}`);
byFn.delete([...byFn.keys()].find((k) => k.startsWith('(idle)')));
console.log(`\n## Self time by function (share of busy time)\n${top(byFn, 30)}\n\n## Self time by file\n${top(byFile, 12)}\n\n## Time in our functions and what they call\n${top(inclusive, 30)}`);
if (!values.out) rmSync(dir, { recursive: true, force: true });
