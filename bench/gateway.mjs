// Gateway overhead benchmark (prints figures; not a test). One run measures, on this machine:
// requests sent directly to a fake upstream, through a minimal undici pass-through proxy (the floor
// for Node here), and through the gateway; the gateway is judged against the floor of the same run.
//   node bench/gateway.mjs [--quick]
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { benchRoutingConfig } from './lib/gateway-config.mjs';
import { latencies, median, medianDifferenceInterval, peakRssMiB, percentile, pool, startChild, streamTiming, throughput } from './lib/measure.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 5;
const SEQUENTIAL = quick ? 200 : 500;
const THROUGHPUT_SECONDS = quick ? 2 : 4;
const STREAMS = quick ? 20 : 200;
// Each stream is one request, so the per-request code of a bigger program needs more streams than
// the floor's few lines to reach steady-state JIT code; with 5 warm-up streams the first measured
// ones ran partly unoptimised (V8 --trace-opt showed per-request functions still being optimised
// after 100 streams).
const STREAM_WARMUP = quick ? 5 : 50;

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
const floorFast = await startChild(['bench/lib/floor-proxy.mjs'], { UPSTREAM: fast.url });
const floorSlow = await startChild(['bench/lib/floor-proxy.mjs'], { UPSTREAM: slow.url });
// The floor answering with the gateway's stream headers: what the required x-kt-* headers cost on their own.
const floorHeaders = await startChild(['bench/lib/floor-proxy.mjs'], { UPSTREAM: fast.url, FLOOR_HEADERS: 'gateway' });
children.push(floorFast, floorSlow, floorHeaders);

const config = benchRoutingConfig([
  { group: 'bench', target: 'fast', url: fast.url },
  { group: 'bench-slow', target: 'slow', url: slow.url },
]);
async function startGateway(name, extra = []) {
  const folder = join(dir, name);
  spawnSync('mkdir', ['-p', folder]);
  writeFileSync(join(folder, 'policy-config.yaml'), config);
  const gw = await startChild(['dist/kt.js', 'gateway', 'start', '--config', join(folder, 'policy-config.yaml'), '--port', '0', ...extra], { BENCH_KEY: 'sk-bench-0123456789' });
  children.push(gw);
  gw.key = readFileSync(join(folder, '.kt', 'dev-key'), 'utf8').trim();
  return gw;
}
const gateway = await startGateway('events-on');
const gatewayNoEvents = await startGateway('events-off', ['--no-events']);

const message = { messages: [{ role: 'user', content: 'Hello, how are you today?' }] };
const upstreamBody = JSON.stringify({ model: 'bench-model', ...message });
const upstreamStream = JSON.stringify({ model: 'bench-model', stream: true, ...message });
function target(url, path, model, key) {
  const body = model ? JSON.stringify({ model, ...message }) : upstreamBody;
  const streamBody = model ? JSON.stringify({ model, stream: true, ...message }) : upstreamStream;
  return { client: pool(url), path, body, streamBody, headers: { authorization: `Bearer ${key ?? 'sk-bench'}` } };
}
const paths = {
  direct: target(fast.url, '/v1/chat/completions'),
  floor: target(floorFast.url, '/v1/chat/completions'),
  gateway: target(gateway.url, '/v1/chat/completions', 'bench', gateway.key),
};
const slowPaths = {
  direct: target(slow.url, '/v1/chat/completions'),
  floor: target(floorSlow.url, '/v1/chat/completions'),
  gateway: target(gateway.url, '/v1/chat/completions', 'bench-slow', gateway.key),
  'gateway (events off)': target(gatewayNoEvents.url, '/v1/chat/completions', 'bench-slow', gatewayNoEvents.key),
};

