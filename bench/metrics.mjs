// What Prometheus metrics and OTLP export cost the gateway (prints figures; not a test): gateways with
// metrics on (the default) against the same with --no-metrics, with decision events on and off; OTLP
// export to a live receiver (a sink in its own process) and to a collector that is down, against export
// off; plus the in-process cost of one event's metric updates.
//   node --import tsx bench/metrics.mjs [--quick]
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { benchRoutingConfig, startBenchGateway } from './lib/gateway-config.mjs';
import { chatTarget, latencies, median, medianDifferenceInterval, percentile, startChild, throughput } from './lib/measure.mjs';
import { GatewayMetrics } from '../gateway/telemetry/prometheus.ts';
import { metricUpdates, vocabularyOf } from '../gateway/telemetry/metrics.ts';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 4;
const SEQUENTIAL = quick ? 200 : 500;
const THROUGHPUT_SECONDS = quick ? 2 : 4;
// Two processes per variant, rotated round by round: two identical processes differ by a few tenths of a ms.
const INSTANCES = 2;

if (!existsSync('dist/kt.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });

const dir = mkdtempSync(join(tmpdir(), 'kt-bench-metrics-'));
const children = [];
process.on('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const fast = await startChild(['bench/lib/upstream.mjs'], { UPSTREAM_DELAY_MS: '0' });
const slow = await startChild(['bench/lib/upstream.mjs'], { UPSTREAM_DELAY_MS: '20' });
children.push(fast, slow);
const sink = await startChild(['bench/lib/otlp-sink.mjs']);
children.push(sink);
const deadCollector = await refusedUrl();
const config = benchRoutingConfig([
  { group: 'bench', target: 'fast', url: fast.url },
  { group: 'bench-slow', target: 'slow', url: slow.url },
]);

let started = 0;
const variants = {
  'metrics on': [],
  'metrics off': ['--no-metrics'],
  'events off, metrics on': ['--no-events'],
  'events off, metrics off': ['--no-events', '--no-metrics'],
  'otlp to a live receiver': ['--otlp-endpoint', sink.url],
  'otlp, collector down': ['--otlp-endpoint', deadCollector],
};
const gateways = {};
for (const [name, args] of Object.entries(variants)) {
  gateways[name] = await Promise.all(Array.from({ length: INSTANCES }, async () => {
    const gw = await startBenchGateway(join(dir, `gateway-${++started}`), config, args);
    children.push(gw);
    return gw;
  }));
}
const targets = (group) => Object.fromEntries(Object.entries(gateways).map(([name, list]) => [name, list.map((g) => chatTarget(g.url, group, g.key))]));
const fastTargets = targets('bench');
const slowTargets = targets('bench-slow');
const pick = (from, name, round) => from[name][round % from[name].length];
const fmt = (n, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

console.log(`# kt gateway metrics benchmark — ${new Date().toISOString()}, node ${process.version}, ${ROUNDS} rounds, ${INSTANCES} processes per variant`);
for (const t of [...Object.values(fastTargets).flat(), ...Object.values(slowTargets).flat()]) await latencies(t, 50);

// Latency at concurrency 1 on an instant upstream, rounds interleaved so drift hits every variant alike.
const lat = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
for (let r = 0; r < ROUNDS; r++) for (const name of Object.keys(lat)) lat[name].push(...(await latencies(pick(fastTargets, name, r), SEQUENTIAL)));
console.log('\n## Latency at concurrency 1 (ms; non-streamed, instant upstream)');
console.log('variant                   p50     p99');
for (const name of Object.keys(lat)) console.log(`${name.padEnd(24)} ${fmt(percentile(lat[name], 50)).padStart(6)}  ${fmt(percentile(lat[name], 99)).padStart(6)}`);
const addedP50 = (on, off) => {
  const [lo, hi] = medianDifferenceInterval(lat[on], lat[off]);
  return `${fmt(median(lat[on]) - median(lat[off]))} ms (95% interval ${fmt(lo)}..${fmt(hi)})`;
};
console.log(`metrics add at p50: ${addedP50('metrics on', 'metrics off')} with events on; ${addedP50('events off, metrics on', 'events off, metrics off')} with events off (the event is then built for metrics alone)`);
console.log(`OTLP export adds at p50: ${addedP50('otlp to a live receiver', 'metrics on')} to a live receiver; ${addedP50('otlp, collector down', 'metrics on')} with the collector down (both against export off, metrics and events on)`);

// Throughput at concurrency 64 with a 20 ms upstream.
// The gateway process's CPU time per request too: on a machine shared with other work, throughput moves
// with everything else running, while CPU time spent per request barely does.
const rps = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
const cpuPerRequest = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
for (let r = 0; r < Math.max(INSTANCES, ROUNDS); r++) {
  for (const name of Object.keys(rps)) {
    const pid = gateways[name][r % INSTANCES].pid;
    const before = cpuMicros(pid);
    const perSecond = await throughput(pick(slowTargets, name, r), 64, THROUGHPUT_SECONDS);
    rps[name].push(perSecond);
    cpuPerRequest[name].push((cpuMicros(pid) - before) / (perSecond * THROUGHPUT_SECONDS));
  }
}
console.log('\n## Throughput at concurrency 64, upstream delay 20 ms (median of rounds)');
console.log('variant                  requests/s  gateway CPU µs per request');
for (const name of Object.keys(rps)) console.log(`${name.padEnd(24)} ${fmt(median(rps[name]), 0).padStart(10)}  ${fmt(median(cpuPerRequest[name]), 1).padStart(10)}`);
const ratio = (on, off) => `throughput ${fmt(median(rps[on]) / median(rps[off]))}, CPU per request ${fmt(median(cpuPerRequest[on]) / median(cpuPerRequest[off]))}`;
console.log(`metrics on / off: ${ratio('metrics on', 'metrics off')} with events on; ${ratio('events off, metrics on', 'events off, metrics off')} with events off`);
console.log(`OTLP export on / off: ${ratio('otlp to a live receiver', 'metrics on')} to a live receiver; ${ratio('otlp, collector down', 'metrics on')} with the collector down`);

/** An address nothing listens on: a port taken from the OS and let go. */
async function refusedUrl() {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

/** User + system CPU time of a process so far, in µs (Linux; clock ticks of 10 ms). */
function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

// In process: one event's metric updates, in batches as the gateway applies them (one I/O turn's events).
const vocabulary = vocabularyOf([{ name: 'reliable-chat', models: [{ provider: 'openai', model: 'gpt-4o' }, { provider: 'anthropic', model: 'claude-sonnet-4' }] }], ['openai', 'anthropic']);
const metrics = new GatewayMetrics(() => vocabulary);
const event = (i) => ({
  id: `evt_${i}`, ts: new Date().toISOString(), kind: 'request', api: 'chat', key_id: 'dev', model: 'reliable-chat', model_group: 'reliable-chat',
  strategy: 'fallback', provider: i % 2 ? 'anthropic' : 'openai', resolved_model: i % 2 ? 'claude-sonnet-4' : 'gpt-4o', tag: null, session_id: null,
  stream: i % 3 === 0, fallback_count: i % 2, attempts: [], latency_ms: 100 + (i % 5000), ttft_ms: 50 + (i % 900),
  tokens: { prompt: 100, completion: 200, total: 300 }, estimated_cost_usd: 0.003, actual_cost_usd: 0.0033, decision: 'allowed', reason: null, http_status: 200,
});
const BATCH = 64;
const batch = Array.from({ length: BATCH }, (_, i) => event(i));
const perEvent = { mapping: [], applied: [] };
for (let round = 0; round < (quick ? 5 : 20); round++) {
  let t = process.hrtime.bigint();
  for (let k = 0; k < 200; k++) for (const e of batch) metricUpdates(e, vocabulary);
  perEvent.mapping.push(Number(process.hrtime.bigint() - t) / 1000 / (200 * BATCH));
  t = process.hrtime.bigint();
  for (let k = 0; k < 200; k++) {
    for (const e of batch) metrics.observe(e);
    await new Promise((r) => setImmediate(r)); // the gateway's own apply runs here
  }
  perEvent.applied.push(Number(process.hrtime.bigint() - t) / 1000 / (200 * BATCH));
}
const scrapes = [];
let text = '';
for (let i = 0; i < 20; i++) {
  const t = process.hrtime.bigint();
  text = await metrics.render();
  scrapes.push(Number(process.hrtime.bigint() - t) / 1e6);
}
console.log('\n## In process (µs per event, median of rounds; batches of 64 events)');
console.log(`event -> metric updates (the pure mapping): ${fmt(median(perEvent.mapping))} µs; observe + apply to prom-client: ${fmt(median(perEvent.applied))} µs`);
console.log(`one scrape (${text.split('\n').length} lines): ${fmt(median(scrapes))} ms`);
process.exit(0);
