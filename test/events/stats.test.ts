import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_ARM_REQUESTS, compareArms, computeStats, percentile } from '../../gateway/events/stats';
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

test('A/B arms: each arm against "control", latency and cost per allowed request with a 95% Welch interval', () => {
  const events = [
    // Control: 30 requests around 200 ms at $0.001; the experiment: 30 around 260 ms at $0.0005.
    ...Array.from({ length: 30 }, (_, i) => abEvent('control', { latency_ms: 190 + (i % 5) * 5, actual_cost_usd: 0.001 + (i % 3) * 1e-5 })),
    ...Array.from({ length: 30 }, (_, i) => abEvent('experiment', { latency_ms: 250 + (i % 5) * 5, actual_cost_usd: 0.0005 + (i % 3) * 1e-5 })),
    // Neither blocks, errors nor untagged requests belong to an arm's numbers.
    abEvent('experiment', { decision: 'error', http_status: 502, latency_ms: 90_000 }),
    blockedEvent({ tag: 'control', latency_ms: 1 }),
    sampleEvent({ tag: null, latency_ms: 5 }),
  ];
  const [latency, cost] = compareArms(events);
  assert.equal(latency.metric, 'latency_ms');
  assert.deepEqual([latency.baseline, latency.arm, latency.baseline_n, latency.arm_n, latency.baseline_mean, latency.arm_mean], ['control', 'experiment', 30, 30, 200, 260]);
  assert.equal(latency.difference, 60);
  // Both arms: sd 7.19 over 30, so se = 1.857 and t(0.975, 58) = 2.0017.
  assert.ok(latency.ci95![0] > 56.2 && latency.ci95![0] < 56.4 && latency.ci95![1] > 63.6 && latency.ci95![1] < 63.8, String(latency.ci95));
  assert.match(latency.verdict, /^experiment is slower by 56\.\d ms to 63\.\d ms per request$/);
  assert.equal(cost.metric, 'cost_usd');
  assert.equal(cost.difference, -0.0005);
  assert.match(cost.verdict, /^experiment is cheaper by \$0\.000\d+ to \$0\.000\d+ per request$/);
});

test('A/B arms: an interval that includes 0 says no difference; under 20 requests an arm is too few to tell', () => {
  const alternating = (tag: 'control' | 'experiment', n: number) => Array.from({ length: n }, (_, i) => abEvent(tag, { latency_ms: i % 2 ? 100 : 300, actual_cost_usd: null }));
  const [same, noCost] = compareArms([...alternating('control', 40), ...alternating('experiment', 40)]);
  assert.equal(same.difference, 0);
  assert.ok(same.ci95![0] < 0 && same.ci95![1] > 0);
  assert.equal(same.verdict, 'no difference shown: the interval includes 0');
  assert.equal(noCost.ci95, null);
  assert.match(noCost.verdict, /too few requests to tell \(control: 0, experiment: 0 priced requests; needs 20 per arm\)/);
  const [few] = compareArms([...alternating('control', 40), ...alternating('experiment', MIN_ARM_REQUESTS - 1)]);
  assert.equal(few.ci95, null);
  assert.equal(few.verdict, 'too few requests to tell (control: 40, experiment: 19 requests; needs 20 per arm)');
  const [enough] = compareArms([...alternating('control', 40), ...alternating('experiment', MIN_ARM_REQUESTS)]);
  assert.ok(enough.ci95);
});

test('A/B arms without a "control" tag compare with the largest arm; one arm alone has nothing to compare', () => {
  const arm = (tag: string, n: number) => Array.from({ length: n }, () => sampleEvent({ tag }));
  const comparisons = compareArms([...arm('b', 5), ...arm('a', 9), ...arm('c', 2)]);
  assert.deepEqual(comparisons.map((c) => [c.metric, c.baseline, c.arm]), [['latency_ms', 'a', 'b'], ['cost_usd', 'a', 'b'], ['latency_ms', 'a', 'c'], ['cost_usd', 'a', 'c']]);
  assert.deepEqual(compareArms(arm('solo', 30)), []);
  assert.deepEqual(compareArms([]), []);
});
