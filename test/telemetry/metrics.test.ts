// The pure event -> metric updates mapping: which series a decision event touches, by how much, and that
// label values come only from names the config defines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METRICS, OTHER, metricUpdates, vocabularyOf, type MetricUpdate } from '../../gateway/telemetry/metrics';
import { fallbackEvent, sampleEvent } from '../events/fixtures/sample-events';

const vocabulary = vocabularyOf(
  [
    { name: 'fast-chat', models: [{ provider: 'openai', model: 'gpt-4o-mini' }] },
    { name: 'reliable-chat', models: [{ provider: 'openai', model: 'gpt-4o' }, { provider: 'anthropic', model: 'claude-sonnet-4' }] },
  ],
  ['openai', 'anthropic'],
);

function only(updates: MetricUpdate[], metric: string): MetricUpdate[] {
  return updates.filter((u) => u.metric === metric);
}

test('an answered request counts once, with its duration, tokens in and out, and cost', () => {
  const updates = metricUpdates(sampleEvent({ latency_ms: 125, tokens: { prompt: 20, completion: 30, total: 50 }, actual_cost_usd: 0.000021 }), vocabulary);
  const kt = { api: 'chat', model_group: 'fast-chat', resolved_model: 'gpt-4o-mini', provider: 'openai' };
  const genAi = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'fast-chat', gen_ai_response_model: 'gpt-4o-mini' };
  assert.deepEqual(updates, [
    { metric: 'kt_requests_total', labels: { ...kt, decision: 'allowed' }, inc: 1 },
    { metric: 'gen_ai_client_operation_duration_seconds', labels: { ...genAi, error_type: '' }, observe: 0.125 },
    { metric: 'kt_cost_usd_total', labels: kt, inc: 0.000021 },
    { metric: 'gen_ai_client_token_usage', labels: { ...genAi, gen_ai_token_type: 'input' }, observe: 20 },
    { metric: 'gen_ai_client_token_usage', labels: { ...genAi, gen_ai_token_type: 'output' }, observe: 30 },
  ]);
});

test('every update uses exactly the label names its metric declares', () => {
  const events = [
    sampleEvent({ ttft_ms: 40, stream: true }),
    fallbackEvent(),
    sampleEvent({ decision: 'blocked', http_status: 401, key_id: null, model: null, model_group: null, strategy: null, provider: null, resolved_model: null, tokens: { prompt: 0, completion: 0, total: 0 }, actual_cost_usd: null }),
  ];
  for (const event of events) {
    for (const u of metricUpdates(event, vocabulary)) {
      assert.deepEqual(Object.keys(u.labels).sort(), [...METRICS[u.metric].labelNames].sort(), u.metric);
      assert.equal(METRICS[u.metric].type, 'inc' in u ? 'counter' : 'histogram', u.metric);
    }
  }
});

test('fallbacks count the attempts before the one that answered; time to first token is kept by stream mode', () => {
  const updates = metricUpdates(fallbackEvent({ fallback_count: 2, ttft_ms: 1500, stream: true }), vocabulary);
  assert.deepEqual(only(updates, 'kt_fallbacks_total'), [
    { metric: 'kt_fallbacks_total', labels: { api: 'chat', model_group: 'reliable-chat', resolved_model: 'claude-sonnet-4', provider: 'anthropic' }, inc: 2 },
  ]);
  assert.deepEqual(only(updates, 'kt_time_to_first_token_seconds'), [
    { metric: 'kt_time_to_first_token_seconds', labels: { api: 'chat', model_group: 'reliable-chat', resolved_model: 'claude-sonnet-4', provider: 'anthropic', stream: 'true' }, observe: 1.5 },
  ]);
  assert.deepEqual(only(metricUpdates(sampleEvent(), vocabulary), 'kt_fallbacks_total'), [], 'no fallback, no increment');
});

