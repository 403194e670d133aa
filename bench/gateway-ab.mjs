// Two builds of the gateway under the same throughput load, rounds interleaved: requests/s and CPU time
// per request of each, at 64 and 512 connections, with the routing guide's audit policy on.
//   node bench/gateway-ab.mjs A/kt.js B/kt.js [--rounds N] [--seconds S] [--no-audit]
// Build A from an older commit (e.g. git stash; npm run build; cp dist/kt.js* dist/tokenizer.js /tmp/a/).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GUIDE_AUDIT_POLICY, benchRoutingConfig, startBenchGateway } from './lib/gateway-config.mjs';
import { chatTarget, median, peakRssMiB, startChild, throughput, throughputAndCpu } from './lib/measure.mjs';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '4' }, seconds: { type: 'string', default: '4' }, 'no-audit': { type: 'boolean' } } });
if (positionals.length !== 2) {
  console.error('usage: node bench/gateway-ab.mjs A/kt.js B/kt.js [--rounds N] [--seconds S] [--no-audit]');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'kt-ab-'));
const children = [];
process.on('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const upstream = await startChild(['bench/lib/upstream.mjs'], { UPSTREAM_DELAY_MS: '20' });
children.push(upstream);
const config = benchRoutingConfig([{ group: 'bench', target: 'slow', url: upstream.url }]) + (values['no-audit'] ? '' : GUIDE_AUDIT_POLICY);
const builds = {};
for (const [name, entry] of [['A', positionals[0]], ['B', positionals[1]]]) {
  // Two processes per build: rounds alternate between them, as bench/gateway.mjs does.
  builds[name] = [];
  for (let i = 0; i < 2; i++) {
    const gw = await startBenchGateway(join(dir, `${name}-${i}`), config, [], [], entry);
    children.push(gw);
    builds[name].push(gw);
  }
}
const seconds = Number(values.seconds);
// Warm-up: JIT and first-use paths of every process before anything is measured.
for (const gw of [...builds.A, ...builds.B]) {
  const target = chatTarget(gw.url, 'bench', gw.key, 64);
  await throughput(target, 64, 2);
  await target.client.close();
}
for (const connections of [64, 512]) {
  const result = { A: { rps: [], cpu: [] }, B: { rps: [], cpu: [] } };
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const name of r % 2 ? ['B', 'A'] : ['A', 'B']) {
      const gw = builds[name][r % 2];
      const target = chatTarget(gw.url, 'bench', gw.key, connections);
      await throughput(target, connections, 0.5);
      const run = await throughputAndCpu(target, connections, seconds, gw.pid);
      await target.client.close();
      result[name].rps.push(run.rps);
      result[name].cpu.push(run.cpuPerRequest);
    }
  }
  for (const name of ['A', 'B']) {
    console.log(`${connections} connections, ${name}: ${median(result[name].rps).toFixed(0)} requests/s, ${median(result[name].cpu).toFixed(4)} CPU ms/request (rounds: ${result[name].rps.map((v) => v.toFixed(0)).join(' ')} / ${result[name].cpu.map((v) => v.toFixed(3)).join(' ')})`);
  }
}
for (const name of ['A', 'B']) console.log(`peak RSS ${name}: ${Math.max(...builds[name].map((g) => peakRssMiB(g.pid))).toFixed(1)} MiB`);
process.exit(0);
