// Gateway overhead benchmark (prints figures; not a test). One run measures, on this machine:
// requests sent directly to a fake upstream, through a minimal undici pass-through proxy (the floor
// for Node here), and through the gateway; the gateway is judged against the floor of the same run.
//   node bench/gateway.mjs [--quick] [--only embeddings|messages]
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { GUIDE_AUDIT_POLICY, benchRoutingConfig, startBenchGateway } from './lib/gateway-config.mjs';
import { chatTarget, embeddingsTarget, messagesTarget, latencies, median, medianDifferenceInterval, peakRssMiB, percentile, seededRandom, startChild, streamTiming, throughput, throughputAndCpu } from './lib/measure.mjs';

const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const ROUNDS = quick ? 2 : 5;
const SEQUENTIAL = quick ? 200 : 500;
const THROUGHPUT_SECONDS = quick ? 2 : 4;
const STREAMS = quick ? 20 : 200;
// Each stream is one request, so the per-request code of a bigger program needs more streams than
// the floor's few lines to reach steady-state JIT code; with 5 warm-up streams the first measured
// ones ran partly unoptimised (V8 --trace-opt showed per-request functions still being optimised
// after 100 streams).
const STREAM_WARMUP = quick ? 5 : 50;
// Processes per proxy (floor, gateway, gateway without events, gateway with the audit policy): see the streaming section for why more
// than one. Every section rotates over them round by round.
const INSTANCES = quick ? 2 : 3;