test('a refused request counts under its decision with empty labels, and records no tokens or cost', () => {
  const updates = metricUpdates(sampleEvent({
    decision: 'blocked', http_status: 401, key_id: null, model: null, model_group: null, strategy: null, provider: null, resolved_model: null,
    attempts: [], tokens: { prompt: 0, completion: 0, total: 0 }, estimated_cost_usd: null, actual_cost_usd: null, latency_ms: 2,
  }), vocabulary);
  assert.deepEqual(updates.map((u) => u.metric), ['kt_requests_total', 'gen_ai_client_operation_duration_seconds']);
  assert.deepEqual(updates[0].labels, { api: 'chat', model_group: '', resolved_model: '', provider: '', decision: 'blocked' });
  assert.equal(updates[1].labels.error_type, '401');
});

test('error types: the HTTP status answered, or stream_interrupted after a 200', () => {
  const errorType = (decision: 'error' | 'allowed', http_status: number) =>
    only(metricUpdates(sampleEvent({ decision, http_status }), vocabulary), 'gen_ai_client_operation_duration_seconds')[0].labels.error_type;
  assert.equal(errorType('error', 502), '502');
  assert.equal(errorType('error', 499), '499');
  assert.equal(errorType('error', 200), 'stream_interrupted');
  assert.equal(errorType('allowed', 200), '');
});

test('names from outside the config are counted as "other", so clients cannot add series', () => {
  // A direct request for a model no group lists (provider-id/anything is routed as asked).
  const direct = metricUpdates(sampleEvent({ model: 'openai/any-model-a-client-invents', model_group: null, strategy: 'direct', resolved_model: 'any-model-a-client-invents' }), vocabulary);
  assert.equal(direct[0].labels.resolved_model, OTHER);
  assert.equal(only(direct, 'gen_ai_client_operation_duration_seconds')[0].labels.gen_ai_request_model, OTHER);
  assert.equal(only(direct, 'gen_ai_client_operation_duration_seconds')[0].labels.gen_ai_response_model, OTHER);
  // A group or provider gone in a hot reload.
  const stale = metricUpdates(sampleEvent({ model_group: 'removed-group', provider: 'removed-provider' }), vocabulary);
  assert.equal(stale[0].labels.model_group, OTHER);
  assert.equal(stale[0].labels.provider, OTHER);
  // An unknown model is never a label, even when the event names it as requested.
  const notFound = metricUpdates(sampleEvent({ model: 'no-such-model', model_group: null, strategy: null, provider: null, resolved_model: null, decision: 'blocked', http_status: 404 }), vocabulary);
  assert.ok(notFound.every((u) => !Object.values(u.labels).includes('no-such-model')));
});

test('a direct request for a configured model keeps the name it was asked by', () => {
  for (const asked of ['gpt-4o', 'openai/gpt-4o']) {
    const updates = metricUpdates(sampleEvent({ model: asked, model_group: null, strategy: 'direct', resolved_model: 'gpt-4o' }), vocabulary);
    assert.equal(updates[0].labels.model_group, '');
    assert.equal(only(updates, 'gen_ai_client_operation_duration_seconds')[0].labels.gen_ai_request_model, asked);
  }
});

test('the api label defaults to chat for events written before it was recorded; embeddings is its own operation', () => {
  const legacy = sampleEvent();
  delete legacy.api;
  assert.equal(metricUpdates(legacy, vocabulary)[0].labels.api, 'chat');
  const embeddings = metricUpdates(sampleEvent({ api: 'embeddings' }), vocabulary);
  assert.equal(embeddings[0].labels.api, 'embeddings');
  assert.equal(only(embeddings, 'gen_ai_client_operation_duration_seconds')[0].labels.gen_ai_operation_name, 'embeddings');
  assert.equal(only(metricUpdates(sampleEvent({ api: 'messages' }), vocabulary), 'gen_ai_client_operation_duration_seconds')[0].labels.gen_ai_operation_name, 'chat');
});

test('access events are not requests and change no metric', () => {
  assert.deepEqual(metricUpdates(sampleEvent({ kind: 'access', path: '/v1/models' }), vocabulary), []);
});

test('duration buckets run from 1 ms to 60 s', () => {
  const buckets = METRICS.gen_ai_client_operation_duration_seconds.buckets!;
  assert.equal(buckets[0], 0.001);
  assert.equal(buckets.at(-1), 60);
  assert.deepEqual(METRICS.kt_time_to_first_token_seconds.buckets, buckets);
});