const fmt = (n, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
console.log(`# kt gateway benchmark — ${new Date().toISOString()}, node ${process.version}, ${ROUNDS} rounds`);

// Warm-up: connections, JIT, the gateway's first-use paths.
for (const t of [...Object.values(paths), ...Object.values(slowPaths)]) await latencies(t, 50);

// 1. Added latency at concurrency 1, rounds interleaved so drift hits every path alike.
const lat = { direct: [], floor: [], gateway: [] };
for (let r = 0; r < ROUNDS; r++) for (const name of Object.keys(lat)) lat[name].push(...(await latencies(paths[name], SEQUENTIAL)));
const p = (name, q) => percentile(lat[name], q);
const added = (name, q) => p(name, q) - p('direct', q);
console.log('\n## Added latency at concurrency 1 (ms over direct; non-streamed)');
console.log('path      p50 total  p99 total  added p50  added p99');
for (const name of ['direct', 'floor', 'gateway']) console.log(`${name.padEnd(9)} ${fmt(p(name, 50)).padStart(9)}  ${fmt(p(name, 99)).padStart(9)}  ${fmt(added(name, 50)).padStart(9)}  ${fmt(added(name, 99)).padStart(9)}`);
const p50Interval = medianDifferenceInterval(lat.gateway, lat.floor);
console.log(`gateway vs floor: added p50 ${fmt(added('gateway', 50) - added('floor', 50))} ms more (95% interval ${fmt(p50Interval[0])}..${fmt(p50Interval[1])}; target ≤ 0.2), added p99 ${fmt(added('gateway', 99) / added('floor', 99), 2)}x (target ≤ 1.25x)`);

// 2. Throughput at concurrency 64 with a 20 ms upstream.
const rps = Object.fromEntries(Object.keys(slowPaths).map((k) => [k, []]));
for (let r = 0; r < Math.max(2, ROUNDS - 2); r++) for (const name of Object.keys(rps)) rps[name].push(await throughput(slowPaths[name], 64, THROUGHPUT_SECONDS));
console.log('\n## Throughput at concurrency 64, upstream delay 20 ms (requests/s, median of rounds)');
for (const name of Object.keys(rps)) console.log(`${name.padEnd(22)} ${fmt(median(rps[name]), 0).padStart(6)}`);
console.log(`gateway / floor: ${fmt(median(rps.gateway) / median(rps.floor), 3)} (target ≥ 0.90); events on / off: ${fmt(median(rps.gateway) / median(rps['gateway (events off)']), 3)} (target ≥ 0.95)`);

// 3. Streaming: time to first token and inter-chunk gap on a 64-chunk stream. Each stream starts after a
// short pause: back to back, a stream began while the previous path's proxy and the upstream were still
// finishing theirs, so each path's figure depended on which path ran before it: a second gateway (events
// off) placed right after the first measured 0.4-0.5 ms slower than it; with the pause, 0.09 ms.
const STREAM_PAUSE_MS = 5;
const streamPaths = { ...paths, 'floor (gateway headers)': target(floorHeaders.url, '/v1/chat/completions') };
const st = Object.fromEntries(Object.keys(streamPaths).map((name) => [name, { ttft: [], gaps: [] }]));
for (let i = 0; i < STREAMS + STREAM_WARMUP; i++) {
  for (const name of Object.keys(st)) {
    await new Promise((resolve) => setTimeout(resolve, STREAM_PAUSE_MS));
    const t = await streamTiming(streamPaths[name]);
    if (i < STREAM_WARMUP) continue;
    st[name].ttft.push(t.ttft);
    st[name].gaps.push(...t.gaps);
  }
}
console.log(`\n## Streaming, 64 chunks 2 ms apart (ms; ${STREAMS} streams per path after ${STREAM_WARMUP} warm-up streams, interleaved, ${STREAM_PAUSE_MS} ms apart)`);
console.log('path                     ttft p50  added ttft  gap p50  gap p99  added gap p50');
for (const name of Object.keys(st)) {
  console.log(`${name.padEnd(24)} ${fmt(median(st[name].ttft)).padStart(8)}  ${fmt(median(st[name].ttft) - median(st.direct.ttft)).padStart(10)}  ${fmt(median(st[name].gaps)).padStart(7)}  ${fmt(percentile(st[name].gaps, 99)).padStart(7)}  ${fmt(median(st[name].gaps) - median(st.direct.gaps)).padStart(13)}`);
}
// The spread shows how far the median sits from the quartiles: on these VMs a wake-up of an idle vCPU
// costs 0.2-1 ms or nothing, so each path's time to first token is a mix of two populations.
console.log(`ttft p25 / p75: ${Object.keys(st).map((name) => `${name} ${fmt(percentile(st[name].ttft, 25))} / ${fmt(percentile(st[name].ttft, 75))}`).join(', ')}`);
const ttftInterval = medianDifferenceInterval(st.gateway.ttft, st.floor.ttft);
console.log(`gateway vs floor: added ttft ${fmt(median(st.gateway.ttft) - median(st.floor.ttft))} ms more (95% interval ${fmt(ttftInterval[0])}..${fmt(ttftInterval[1])}; target ≤ 0.3); added gap ${fmt(median(st.gateway.gaps) - median(st.direct.gaps))} ms (target ≤ 0.2)`);
const headersInterval = medianDifferenceInterval(st['floor (gateway headers)'].ttft, st.floor.ttft);
console.log(`of which the gateway's response headers (floor answering with them vs plain floor): ${fmt(median(st['floor (gateway headers)'].ttft) - median(st.floor.ttft))} ms (95% interval ${fmt(headersInterval[0])}..${fmt(headersInterval[1])})`);

console.log('\n## Peak RSS (MiB)');
console.log(`floor ${fmt(peakRssMiB(floorFast.pid), 1)}, gateway ${fmt(peakRssMiB(gateway.pid), 1)}, gateway (events off) ${fmt(peakRssMiB(gatewayNoEvents.pid), 1)}`);
process.exit(0);
