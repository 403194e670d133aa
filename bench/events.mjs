// Decision event log cost: µs per append (plain and hash-chained) and a newest-5 query over a big log.
// Run: node --import tsx bench/events.mjs [appends]
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, newEventId } from '../gateway/events/event-log.ts';
import { parseFilters } from '../gateway/events/filter.ts';
import { handleEventsRequest } from '../gateway/http/events-api.ts';
import { createServer, request } from 'node:http';

const count = Number(process.argv[2] ?? 20000);
const event = (i) => ({
  id: newEventId(), ts: new Date().toISOString(), kind: 'request', key_id: 'dev', model: 'reliable-chat', model_group: 'reliable-chat',
  strategy: 'fallback', provider: 'anthropic', resolved_model: 'claude-sonnet-4', tag: i % 2 ? 'control' : 'experiment', session_id: null,
  stream: false, fallback_count: 1,
  attempts: [
    { provider: 'openai', model: 'gpt-4o', outcome: 'timeout', status: null, error: 'timed out after 5000 ms', latency_ms: 5000 },
    { provider: 'anthropic', model: 'claude-sonnet-4', outcome: 'success', status: 200, error: null, latency_ms: 900 },
  ],
  latency_ms: 5900 + (i % 100), ttft_ms: null, tokens: { prompt: 100, completion: 200, total: 300 },
  estimated_cost_usd: 0.003, actual_cost_usd: 0.0033, decision: 'allowed', reason: null, http_status: 200,
});

function benchAppend(immutable) {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-bench-events-'));
  const log = new EventLog({ stateDir, immutable });
  const events = Array.from({ length: count }, (_, i) => event(i));
  for (let i = 0; i < 500; i++) log.append(events[i]); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 500; i < count; i++) log.append(events[i]);
  const micros = Number(process.hrtime.bigint() - start) / 1000 / (count - 500);
  log.close();
  return { stateDir, micros };
}

function timeMs(fn, runs = 20) {
  fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / runs;
}

const plain = benchAppend(false);
const chained = benchAppend(true);
const dir = join(chained.stateDir, 'events');
const bytes = readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
console.log(`append, plain:        ${plain.micros.toFixed(1)} µs/event (${count} events)`);
console.log(`append, hash-chained: ${chained.micros.toFixed(1)} µs/event`);
const reader = new EventLog({ stateDir: chained.stateDir });
const filters = parseFilters(['tag=control']);
console.log(`query newest 5 of ${count} (${(bytes / 1e6).toFixed(1)} MB): ${timeMs(() => reader.query({ limit: 5 })).toFixed(3)} ms`);
console.log(`query newest 100 with --filter tag=control: ${timeMs(() => reader.query({ filters, limit: 100 })).toFixed(3)} ms`);
console.log(`query all ${count}: ${timeMs(() => reader.query({ limit: count }), 3).toFixed(1)} ms`);

// The events API answering GET /kt/v1/events?limit=10000 while the same process serves small requests:
// the longest the event loop was held (what a request being routed meanwhile waits), the API as it is
// against the one-piece read and JSON.stringify it replaced, both in this process.
async function apiStall(mode) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/ping') return res.end('ok');
    if (mode === 'one piece') {
      const body = JSON.stringify({ object: 'list', data: reader.query({ limit: 10_000 }) });
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(body);
    }
    handleEventsRequest(req, res, url, reader);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const get = (path) => new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end();
  });
  const stalls = [];
  const pings = [];
  for (let run = 0; run < 7; run++) {
    let longest = 0;
    let last = performance.now();
    const ticker = setInterval(() => { const now = performance.now(); longest = Math.max(longest, now - last); last = now; }, 1);
    let done = false;
    const big = get('/kt/v1/events?limit=10000').then(() => { done = true; });
    // Small requests while the big one is served: their round trip is what routing would feel.
    while (!done) {
      const t = performance.now();
      await get('/ping');
      pings.push(performance.now() - t);
    }
    await big;
    clearInterval(ticker);
    stalls.push(longest);
  }
  server.close();
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];
  return { stall: med(stalls), pingP99: p99(pings), pings: pings.length };
}
const before = await apiStall('one piece');
const after = await apiStall('batched');
console.log(`events API, 10,000-event list with small requests alongside (median of 7):`);
console.log(`  one-piece read + stringify: longest event-loop stall ${before.stall.toFixed(1)} ms, small request p99 ${before.pingP99.toFixed(1)} ms (${before.pings} sent)`);
console.log(`  async query + batched JSON: longest event-loop stall ${after.stall.toFixed(1)} ms, small request p99 ${after.pingP99.toFixed(1)} ms (${after.pings} sent)`);
rmSync(plain.stateDir, { recursive: true, force: true });
rmSync(chained.stateDir, { recursive: true, force: true });
