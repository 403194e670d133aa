import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dashboardSeries, OTHER_MODELS } from '../../client/dashboard/series';
import { decisionEvent } from './fixtures/events';

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

test('events fold into time buckets per model: counts, p50/p95 latency with gaps, fallbacks and errors', () => {
  const data = dashboardSeries([
    decisionEvent({ ts: at(0), latency_ms: 100 }),
    decisionEvent({ ts: at(0.5), latency_ms: 300 }),
    decisionEvent({ ts: at(1), latency_ms: 200, provider: 'anthropic', resolved_model: 'claude-3-5-haiku', fallback_count: 1 }),
    decisionEvent({ ts: at(3), latency_ms: 900, provider: null, resolved_model: null, decision: 'error', actual_cost_usd: null, estimated_cost_usd: null }),
    decisionEvent({ ts: at(3), kind: 'access', model_group: null }),
  ]);
  assert.equal(data.bucketSeconds, 1);
  assert.deepEqual(data.times, [T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 2, T0 / 1000 + 3]);
  assert.equal(data.requests, 4);
  // Busiest first, ties by name.
  assert.deepEqual(data.models.map((m) => m.model), ['openai/gpt-4o-mini', '(failed)', 'anthropic/claude-3-5-haiku']);
  const [openai, failed, anthropic] = data.models;
  assert.deepEqual([openai!.model, openai!.requests, openai!.p50, openai!.p95], ['openai/gpt-4o-mini', [2, 0, 0, 0], [100, null, null, null], [300, null, null, null]]);
  assert.deepEqual([anthropic!.model, anthropic!.requests], ['anthropic/claude-3-5-haiku', [0, 1, 0, 0]]);
  assert.deepEqual([failed!.model, failed!.requests, failed!.p50], ['(failed)', [0, 0, 0, 1], [null, null, null, 900]]);
  assert.deepEqual(data.fallbacks, [0, 1, 0, 0]);
  assert.deepEqual(data.errors, [0, 0, 0, 1]);
});

test('cost per group and per tag, largest first, actual cost else estimated', () => {
  const data = dashboardSeries([
    decisionEvent({ ts: at(0), tag: 'a', actual_cost_usd: 0.01 }),
    decisionEvent({ ts: at(1), tag: 'b', actual_cost_usd: null, estimated_cost_usd: 0.03 }),
    decisionEvent({ ts: at(2), model_group: 'reliable-chat', model: 'reliable-chat', actual_cost_usd: 0.005 }),
  ]);
  assert.deepEqual(data.costByGroup.map((r) => [r.key, r.requests, +r.usd.toFixed(6)]), [['fast-chat', 2, 0.04], ['reliable-chat', 1, 0.005]]);
  assert.deepEqual(data.costByTag.map((r) => r.key), ['b', 'a', '(untagged)']);
  assert.equal(+data.totalUsd.toFixed(6), 0.045);
});

test('10,000 events over a day stay within the bucket and series limits', () => {
  const events = Array.from({ length: 10_000 }, (_, i) => decisionEvent({
    ts: at(i * 8.64), latency_ms: 50 + (i % 100), provider: `p${i % 12}`, resolved_model: 'm',
  }));
  const data = dashboardSeries(events, { maxBuckets: 120, maxSeries: 8 });
  assert.ok(data.times.length <= 120 && data.times.length >= 60, `${data.times.length} buckets`);
  assert.equal(data.bucketSeconds, 900);
  assert.equal(data.models.length, 8);
  assert.equal(data.models[7]!.model, OTHER_MODELS);
  const total = data.models.reduce((sum, m) => sum + m.requests.reduce((a, b) => a + b, 0), 0);
  assert.equal(total, 10_000, 'every request is counted once');
  for (const m of data.models) assert.equal(m.p50.length, data.times.length);
});

test('no request events: empty series, nothing to draw', () => {
  const data = dashboardSeries([decisionEvent({ kind: 'access' }), decisionEvent({ ts: 'not a time' })]);
  assert.deepEqual([data.times, data.models, data.requests], [[], [], 0]);
});

test('the recent events keep time order, each event once, and the newest `capacity`', async () => {
  const { RecentEvents } = await import('../../client/dashboard/recent-events');
  const recent = new RecentEvents(3);
  const [a, b, c, d] = [0, 1, 2, 3].map((s) => decisionEvent({ ts: at(s) }));
  recent.add([c!, d!]);
  recent.add([a!, b!, c!]);
  assert.deepEqual(recent.all().map((e) => e.id), [b!.id, c!.id, d!.id]);
  const version = recent.version;
  recent.add([d!]);
  assert.equal(recent.version, version, 'a duplicate changes nothing');
});
