// What the Messages and Responses translations add over chat on the same gateway (prints figures; not a
// test): non-streamed latency at concurrency 1 and the streamed time to first byte, per inbound API.
//   node bench/inbound-apis.mjs [--quick]
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchRoutingConfig, startBenchGateway } from './lib/gateway-config.mjs';
import { chatTarget, latencies, median, medianDifferenceInterval, percentile, pool, startChild, streamTiming } from './lib/measure.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 5;
const SEQUENTIAL = quick ? 200 : 500;
const STREAMS = quick ? 50 : 300;

if (!existsSync('dist/kt.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'kt-bench-'));
const children = [];
process.on('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const upstream = await startChild(['bench/lib/upstream.mjs'], { UPSTREAM_DELAY_MS: '0', UPSTREAM_CHUNK_GAP_MS: '2' });
const gw = await startBenchGateway(join(dir, 'gateway'), benchRoutingConfig([{ group: 'bench', target: 'fast', url: upstream.url }]));
children.push(upstream, gw);

const prompt = 'Hello, how are you today?'; // the chat target's own prompt, so the bodies differ only in format
const client = pool(gw.url);
const headers = { authorization: `Bearer ${gw.key}` };
const apis = {
  chat: { ...chatTarget(gw.url, 'bench', gw.key), client },
  messages: {
    client, headers, path: '/v1/messages',
    body: JSON.stringify({ model: 'bench', max_tokens: 256, messages: [{ role: 'user', content: prompt }] }),
    streamBody: JSON.stringify({ model: 'bench', max_tokens: 256, stream: true, messages: [{ role: 'user', content: prompt }] }),
  },
  responses: {
    client, headers, path: '/v1/responses',
    body: JSON.stringify({ model: 'bench', input: prompt }),
    streamBody: JSON.stringify({ model: 'bench', input: prompt, stream: true }),
  },
};
const fmt = (n) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
console.log(`# inbound APIs over one gateway — ${new Date().toISOString()}, node ${process.version}, ${ROUNDS} rounds`);

for (const t of Object.values(apis)) await latencies(t, 100); // warm-up: JIT and first-use paths

const lat = Object.fromEntries(Object.keys(apis).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const name of Object.keys(apis)) lat[name].push(...(await latencies(apis[name], SEQUENTIAL)));
console.log('\n## Non-streamed latency at concurrency 1 (ms)');
console.log('api        p50      p99      p50 over chat (95% interval)');
for (const name of Object.keys(apis)) {
  const [lo, hi] = medianDifferenceInterval(lat[name], lat.chat);
  console.log(`${name.padEnd(9)} ${fmt(percentile(lat[name], 50)).padStart(7)}  ${fmt(percentile(lat[name], 99)).padStart(7)}  ${fmt(median(lat[name]) - median(lat.chat))} (${fmt(lo)}..${fmt(hi)})`);
}

const ttft = Object.fromEntries(Object.keys(apis).map((k) => [k, []]));
const total = Object.fromEntries(Object.keys(apis).map((k) => [k, []]));
for (let i = 0; i < STREAMS; i++) {
  for (const name of Object.keys(apis)) {
    await sleep(3);
    const started = performance.now();
    const t = await streamTiming(apis[name]);
    ttft[name].push(t.ttft);
    total[name].push(performance.now() - started);
  }
}
console.log(`\n## Streamed, 64 chunks 2 ms apart (ms; ${STREAMS} streams per api)`);
console.log('api        ttft p50  over chat  whole stream p50');
for (const name of Object.keys(apis)) console.log(`${name.padEnd(9)} ${fmt(median(ttft[name])).padStart(8)}  ${fmt(median(ttft[name]) - median(ttft.chat)).padStart(9)}  ${fmt(median(total[name])).padStart(8)}`);
process.exit(0);
