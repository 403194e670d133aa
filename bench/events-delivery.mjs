// Live delivery of decision events: time from EventLog.append to the event reaching a reader, for
// `kt events tail --follow` on the state dir (file watch) and for the gateway's SSE stream.
// Target: under 100 ms. Run: node --import tsx bench/events-delivery.mjs [count]
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { EventLog, newEventId } from '../gateway/events/event-log.ts';
import { followEventLog } from '../gateway/events/follow.ts';
import { handleEventsRequest } from '../gateway/http/events-api.ts';
import { parseSse } from '../gateway/providers/sse.ts';

const count = Number(process.argv[2] ?? 50);
const event = () => ({
  id: newEventId(), ts: new Date().toISOString(), kind: 'request', key_id: 'dev', model: 'fast-chat', model_group: 'fast-chat',
  strategy: 'weighted', provider: 'openai', resolved_model: 'gpt-4o-mini', tag: 'control', session_id: null, stream: false,
  fallback_count: 0, attempts: [], latency_ms: 120, ttft_ms: 120, tokens: { prompt: 10, completion: 20, total: 30 },
  estimated_cost_usd: null, actual_cost_usd: null, decision: 'allowed', reason: null, http_status: 200,
});
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

async function measure(name, open) {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-bench-delivery-'));
  const log = new EventLog({ stateDir });
  const { events, close } = await open(log, stateDir);
  const iterator = events[Symbol.asyncIterator]();
  const delays = [];
  for (let i = 0; i < count; i++) {
    const sent = log.append(event());
    const at = performance.now();
    for (;;) {
      const next = await iterator.next();
      if (next.done) throw new Error(`${name}: feed ended`);
      if (next.value.id === sent.id) break;
    }
    delays.push(performance.now() - at);
    await new Promise((r) => setTimeout(r, 5));
  }
  await close();
  log.close();
  rmSync(stateDir, { recursive: true, force: true });
  console.log(`${name.padEnd(28)} p50 ${pct(delays, 50).toFixed(2)} ms  p95 ${pct(delays, 95).toFixed(2)} ms  max ${Math.max(...delays).toFixed(2)} ms  (target < 100 ms)`);
}

await measure('--follow on the state dir', async (_log, stateDir) => {
  const feed = followEventLog(stateDir);
  return { events: feed.events, close: async () => feed.close() };
});

await measure('SSE /kt/v1/events/stream', async (log) => {
  const server = createServer((req, res) => handleEventsRequest(req, res, new URL(req.url, 'http://x'), log));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const controller = new AbortController();
  const response = await request(`http://127.0.0.1:${server.address().port}/kt/v1/events/stream`, { signal: controller.signal, bodyTimeout: 0 });
  async function* events() {
    for await (const { data } of parseSse(response.body)) yield JSON.parse(data);
  }
  return {
    events: events(),
    close: async () => {
      controller.abort();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
});
process.exit(0);
