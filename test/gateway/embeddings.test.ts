// POST /v1/embeddings through the gateway with the official openai SDK as the client: OpenAI, Azure,
// Ollama and mock targets, fallback, cost and the one decision event per request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeAnthropic, startFakeAzure, startFakeOllama, startFakeOpenAI, FAKE_ANTHROPIC_KEY, FAKE_AZURE_KEY, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { fakeVector } from '../fakes/fake-upstream';
import { knownModel } from '../../gateway/policy/known-models';
import { LatencyBoard } from '../../gateway/routing/latency';
import { planEmbeddingRoute, type RoutedGroup } from '../../gateway/routing/plan';
import { startTestGateway, type TestGateway } from './harness';

let a: FakeUpstream;
let b: FakeUpstream;
let azure: FakeUpstream;
let ollama: FakeUpstream;
let anthropic: FakeUpstream;
let gw: TestGateway;

before(async () => {
  [a, b, azure, ollama, anthropic] = await Promise.all([
    startFakeOpenAI(), startFakeOpenAI(), startFakeAzure({ deployments: ['embed-small'] }), startFakeOllama({ models: ['nomic-embed-text'] }), startFakeAnthropic(),
  ]);
  const yaml = `providers:
  targets:
    - id: a
      provider:
        type: openai
        base_url: ${a.baseUrl}
        secret_key_ref:
          env: A_KEY
    - id: b
      provider:
        type: openai
        base_url: ${b.baseUrl}
        secret_key_ref:
          env: B_KEY
    - id: azure
      provider:
        type: azure-openai
        base_url: ${azure.url}/openai/deployments/embed-small/
        secret_key_ref:
          env: AZURE_KEY
    - id: local-ollama
      provider:
        type: ollama
        base_url: ${ollama.baseUrl}
    - id: claude
      provider:
        type: anthropic
        base_url: ${anthropic.baseUrl}
        secret_key_ref:
          env: ANTHROPIC_KEY
    - id: mock
      provider:
        type: mock
        base_url: mock://embed
model_groups:
  - name: embed
    strategy: fallback
    models:
      - provider: a
        model: text-embedding-3-small
        timeout_ms: 2000
      - provider: b
        model: text-embedding-3-large
        timeout_ms: 2000
  - name: embed-quick
    strategy: fallback
    models:
      - provider: a
        model: text-embedding-3-small
        timeout_ms: 300
      - provider: b
        model: text-embedding-3-large
        timeout_ms: 2000
  - name: azure-embed
    models:
      - provider: azure
        model: embed-small
  - name: local-embed
    models:
      - provider: local-ollama
        model: nomic-embed-text
  - name: claude-first
    strategy: fallback
    models:
      - provider: claude
        model: claude-sonnet-4
        timeout_ms: 2000
      - provider: mock
        model: text-embedding-3-small
        timeout_ms: 2000
  - name: claude-only
    models:
      - provider: claude
        model: claude-haiku-4-5
  - name: mock-embed
    models:
      - provider: mock
        model: text-embedding-3-small
  - name: cheapest
    strategy: cost
    budget_per_request_usd: 0.001
    models:
      - provider: b
        model: text-embedding-3-large
        cost_per_1k_input: 0.00013
      - provider: a
        model: text-embedding-3-small
        cost_per_1k_input: 0.00002
`;
  gw = await startTestGateway(yaml, { env: { A_KEY: FAKE_OPENAI_KEY, B_KEY: FAKE_OPENAI_KEY, AZURE_KEY: FAKE_AZURE_KEY, ANTHROPIC_KEY: FAKE_ANTHROPIC_KEY } });
});

after(async () => {
  await gw?.close();
  await Promise.all([a, b, azure, ollama, anthropic].map((f) => f?.close()));
});

function reset(): void {
  for (const f of [a, b, azure, ollama, anthropic]) f.setBehavior({});
}

