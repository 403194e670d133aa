import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeStats, percentile } from '../../gateway/events/stats';
import { abEvent, blockedEvent, fallbackEvent, sampleEvent } from './fixtures/sample-events';

test('per tag: count, nearest-rank p50/p95, average tokens, rates and cost', () => {
  const control = [100, 200, 300, 400].map((latency) => abEvent('control', { latency_ms: latency, actual_cost_usd: 0.001 }));
  const experiment = [
    abEvent('experiment', { latency_ms: 50, tokens: { prompt: 10, completion: 10, total: 20 }, actual_cost_usd: null }),
    abEvent('experiment', { latency_ms: 70, decision: 'blocked', tokens: { prompt: 0, completion: 0, total: 0 }, actual_cost_usd: null }),
  ];
  const stats = computeStats([...control, ...experiment], 'tag');
  assert.deepEqual(stats, [
    { key: 'control', count: 4, p50_latency_ms: 200, p95_latency_ms: 400, avg_tokens: 50, block_rate_pct: 0, error_rate_pct: 0, fallback_rate_pct: 0, total_cost_usd: 0.004 },
    { key: 'experiment', count: 2, p50_latency_ms: 50, p95_latency_ms: 70, avg_tokens: 10, block_rate_pct: 50, error_rate_pct: 0, fallback_rate_pct: 0, total_cost_usd: null },
  ]);
});

test('model buckets use the group, else the requested model; other dimensions as named', () => {
  const events = [
    fallbackEvent(), fallbackEvent({ fallback_count: 0, decision: 'error', http_status: 502 }),
    sampleEvent({ model: 'gpt-4o', model_group: null, resolved_model: 'gpt-4o' }), blockedEvent(),
  ];
  const byModel = computeStats(events, 'model');
  assert.deepEqual(byModel.map((b) => [b.key, b.count]), [['reliable-chat', 2], ['gpt-4o', 1], ['premium-chat', 1]]);
  assert.equal(byModel[0].fallback_rate_pct, 50);
  assert.equal(byModel[0].error_rate_pct, 50);
  assert.deepEqual(computeStats(events, 'provider').map((b) => [b.key, b.count]), [['anthropic', 2], ['openai', 1], [null, 1]]);
  assert.deepEqual(computeStats(events, 'resolved_model').map((b) => b.key), ['claude-sonnet-4', 'gpt-4o', null]);
});

test('api buckets: the route each request came in on; events from before api was recorded count as chat', () => {
  const events = [sampleEvent({ api: 'messages' }), sampleEvent({ api: 'messages' }), sampleEvent({ api: 'responses' }), sampleEvent({ api: undefined }), sampleEvent({ api: 'chat' })];
  assert.deepEqual(computeStats(events, 'api').map((b) => [b.key, b.count]), [['chat', 2], ['messages', 2], ['responses', 1]]);
});

test('percentile uses the nearest rank and handles empty input', () => {
  const values = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 10);
  assert.equal(percentile(values, 95), 19);
  assert.equal(percentile([7], 95), 7);
  assert.equal(percentile([], 50), 0);
  assert.deepEqual(computeStats([], 'tag'), []);
});
