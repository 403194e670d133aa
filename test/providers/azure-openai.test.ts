import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { azureOpenAI, azureRoute } from '../../gateway/providers/azure-openai';
import { FAKE_AZURE_KEY, startFakeAzure, type FakeUpstream } from '../fakes';
import { attempt, chat, collect, streamedText, streamedToolCalls, upstreamFailure, type Attempt } from './attempt';

let fake: FakeUpstream & { v1BaseUrl: string };
let ctx: Attempt;
before(async () => { fake = await startFakeAzure(); });
after(async () => { await ctx?.close(); await fake.close(); });
beforeEach(async () => {
  await ctx?.close();
  fake.setBehavior({});
  fake.requests.length = 0;
  ctx = attempt({ id: 'azure', type: 'azure-openai', baseUrl: fake.baseUrl, keyEnv: 'AZURE_OPENAI_KEY' }, { model: 'gpt-4o', key: FAKE_AZURE_KEY });
});

const weatherTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

test('routes: deployment form with api-version, v1 form, bare resource', () => {
  const t = (baseUrl: string, apiVersion?: string) => ({ id: 'a', type: 'azure-openai' as const, baseUrl, apiVersion });
  assert.deepEqual(azureRoute(t('https://x.openai.azure.com/openai/deployments/gpt-4o/'), 'gpt-4o'), {
    origin: 'https://x.openai.azure.com', path: '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
  });
  assert.equal(azureRoute(t('https://x.openai.azure.com/openai/deployments/gpt-4o', '2025-01-01-preview'), 'm').path,
    '/openai/deployments/gpt-4o/chat/completions?api-version=2025-01-01-preview');
  assert.equal(azureRoute(t('https://x.openai.azure.com/openai/v1/'), 'gpt-4o').path, '/openai/v1/chat/completions');
  assert.equal(azureRoute(t('https://x.openai.azure.com/'), 'my-dep').path, '/openai/deployments/my-dep/chat/completions?api-version=2024-10-21');
});

test('deployment form round trip: api-key header, no Bearer, default api-version', async () => {
  const res = await azureOpenAI.complete(chat('Hi Azure'), ctx);
  const rec = fake.requests[0];
  assert.equal(rec.path, '/openai/deployments/gpt-4o/chat/completions');
  assert.equal(rec.query['api-version'], '2024-10-21');
  assert.equal(rec.headers['api-key'], FAKE_AZURE_KEY);
  assert.equal(rec.headers.authorization, undefined);
  assert.equal(res.choices[0].message.content, 'Hello from fake Azure (gpt-4o). You said: Hi Azure');
  assert.equal(res.model, 'gpt-4o');
});

test('target.apiVersion is sent', async () => {
  const c = attempt({ type: 'azure-openai', baseUrl: fake.baseUrl, apiVersion: '2025-01-01-preview' }, { model: 'gpt-4o', key: FAKE_AZURE_KEY });
  try {
    await azureOpenAI.complete(chat(), c);
    assert.equal(fake.requests[0].query['api-version'], '2025-01-01-preview');
  } finally { await c.close(); }
});

test('v1 form: plain OpenAI path with the deployment as model', async () => {
  const c = attempt({ type: 'azure-openai', baseUrl: fake.v1BaseUrl }, { model: 'gpt-4o-mini', key: FAKE_AZURE_KEY });
  try {
    const res = await azureOpenAI.complete(chat('v1'), c);
    const rec = fake.requests[0];
    assert.equal(rec.path, '/openai/v1/chat/completions');
    assert.deepEqual(rec.query, {});
    assert.equal(rec.body.model, 'gpt-4o-mini');
    assert.equal(res.choices[0].message.content, 'Hello from fake Azure (gpt-4o-mini). You said: v1');
  } finally { await c.close(); }
});

test('stream: the prompt-filter-only first chunk is dropped, chunks without delta get an empty one', async () => {
  const chunks = await collect(await azureOpenAI.stream(chat('Filter me'), ctx));
  assert.deepEqual(fake.requests[0].body.stream_options, { include_usage: true });
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  for (const c of chunks.slice(0, -1)) {
    assert.equal(c.choices.length, 1);
    assert.equal(typeof c.choices[0].delta, 'object');
  }
  // The fake sends one annotation-only chunk; it must have come through with a delta added.
  assert.ok(chunks.some((c) => (c.choices[0] as Record<string, unknown> | undefined)?.content_filter_offsets !== undefined && Object.keys(c.choices[0].delta).length === 0));
  assert.equal(streamedText(chunks), 'Hello from fake Azure (gpt-4o). You said: Filter me');
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage);
  assert.ok(chunks.every((c) => c.model === 'gpt-4o'));
});