function postEmbeddings(body: unknown): Promise<Response> {
  return fetch(`${gw.url}/v1/embeddings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const lastEvent = () => gw.events().at(-1)!;

test('SDK, float: the fake\'s vector reaches the client in OpenAI\'s shape', async () => {
  reset();
  const { data: r, response } = await gw.client.embeddings.create({ model: 'embed', input: 'The food was delicious', encoding_format: 'float' }).withResponse();
  assert.equal(r.object, 'list');
  assert.equal(r.model, 'text-embedding-3-small');
  assert.equal(r.data.length, 1);
  assert.equal(r.data[0].object, 'embedding');
  assert.equal(r.data[0].index, 0);
  assert.deepEqual(r.data[0].embedding, fakeVector('The food was delicious', 1536));
  assert.ok(r.usage.prompt_tokens > 0 && r.usage.total_tokens === r.usage.prompt_tokens);
  assert.equal(response.headers.get('x-kt-provider'), 'a');
  assert.equal(response.headers.get('x-kt-fallback-count'), '0');
  const sent = a.requests.at(-1)!;
  assert.equal(sent.path, '/v1/embeddings');
  assert.equal(sent.headers.authorization, `Bearer ${FAKE_OPENAI_KEY}`);
  assert.deepEqual(sent.body, { model: 'text-embedding-3-small', input: 'The food was delicious', encoding_format: 'float' });
});

test('SDK default (base64, which it decodes) with dimensions and an array of inputs: same floats as the fake sent', async () => {
  reset();
  const r = await gw.client.embeddings.create({ model: 'embed', input: ['first text', 'second text', 'third'], dimensions: 8 });
  assert.deepEqual(r.data.map((d) => d.index), [0, 1, 2]);
  assert.deepEqual(r.data.map((d) => d.embedding), ['first text', 'second text', 'third'].map((t) => fakeVector(t, 8)));
  const sent = a.requests.at(-1)!.body;
  assert.equal(sent.dimensions, 8);
  assert.deepEqual(sent.input, ['first text', 'second text', 'third']);
  assert.equal(sent.encoding_format, 'base64', 'passed on, so the upstream\'s base64 can be forwarded as it is');
});

test('base64 on the wire is the little-endian float32 bytes of the vector', async () => {
  reset();
  const res = await postEmbeddings({ model: 'embed', input: 'bytes', dimensions: 4, encoding_format: 'base64' });
  assert.equal(res.status, 200);
  const body = await res.json() as any;
  const encoded = body.data[0].embedding;
  assert.equal(typeof encoded, 'string');
  const bytes = Buffer.from(encoded, 'base64');
  assert.equal(bytes.length, 16);
  const decoded = [0, 1, 2, 3].map((i) => bytes.readFloatLE(i * 4));
  assert.deepEqual(decoded, fakeVector('bytes', 4));
});

test('token-id inputs are passed on as they are', async () => {
  reset();
  const r = await gw.client.embeddings.create({ model: 'embed', input: [[1212, 318, 257], [1332, 13]], encoding_format: 'float', dimensions: 3 });
  assert.deepEqual(a.requests.at(-1)!.body.input, [[1212, 318, 257], [1332, 13]]);
  assert.deepEqual(r.data[1].embedding, fakeVector([1332, 13], 3));
  assert.equal(r.usage.prompt_tokens, 5);
});

test('fallback: a 503 from the first target moves on to the next, and the event says so', async () => {
  reset();
  a.setBehavior({ failStatus: 503, times: 1 });
  const before = gw.events().length;
  const { data: r, response } = await gw.client.embeddings.create({ model: 'embed', input: 'fall back please' }).withResponse();
  assert.equal(r.model, 'text-embedding-3-large');
  assert.deepEqual(r.data[0].embedding, fakeVector('fall back please', 1536));
  assert.equal(response.headers.get('x-kt-provider'), 'b');
  assert.equal(response.headers.get('x-kt-fallback-count'), '1');
  assert.equal(b.requests.at(-1)!.body.model, 'text-embedding-3-large');
  assert.equal(gw.events().length, before + 1, 'one event per request');
  const event = lastEvent();
  assert.equal(event.api, 'embeddings');
  assert.equal(event.model_group, 'embed');
  assert.equal(event.fallback_count, 1);
  assert.deepEqual(event.attempts.map((x) => [x.provider, x.outcome, x.status]), [['a', 'error', 503], ['b', 'success', 200]]);
});

for (const [name, behavior, outcome, reason] of [
  ['timeout before headers', { delayMs: 1500 }, 'timeout', /timeout_ms 300/],
  ['429', { failStatus: 429, retryAfter: 20 }, 'error', /429/],
  ['malformed JSON', { malformedJson: true }, 'error', /malformed JSON/],
  ['wrong content type', { wrongContentType: true }, 'error', /content type "text\/html/],
  ['connection reset', { reset: 'before-headers' as const }, 'error', /reset|closed|socket/i],
] as const) {
  test(`fallback moves on after ${name}, as for chat`, async () => {
    reset();
    a.setBehavior({ ...behavior, times: 1 });
    const { data: r, response } = await gw.client.embeddings.create({ model: 'embed-quick', input: `after ${name}` }).withResponse();
    assert.equal(r.model, 'text-embedding-3-large');
    assert.deepEqual(r.data[0].embedding, fakeVector(`after ${name}`, 1536));
    assert.equal(response.headers.get('x-kt-fallback-count'), '1');
    const event = lastEvent();
    assert.deepEqual(event.attempts.map((x) => x.outcome), [outcome, 'success']);
    assert.match(event.attempts[0].error ?? '', reason);
  });
}

test('a non-retryable 400 from the upstream comes back as it is, without fallback', async () => {
  reset();
  const res = await postEmbeddings({ model: 'a/text-embedding-ada-002', input: 'x', dimensions: 8 });
  assert.equal(res.status, 400);
  const body = await res.json() as any;
  assert.match(body.error.message, /does not support specifying dimensions/);
  assert.equal(lastEvent().decision, 'error');
  assert.equal(lastEvent().attempts.length, 1);
});

test('every target failing: 502 naming each attempt', async () => {
  reset();
  a.setBehavior({ failStatus: 500 });
  b.setBehavior({ reset: 'before-headers' });
  const res = await postEmbeddings({ model: 'embed', input: 'nobody home' });
  assert.equal(res.status, 502);
  const body = await res.json() as any;
  assert.equal(body.error.code, 'all_attempts_failed');
  assert.match(body.error.message, /1\) a\/text-embedding-3-small: HTTP 500.*2\) b\/text-embedding-3-large/);
  reset();
});

test('Azure: deployment URL + /embeddings, api-version and api-key header', async () => {
  reset();
  const r = await gw.client.embeddings.create({ model: 'azure-embed', input: ['azure one', 'azure two'] });
  assert.deepEqual(r.data.map((d) => d.embedding), [fakeVector('azure one', 1536), fakeVector('azure two', 1536)]);
  const sent = azure.requests.at(-1)!;
  assert.equal(sent.path, '/openai/deployments/embed-small/embeddings');
  assert.equal(sent.query['api-version'], '2024-10-21');
  assert.equal(sent.headers['api-key'], FAKE_AZURE_KEY);
  assert.equal(sent.headers.authorization, undefined);
});

test('Ollama: native /api/embed, answered in OpenAI\'s shape with its token count', async () => {
  reset();
  const r = await gw.client.embeddings.create({ model: 'local-embed', input: ['local text', 'more local text'], dimensions: 16 });
  assert.equal(r.model, 'nomic-embed-text');
  assert.deepEqual(r.data.map((d) => d.embedding), [fakeVector('local text', 16), fakeVector('more local text', 16)]);
  assert.ok(r.usage.prompt_tokens > 0);
  const sent = ollama.requests.at(-1)!;
  assert.equal(sent.path, '/api/embed');
  assert.deepEqual(sent.body, { model: 'nomic-embed-text', input: ['local text', 'more local text'], dimensions: 16 });
});

test('Ollama: token ids cannot go to /api/embed, which is a clear 400', async () => {
  const res = await postEmbeddings({ model: 'local-embed', input: [1, 2, 3] });
  assert.equal(res.status, 400);
  const body = await res.json() as any;
  assert.equal(body.error.code, 'token_input_not_supported');
  assert.match(body.error.message, /takes text, not token ids/);
});

test('Anthropic has no embeddings: its attempt fails with a 400 saying so, and fallback moves on', async () => {
  const before = anthropic.requests.length;
  const r = await gw.client.embeddings.create({ model: 'claude-first', input: 'skip claude' });
  assert.equal(r.model, 'text-embedding-3-small');
  assert.equal(anthropic.requests.length, before, 'nothing was sent to Anthropic');
  const event = lastEvent();
  assert.deepEqual(event.attempts.map((x) => [x.provider, x.outcome, x.status]), [['claude', 'error', 400], ['mock', 'success', 200]]);
  assert.match(event.attempts[0].error ?? '', /no embeddings API/);
});

test('a group of Anthropic models only: 400 embeddings_not_supported, not an outage', async () => {
  const res = await postEmbeddings({ model: 'claude-only', input: 'x' });
  assert.equal(res.status, 400);
  const body = await res.json() as any;
  assert.equal(body.error.code, 'embeddings_not_supported');
  assert.match(body.error.message, /target "claude" is of type anthropic, which has no embeddings API\. Route embeddings to an openai, azure-openai, ollama or mock target/);
});

test('mock: same input gives the same unit vector, different inputs differ, dimensions honoured', async () => {
  const one = await gw.client.embeddings.create({ model: 'mock-embed', input: ['alpha', 'beta', 'alpha'] });
  const [x, y, z] = one.data.map((d) => d.embedding);
  assert.equal(x.length, 1536, 'text-embedding-3-small is known to have 1536 dimensions');
  assert.deepEqual(x, z);
  assert.notDeepEqual(x, y);
  assert.ok(Math.abs(Math.hypot(...x) - 1) < 1e-5, 'unit length, as OpenAI returns');
  const again = await gw.client.embeddings.create({ model: 'mock-embed', input: 'alpha', encoding_format: 'float' });
  assert.deepEqual(again.data[0].embedding, x, 'float and base64 carry the same numbers');
  const short = await gw.client.embeddings.create({ model: 'mock-embed', input: 'alpha', dimensions: 12 });
  assert.equal(short.data[0].embedding.length, 12);
  assert.ok(one.usage.prompt_tokens > 0);
});

test('cost: the cheaper embedding model wins a cost group on input tokens alone, and the event has the cost', async () => {
  reset();
  const { response } = await gw.client.embeddings.create({ model: 'cheapest', input: 'price me' }).withResponse();
  assert.equal(response.headers.get('x-kt-resolved-model'), 'text-embedding-3-small');
  const event = lastEvent();
  assert.equal(event.api, 'embeddings');
  assert.equal(event.strategy, 'cost');
  assert.equal(event.tokens.completion, 0);
  assert.ok(event.tokens.prompt > 0);
  // text-embedding-3-small lists $0.02 per 1M input tokens.
  assert.equal(event.actual_cost_usd, Math.round(event.tokens.prompt * 0.00000002 * 1e8) / 1e8);
  assert.ok(event.estimated_cost_usd !== null && event.estimated_cost_usd > 0);
});

test('one event per request, each with api "embeddings"; chat events stay "chat"', async () => {
  reset();
  const before = gw.events().length;
  for (const input of ['one', 'two', 'three']) await gw.client.embeddings.create({ model: 'mock-embed', input });
  await postEmbeddings({ model: 'mock-embed', input: '' });
  const events = gw.events().slice(before);
  assert.equal(events.length, 4);
  assert.deepEqual(events.map((e) => [e.api, e.decision, e.http_status]), [
    ['embeddings', 'allowed', 200], ['embeddings', 'allowed', 200], ['embeddings', 'allowed', 200], ['embeddings', 'blocked', 400],
  ]);
  await gw.client.chat.completions.create({ model: 'mock-embed', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(lastEvent().api, 'chat');
});

test('bad input gets a 400 naming the field; GET is 405; unknown routes mention /v1/embeddings', async () => {
  for (const [body, param] of [
    [{ input: 'x' }, 'model'],
    [{ model: 'embed' }, 'input'],
    [{ model: 'embed', input: [] }, 'input'],
    [{ model: 'embed', input: ['ok', 3] }, 'input[1]'],
    [{ model: 'embed', input: 'x', dimensions: 0 }, 'dimensions'],
    [{ model: 'embed', input: 'x', encoding_format: 'int8' }, 'encoding_format'],
  ] as const) {
    const res = await postEmbeddings(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    const err = (await res.json() as any).error;
    assert.equal(err.param, param);
    assert.equal(err.type, 'invalid_request_error');
  }
  const missing = await postEmbeddings({ model: 'nope', input: 'x' });
  assert.equal(missing.status, 404);
  assert.equal((await missing.json() as any).error.code, 'model_not_found');
  const get = await fetch(`${gw.url}/v1/embeddings`, { headers: { authorization: `Bearer ${gw.key}` } });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  const unknown = await fetch(`${gw.url}/v1/embedding`, { method: 'POST' });
  assert.equal(unknown.status, 404);
  assert.match((await unknown.json() as any).error.message, /POST \/v1\/embeddings/);
  const noKey = await fetch(`${gw.url}/v1/embeddings`, { method: 'POST', body: '{}' });
  assert.equal(noKey.status, 401);
});

test('cost planning for embeddings: the context window bounds each input, not their sum; over budget says to send less', () => {
  const group: RoutedGroup = {
    name: 'plan', strategy: 'cost', budget_per_request_usd: 0.00005, session_affinity: false,
    models: [{ provider: 'local', model: 'mxbai-embed-large' }, { provider: 'a', model: 'text-embedding-3-small', cost_per_1k_input: 0.00002 }],
  };
  const ctx = { latency: new LatencyBoard(), facts: (m: { model: string }) => knownModel(m.model) };
  const chunk = 'lorem ipsum dolor sit amet '.repeat(50); // ~250 tokens each, two of them over mxbai's 512 together
  const two = planEmbeddingRoute(group, { model: 'plan', input: [chunk, chunk] }, ctx);
  assert.deepEqual(two.order.map((m) => m.model), ['mxbai-embed-large', 'text-embedding-3-small'], 'free and each input fits');
  assert.ok((two.promptTokens ?? 0) > 512);
  const big = planEmbeddingRoute(group, { model: 'plan', input: ['short', chunk.repeat(3)] }, ctx);
  assert.deepEqual(big.order.map((m) => m.model), ['text-embedding-3-small']);
  assert.match(big.skipped[0].reason, /^an input of ~\d+ tokens exceeds max_input_tokens 512$/);
  const blocked = planEmbeddingRoute({ ...group, models: [group.models[1]] }, { model: 'plan', input: chunk.repeat(20) }, ctx);
  assert.equal(blocked.blocked?.code, 'budget_exceeded');
  assert.match(blocked.blocked?.message ?? '', /\+ 0 completion tokens, over the budget of \$0\.00005\. Send less input, or raise budget_per_request_usd\./);
});
