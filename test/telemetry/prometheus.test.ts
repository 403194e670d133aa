// GatewayMetrics over prom-client: a private registry per instance, queued events applied by a scrape,
// and a queue that never holds more than its bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayMetrics } from '../../gateway/telemetry/prometheus';
import { vocabularyOf } from '../../gateway/telemetry/metrics';
import { parsePrometheusText, sumOf } from '../support/prometheus-text';
import { sampleEvent } from '../events/fixtures/sample-events';

const vocabulary = vocabularyOf([{ name: 'fast-chat', models: [{ provider: 'openai', model: 'gpt-4o-mini' }] }], ['openai']);

async function requestsCounted(metrics: GatewayMetrics): Promise<number> {
  const values = (await metrics.registry.getSingleMetric('kt_requests_total')!.get()).values;
  return values.reduce((total, v) => total + v.value, 0);
}

test('a scrape includes every event observed before it; two instances share nothing', async () => {
  const a = new GatewayMetrics(() => vocabulary);
  const b = new GatewayMetrics(() => vocabulary);
  for (let i = 0; i < 3; i++) a.observe(sampleEvent());
  b.observe(sampleEvent({ decision: 'error', http_status: 502 }));
  const samples = parsePrometheusText(await a.render());
  assert.equal(sumOf(samples, 'kt_requests_total', { model_group: 'fast-chat', decision: 'allowed' }), 3);
  assert.equal(sumOf(samples, 'gen_ai_client_token_usage_sum', { gen_ai_token_type: 'output' }), 90);
  assert.equal(sumOf(parsePrometheusText(await b.render()), 'kt_requests_total', { decision: 'error' }), 1);
  assert.equal(sumOf(parsePrometheusText(await b.render()), 'kt_requests_total', { decision: 'allowed' }), 0);
});

test('events wait in the queue until a scrape or the batch, but never more than 1,024 of them', async () => {
  const metrics = new GatewayMetrics(() => vocabulary);
  for (let i = 0; i < 1023; i++) metrics.observe(sampleEvent());
  assert.equal(await requestsCounted(metrics), 0, 'still queued');
  metrics.observe(sampleEvent());
  assert.equal(await requestsCounted(metrics), 1024, 'the full queue was applied at once');
});
