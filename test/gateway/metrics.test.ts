// GET /metrics through a real gateway: the openai SDK sends requests, then the Prometheus text is read back
// and its counts compared with what was sent. Admin keys only; the --metrics-port listener needs no key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeOpenAI, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { parsePrometheusText, sumOf, type Sample } from '../support/prometheus-text';
import { hello, startTestGateway, target, type TestGateway } from './harness';

let upstream: FakeUpstream;

const config = (baseUrl: string) => `providers:
  targets:
${target('openai', baseUrl)}model_groups:
  - name: chat
    strategy: fallback
    models:
      - provider: openai
        model: gpt-4o-mini
        cost_per_1k_input: 0.00015
        cost_per_1k_output: 0.0006
      - provider: openai
        model: gpt-4o
        cost_per_1k_input: 0.0025
        cost_per_1k_output: 0.01
`;

async function scrape(url: string, key?: string): Promise<Sample[]> {
  const r = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  assert.equal(r.status, 200, await r.clone().text());
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await r.text());
}

async function start(options: Parameters<typeof startTestGateway>[1] = {}): Promise<TestGateway> {
  return startTestGateway(config(upstream.baseUrl), { env: { OPENAI_KEY: FAKE_OPENAI_KEY }, ...options });
}

before(async () => {
  upstream = await startFakeOpenAI();
});
after(async () => {
  await upstream.close();
});

test('N requests through the SDK show up as N requests, with their fallbacks, tokens, cost and latencies', async (t) => {
  const gw = await start();
  t.after(() => gw.close());
  let prompt = 0;
  let completion = 0;
  for (let i = 0; i < 3; i++) {
    const r = await gw.client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: `Question ${i}` }] });
    prompt += r.usage!.prompt_tokens;
    completion += r.usage!.completion_tokens;
  }
  const stream = await gw.client.chat.completions.create({ model: 'chat', messages: hello, stream: true, stream_options: { include_usage: true } });
  for await (const chunk of stream) {
    if (chunk.usage) {
      prompt += chunk.usage.prompt_tokens;
      completion += chunk.usage.completion_tokens;
    }
  }
  // The first model answers 503 once: the group falls back to gpt-4o.
  upstream.setBehavior({ failStatus: 503, times: 1 });
  const fellBack = await gw.client.chat.completions.create({ model: 'chat', messages: hello });
  assert.equal(fellBack.model, 'gpt-4o');
  prompt += fellBack.usage!.prompt_tokens;
  completion += fellBack.usage!.completion_tokens;
  await assert.rejects(gw.client.chat.completions.create({ model: 'no-such-model-xyz', messages: hello }), OpenAI.NotFoundError);

  const samples = await scrape(`${gw.url}/metrics`, gw.key);
  assert.equal(sumOf(samples, 'kt_requests_total', { model_group: 'chat', decision: 'allowed', api: 'chat' }), 5);
  assert.equal(sumOf(samples, 'kt_requests_total', { model_group: 'chat', resolved_model: 'gpt-4o', provider: 'openai' }), 1);
  assert.equal(sumOf(samples, 'kt_requests_total', { decision: 'blocked', model_group: '' }), 1);
  assert.equal(sumOf(samples, 'kt_fallbacks_total', { model_group: 'chat', resolved_model: 'gpt-4o' }), 1);
  assert.equal(sumOf(samples, 'gen_ai_client_token_usage_sum', { gen_ai_token_type: 'input', gen_ai_request_model: 'chat' }), prompt);
  assert.equal(sumOf(samples, 'gen_ai_client_token_usage_sum', { gen_ai_token_type: 'output', gen_ai_request_model: 'chat' }), completion);
  assert.equal(sumOf(samples, 'gen_ai_client_token_usage_count', { gen_ai_token_type: 'output' }), 5);
  assert.equal(sumOf(samples, 'gen_ai_client_operation_duration_seconds_count'), 6);
  assert.equal(sumOf(samples, 'gen_ai_client_operation_duration_seconds_count', { error_type: '404' }), 1);
  assert.equal(sumOf(samples, 'gen_ai_client_operation_duration_seconds_bucket', { gen_ai_request_model: 'chat', le: '60' }), 5);
  assert.equal(sumOf(samples, 'kt_time_to_first_token_seconds_count', { stream: 'true' }), 1);
  assert.equal(sumOf(samples, 'kt_time_to_first_token_seconds_count', { stream: 'false' }), 4);
  const cost = gw.events().reduce((total, e) => total + (e.actual_cost_usd ?? 0), 0);
  assert.ok(cost > 0);
  assert.ok(Math.abs(sumOf(samples, 'kt_cost_usd_total') - cost) < 1e-12, `${sumOf(samples, 'kt_cost_usd_total')} vs ${cost}`);
  // What a client asks for never becomes a label; neither does the key.
  assert.ok(samples.every((s) => !Object.values(s.labels).some((v) => v.includes('no-such-model') || v === 'test')));
});

test('GET /metrics needs an admin key: 401 without one, 403 with a key that is not admin', async (t) => {
  const gw = await start();
  t.after(() => gw.close());
  const none = await fetch(`${gw.url}/metrics`);
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
  const created = gw.gateway.keys.create({ name: 'reader', groups: [], admin: false });
  if ('error' in created) throw new Error(created.error);
  const notAdmin = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${created.key}` } });
  assert.equal(notAdmin.status, 403);
  const body = (await notAdmin.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'admin_required');
  assert.match(body.error.message, /which the metrics endpoint needs/);
  const post = await fetch(`${gw.url}/metrics`, { method: 'POST', headers: { authorization: `Bearer ${gw.key}` } });
  assert.equal(post.status, 405);
});

test('the metrics port serves GET /metrics without a key, and nothing else', async (t) => {
  const gw = await start({ metricsPort: 0 });
  t.after(() => gw.close());
  const metricsUrl = gw.gateway.metricsUrl!;
  assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  assert.notEqual(new URL(metricsUrl).port, String(gw.gateway.port));
  await gw.client.chat.completions.create({ model: 'chat', messages: hello });
  await gw.client.chat.completions.create({ model: 'chat', messages: hello });
  assert.equal(sumOf(await scrape(metricsUrl), 'kt_requests_total', { model_group: 'chat' }), 2);
  const other = await fetch(new URL('/v1/models', metricsUrl));
  assert.equal(other.status, 404);
  assert.equal((await fetch(`${gw.url}/metrics`)).status, 401, 'the main port still wants a key');
});

test('metrics count with decision events off; --no-metrics turns them off; each gateway has its own', async (t) => {
  const quiet = await start({ recordEvents: false });
  const off = await start({ metrics: false });
  t.after(async () => {
    await quiet.close();
    await off.close();
  });
  await quiet.client.chat.completions.create({ model: 'chat', messages: hello });
  await quiet.client.chat.completions.create({ model: 'chat', messages: hello });
  await quiet.client.chat.completions.create({ model: 'chat', messages: hello });
  await off.client.chat.completions.create({ model: 'chat', messages: hello });
  assert.equal(quiet.gateway.events, undefined);
  assert.equal(sumOf(await scrape(`${quiet.url}/metrics`, quiet.key), 'kt_requests_total'), 3);
  const disabled = await fetch(`${off.url}/metrics`, { headers: { authorization: `Bearer ${off.key}` } });
  assert.equal(disabled.status, 404);
  assert.equal(((await disabled.json()) as { error: { code: string } }).error.code, 'metrics_disabled');
  assert.equal(off.events().length, 1, 'events are still recorded with metrics off');
});