if (!existsSync('dist/kt.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });

const dir = mkdtempSync(join(tmpdir(), 'kt-bench-'));
const children = [];
const cleanup = () => {
  for (const c of children) c.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);

const fast = await startChild(['bench/lib/upstream.mjs'], { UPSTREAM_DELAY_MS: '0', UPSTREAM_CHUNK_GAP_MS: '2' });
const slow = await startChild(['bench/lib/upstream.mjs'], { UPSTREAM_DELAY_MS: '20' });
children.push(fast, slow);

const config = benchRoutingConfig([
  { group: 'bench', target: 'fast', url: fast.url },
  { group: 'bench-slow', target: 'slow', url: slow.url },
]);
// The routing guide's own audit policy (every example config has it): hash-chained events.
const auditConfig = `${config}${GUIDE_AUDIT_POLICY}`;
const AUDIT = 'gateway (audit on)';
let gateways = 0;
async function startGateway(extra = [], routing = config) {
  const gw = await startBenchGateway(join(dir, `gateway-${++gateways}`), routing, extra);
  children.push(gw);
  return gw;
}
async function startFloor(upstream, env = {}) {
  const floor = await startChild(['bench/lib/floor-proxy.mjs'], { UPSTREAM: upstream.url, ...env });
  children.push(floor);
  return floor;
}
const times = (n, start) => Promise.all(Array.from({ length: n }, start));

const floors = await times(INSTANCES, () => startFloor(fast));
const gatewayInstances = await times(INSTANCES, () => startGateway());
const auditGateways = await times(INSTANCES, () => startGateway([], auditConfig));
// The floor answering with the gateway's stream headers: what the required x-kt-* headers cost on their own.
const headerFloors = await times(INSTANCES, () => startFloor(fast, { FLOOR_HEADERS: 'gateway' }));
// Each path has INSTANCES processes of the same program; round r uses instance r % INSTANCES.
const instances = {
  direct: [chatTarget(fast.url)],
  floor: floors.map((f) => chatTarget(f.url)),
  gateway: gatewayInstances.map((g) => chatTarget(g.url, 'bench', g.key)),
  [AUDIT]: auditGateways.map((g) => chatTarget(g.url, 'bench', g.key)),
};
const pick = (name, round, from = instances) => from[name][round % from[name].length];

const slowFloors = await times(INSTANCES, () => startFloor(slow));
const quietGateways = await times(INSTANCES, () => startGateway(['--no-events']));
// The throughput paths, as { url, model, key, pid } per process: each run makes its own pool.
const slowProcesses = {
  direct: [{ url: slow.url, pid: slow.pid }],
  floor: slowFloors.map((f) => ({ url: f.url, pid: f.pid })),
  gateway: gatewayInstances.map((g) => ({ url: g.url, model: 'bench-slow', key: g.key, pid: g.pid })),
  'gateway (events off)': quietGateways.map((g) => ({ url: g.url, model: 'bench-slow', key: g.key, pid: g.pid })),
  [AUDIT]: auditGateways.map((g) => ({ url: g.url, model: 'bench-slow', key: g.key, pid: g.pid })),
};
const slowInstances = Object.fromEntries(Object.entries(slowProcesses).map(([name, list]) => [name, list.map((p) => chatTarget(p.url, p.model, p.key))]));

const fmt = (n, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
console.log(`# kt gateway benchmark — ${new Date().toISOString()}, node ${process.version}, ${ROUNDS} rounds, ${INSTANCES} processes per proxy`);

// 0. Embeddings at concurrency 1: a 1536-float vector per answer. The floor forwards the client's
// encoding_format and pipes the upstream's bytes; the gateway asks for floats, checks them, and
// answers as the client asked (base64 encoded by the gateway itself).
const embeddingPaths = (format) => ({
  direct: [embeddingsTarget(fast.url, format)],
  floor: floors.map((f) => embeddingsTarget(f.url, format)),
  gateway: gatewayInstances.map((g) => embeddingsTarget(g.url, format, 'bench', g.key)),
});
const embeddingFigures = {};
for (const format of ['float', 'base64']) {
  const paths = embeddingPaths(format);
  for (const t of Object.values(paths).flat()) await latencies(t, 50);
  const e = { direct: [], floor: [], gateway: [] };
  for (let r = 0; r < ROUNDS; r++) for (const name of Object.keys(e)) e[name].push(...(await latencies(pick(name, r, paths), SEQUENTIAL)));
  embeddingFigures[format] = e;
}
function printEmbeddings() {
  console.log('\n## Embeddings at concurrency 1 (ms; 1536 dimensions, one input)');
  console.log('format  path      p50 total  p99 total  added p50  added p99');
  for (const [format, e] of Object.entries(embeddingFigures)) {
    const q = (name, x) => percentile(e[name], x);
    for (const name of Object.keys(e)) console.log(`${format.padEnd(7)} ${name.padEnd(9)} ${fmt(q(name, 50)).padStart(9)}  ${fmt(q(name, 99)).padStart(9)}  ${fmt(q(name, 50) - q('direct', 50)).padStart(9)}  ${fmt(q(name, 99) - q('direct', 99)).padStart(9)}`);
    const interval = medianDifferenceInterval(e.gateway, e.floor);
    console.log(`${format}: gateway vs floor, added p50 ${fmt(q('gateway', 50) - q('floor', 50))} ms more (95% interval ${fmt(interval[0])}..${fmt(interval[1])})`);
  }
}
if (only === 'embeddings') {
  printEmbeddings();
  process.exit(0);
}

// 0b. POST /v1/messages at concurrency 1 to an Anthropic target: the gateway passes the client's body
// through (model name swapped) and the target's answer back; the floor pipes the same request.
const anthropicConfig = config
  .replace('model_groups:\n', `    - id: fast-anthropic\n      provider:\n        type: anthropic\n        base_url: ${fast.url}/v1\n        secret_key_ref:\n          env: BENCH_KEY\nmodel_groups:\n`)
  .concat('  - name: bench-anthropic\n    models:\n      - provider: fast-anthropic\n        model: bench-model\n');
const messageGateways = only === undefined || only === 'messages' ? await times(INSTANCES, () => startGateway([], anthropicConfig)) : [];
const messagePaths = {
  direct: [messagesTarget(fast.url)],
  floor: floors.map((f) => messagesTarget(f.url)),
  gateway: messageGateways.map((g) => messagesTarget(g.url, 'bench-anthropic', g.key)),
};
for (const t of Object.values(messagePaths).flat()) await latencies(t, 50);
const messageFigures = { direct: [], floor: [], gateway: [] };
for (let r = 0; r < ROUNDS; r++) for (const name of Object.keys(messageFigures)) messageFigures[name].push(...(await latencies(pick(name, r, messagePaths), SEQUENTIAL)));
function printMessages() {
  console.log('\n## Anthropic Messages at concurrency 1 (ms; /v1/messages to an Anthropic target, passed through)');
  console.log('path      p50 total  p99 total  added p50  added p99');
  const q = (name, x) => percentile(messageFigures[name], x);
  for (const name of Object.keys(messageFigures)) console.log(`${name.padEnd(9)} ${fmt(q(name, 50)).padStart(9)}  ${fmt(q(name, 99)).padStart(9)}  ${fmt(q(name, 50) - q('direct', 50)).padStart(9)}  ${fmt(q(name, 99) - q('direct', 99)).padStart(9)}`);
  const interval = medianDifferenceInterval(messageFigures.gateway, messageFigures.floor);
  console.log(`messages: gateway vs floor, added p50 ${fmt(q('gateway', 50) - q('floor', 50))} ms more (95% interval ${fmt(interval[0])}..${fmt(interval[1])}; target ≤ 0.2)`);
}
if (only === 'messages') {
  printMessages();
  process.exit(0);
}

// Warm-up: connections, JIT, the gateway's first-use paths.
for (const t of [...Object.values(instances).flat(), ...Object.values(slowInstances).flat()]) await latencies(t, 50);

// 1. Added latency at concurrency 1, rounds interleaved so drift hits every path alike.
const lat = { direct: [], floor: [], gateway: [], [AUDIT]: [] };
for (let r = 0; r < ROUNDS; r++) for (const name of Object.keys(lat)) lat[name].push(...(await latencies(pick(name, r), SEQUENTIAL)));
const p = (name, q) => percentile(lat[name], q);
const added = (name, q) => p(name, q) - p('direct', q);
console.log('\n## Added latency at concurrency 1 (ms over direct; non-streamed)');
console.log('path               p50 total  p99 total  added p50  added p99');
for (const name of Object.keys(lat)) console.log(`${name.padEnd(18)} ${fmt(p(name, 50)).padStart(9)}  ${fmt(p(name, 99)).padStart(9)}  ${fmt(added(name, 50)).padStart(9)}  ${fmt(added(name, 99)).padStart(9)}`);
const p50Interval = medianDifferenceInterval(lat.gateway, lat.floor);
console.log(`gateway vs floor: added p50 ${fmt(added('gateway', 50) - added('floor', 50))} ms more (95% interval ${fmt(p50Interval[0])}..${fmt(p50Interval[1])}; target ≤ 0.2), added p99 ${fmt(added('gateway', 99) / added('floor', 99), 2)}x (target ≤ 1.25x)`);

// 2. Throughput at concurrency 64 and 512 with a 20 ms upstream, and the proxy's CPU time per request
// (from /proc/PID/stat around each run). At 512 each run opens its own 512 connections, warms them up
// and closes them after, so no process sits on another path's idle sockets.
const cpu = {};
async function throughputRows(concurrency) {
  const rows = Object.fromEntries(Object.keys(slowProcesses).map((k) => [k, []]));
  cpu[concurrency] = Object.fromEntries(Object.keys(slowProcesses).map((k) => [k, []]));
  for (let r = 0; r < Math.max(INSTANCES, ROUNDS - 2); r++) {
    for (const name of Object.keys(rows)) {
      const proc = pick(name, r, slowProcesses);
      const target = concurrency === 64 ? pick(name, r, slowInstances) : chatTarget(proc.url, proc.model, proc.key, concurrency);
      if (concurrency !== 64) await throughput(target, concurrency, 0.5);
      const run = await throughputAndCpu(target, concurrency, THROUGHPUT_SECONDS, proc.pid);
      if (concurrency !== 64) await target.client.close();
      rows[name].push(run.rps);
      cpu[concurrency][name].push(run.cpuPerRequest);
    }
  }
  console.log(`\n## Throughput at concurrency ${concurrency}, upstream delay 20 ms (median of rounds; CPU of the proxy process, the upstream's for direct)`);
  console.log('path                   requests/s  CPU ms/request');
  for (const name of Object.keys(rows)) console.log(`${name.padEnd(22)} ${fmt(median(rows[name]), 0).padStart(10)}  ${fmt(median(cpu[concurrency][name]), 4).padStart(14)}`);
  return rows;
}
const rps = await throughputRows(64);
console.log(`gateway / floor: ${fmt(median(rps.gateway) / median(rps.floor), 3)} (target ≥ 0.90); events on / off: ${fmt(median(rps.gateway) / median(rps['gateway (events off)']), 3)} (target ≥ 0.95)`);
const rps512 = await throughputRows(512);

// 3. Streaming: time to first token and inter-chunk gap on a 64-chunk stream.
// - Each stream starts after a short pause: back to back, a stream began while the previous path's
//   proxy and the upstream were still finishing theirs, so a path's figure depended on which path ran
//   before it (a second gateway placed right after the first measured 0.4-0.5 ms slower; paused, 0.09).
// - Every round runs the paths in a new (seeded) random order, so none always follows the same one.
// - Two processes of the same program differ by up to 0.3 ms here (in one run two identical gateways
//   differed by 0.32 ms, two floors by 0.07): with one process per path a run measured one draw of
//   that, and its interval said nothing about it (throughput and the events on/off ratio, too).
const STREAM_PAUSE_MS = 5;
const streamInstances = { ...instances, 'floor (gateway headers)': headerFloors.map((f) => chatTarget(f.url)) };
const st = Object.fromEntries(Object.keys(streamInstances).map((name) => [name, { ttft: [], gaps: [], byInstance: streamInstances[name].map(() => []) }]));
const order = shuffler(0x5eed);
for (let i = 0; i < STREAMS + STREAM_WARMUP; i++) {
  for (const name of order(Object.keys(st))) {
    await sleep(STREAM_PAUSE_MS);
    const t = await streamTiming(pick(name, i, streamInstances));
    if (i < STREAM_WARMUP) continue;
    st[name].ttft.push(t.ttft);
    st[name].gaps.push(...t.gaps);
    st[name].byInstance[i % streamInstances[name].length].push(t.ttft);
  }
}
console.log(`\n## Streaming, 64 chunks 2 ms apart (ms; ${STREAMS} streams per path after ${STREAM_WARMUP} warm-up streams, interleaved in random order, ${STREAM_PAUSE_MS} ms apart)`);
console.log('path                     ttft p50  added ttft  gap p50  gap p99  added gap p50  ttft p50 per process');
for (const name of Object.keys(st)) {
  const perProcess = st[name].byInstance.map((v) => fmt(median(v))).join(' / ');
  console.log(`${name.padEnd(24)} ${fmt(median(st[name].ttft)).padStart(8)}  ${fmt(median(st[name].ttft) - median(st.direct.ttft)).padStart(10)}  ${fmt(median(st[name].gaps)).padStart(7)}  ${fmt(percentile(st[name].gaps, 99)).padStart(7)}  ${fmt(median(st[name].gaps) - median(st.direct.gaps)).padStart(13)}  ${perProcess}`);
}
// The spread shows how far the median sits from the quartiles: on these VMs a wake-up of an idle vCPU
// costs 0.2-1 ms or nothing, so each path's time to first token is a mix of two populations.
console.log(`ttft p25 / p75: ${Object.keys(st).map((name) => `${name} ${fmt(percentile(st[name].ttft, 25))} / ${fmt(percentile(st[name].ttft, 75))}`).join(', ')}`);
const ttftInterval = medianDifferenceInterval(st.gateway.ttft, st.floor.ttft);
console.log(`gateway vs floor: added ttft ${fmt(median(st.gateway.ttft) - median(st.floor.ttft))} ms more (95% interval of the sampling ${fmt(ttftInterval[0])}..${fmt(ttftInterval[1])}; target ≤ 0.3); added gap ${fmt(median(st.gateway.gaps) - median(st.direct.gaps))} ms (target ≤ 0.2)`);
const headersInterval = medianDifferenceInterval(st['floor (gateway headers)'].ttft, st.floor.ttft);
console.log(`the gateway's response headers alone (floor answering with them vs plain floor): ${fmt(median(st['floor (gateway headers)'].ttft) - median(st.floor.ttft))} ms (95% interval ${fmt(headersInterval[0])}..${fmt(headersInterval[1])})`);

/** Fisher-Yates with a fixed seed: a different order every round, the same ones every run. */
function shuffler(seed) {
  const random = seededRandom(seed);
  return (names) => {
    const out = [...names];
    for (let k = out.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [out[k], out[j]] = [out[j], out[k]];
    }
    return out;
  };
}

printEmbeddings();
printMessages();

console.log('\n## Peak RSS (MiB)');
const peak = (processes) => Math.max(...processes.map((c) => peakRssMiB(c.pid)));
const floorProcesses = [...floors, ...slowFloors];
console.log(`floor ${fmt(peak(floorProcesses), 1)}, gateway ${fmt(peak(gatewayInstances), 1)}, gateway (events off) ${fmt(peak(quietGateways), 1)}, ${AUDIT} ${fmt(peak(auditGateways), 1)} (the largest process of each)`);

// The issue-17 targets, for the guide's own config (audit policy on) against the undici floor.
const ratio = (a, b, d = 2) => `${fmt(a / b, d)}x`;
console.log(`\n## ${AUDIT} vs floor (targets in brackets)`);
console.log(`rps at 64 conns ${ratio(median(rps[AUDIT]), median(rps.floor))} (≥ 0.95x), at 512 conns ${ratio(median(rps512[AUDIT]), median(rps512.floor))} (≥ 0.90x); added p99 ${ratio(added(AUDIT, 99), added('floor', 99))} (≤ 1.25x); ttft +${fmt(median(st[AUDIT].ttft) - median(st.floor.ttft))} ms (≤ +0.1); peak RSS +${fmt(peak(auditGateways) - peak(floorProcesses), 1)} MiB (≤ +30); CPU/request ${ratio(median(cpu[64][AUDIT]), median(cpu[64].floor))} at 64 conns, ${ratio(median(cpu[512][AUDIT]), median(cpu[512].floor))} at 512 (≤ 1.15x)`);
process.exit(0);