test('tools round trip: request forwarded as OpenAI tools, tool calls back (non-stream and stream)', async () => {
  fake.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });
  const req = chat('Weather in Oslo?', { tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } });
  const res = await azureOpenAI.complete(req, ctx);
  assert.deepEqual(fake.requests[0].body.tools, [weatherTool]);
  assert.deepEqual(fake.requests[0].body.tool_choice, { type: 'function', function: { name: 'get_weather' } });
  assert.equal(res.choices[0].finish_reason, 'tool_calls');
  const calls = res.choices[0].message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
  assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: 'Oslo' });

  // Second turn: the assistant's tool call and the tool result go back verbatim.
  const followUp = chat('Weather in Oslo?', {
    messages: [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [{ id: calls[0].id, type: 'function', function: calls[0].function }] },
      { role: 'tool', tool_call_id: calls[0].id, content: '{"temp_c":4}' },
    ],
    tools: [weatherTool],
  });
  fake.setBehavior({});
  await azureOpenAI.complete(followUp, ctx);
  assert.deepEqual(fake.requests[1].body.messages, followUp.messages);

  fake.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });
  const chunks = await collect(await azureOpenAI.stream(req, ctx));
  assert.deepEqual(streamedToolCalls(chunks), [{ id: 'call_fake_0', name: 'get_weather', arguments: '{"city":"Oslo"}' }]);
});

test('429 with Azure string code maps to OpenAI shape with retry-after', async () => {
  fake.setBehavior({ failStatus: 429, retryAfter: 6 });
  const err = await upstreamFailure(azureOpenAI.complete(chat(), ctx));
  assert.equal(err.status, 429);
  assert.equal(err.retryable, true);
  assert.equal(err.retryAfterMs, 6000);
  assert.equal(err.body?.error.code, '429');
  assert.equal(err.body?.error.type, 'rate_limit_error');
  assert.match(err.body!.error.message, /exceeded token rate limit/);
});

test('unknown deployment is a non-retryable 404 DeploymentNotFound', async () => {
  const c = attempt({ type: 'azure-openai', baseUrl: fake.url + '/openai/deployments/nope/' }, { model: 'nope', key: FAKE_AZURE_KEY });
  try {
    const err = await upstreamFailure(azureOpenAI.complete(chat(), c));
    assert.equal(err.status, 404);
    assert.equal(err.retryable, false);
    assert.equal(err.body?.error.code, 'DeploymentNotFound');
  } finally { await c.close(); }
});

test('wrong key is 401 with Azure\'s message; missing key fails before I/O', async () => {
  const bad = attempt({ type: 'azure-openai', baseUrl: fake.baseUrl }, { model: 'gpt-4o', key: 'not-the-right-azure-key' });
  try {
    const err = await upstreamFailure(azureOpenAI.stream(chat(), bad));
    assert.equal(err.status, 401);
    assert.equal(err.body?.error.code, '401');
    assert.ok(!err.message.includes('not-the-right-azure-key'));
  } finally { await bad.close(); }
  fake.requests.length = 0;
  const none = attempt({ id: 'azure', type: 'azure-openai', baseUrl: fake.baseUrl, keyEnv: 'AZURE_OPENAI_KEY' }, { model: 'gpt-4o' });
  try {
    const err = await upstreamFailure(azureOpenAI.complete(chat(), none));
    assert.equal(err.kind, 'missing_key');
    assert.equal(err.message, 'environment variable AZURE_OPENAI_KEY is not set (secret_key_ref.env of target "azure")');
    assert.equal(fake.requests.length, 0);
  } finally { await none.close(); }
});

test('mid-stream error payload with Azure shape throws', async () => {
  fake.setBehavior({ streamErrorAfterChunks: 3 });
  const err = await upstreamFailure(azureOpenAI.stream(chat('a b c d e'), ctx).then(collect));
  assert.equal(err.kind, 'http');
  assert.equal(err.status, 500);
  assert.equal(err.body?.error.code, '500');
});
