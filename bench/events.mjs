// Decision event log cost: µs per append (plain and hash-chained) and a newest-5 query over a big log.
// Run: node --import tsx bench/events.mjs [appends]
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, newEventId } from '../gateway/events/event-log.ts';
import { parseFilters } from '../gateway/events/filter.ts';

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
rmSync(plain.stateDir, { recursive: true, force: true });
rmSync(chained.stateDir, { recursive: true, force: true });
