import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { openai } from '../../gateway/providers/openai';
import { FAKE_OPENAI_KEY, startFakeOpenAI, type FakeUpstream } from '../fakes';
import { attempt, chat, collect, streamedText, streamedToolCalls, upstreamFailure, type Attempt } from './attempt';
import { closedPort } from '../support/closed-port';

let fake: FakeUpstream;
let ctx: Attempt;
before(async () => { fake = await startFakeOpenAI(); });
after(async () => { await fake.close(); });
beforeEach(async () => {
  await ctx?.close();
  fake.setBehavior({});
  fake.requests.length = 0;
  ctx = attempt({ type: 'openai', baseUrl: fake.baseUrl, keyEnv: 'OPENAI_API_KEY' }, { model: 'gpt-4o', key: FAKE_OPENAI_KEY });
});
after(async () => { await ctx?.close(); });

test('non-stream round trip: Bearer auth, physical model, no stream fields; model is what upstream served', async () => {
  fake.setBehavior({ servedModel: 'gpt-4o-2024-08-06' });
  const res = await openai.complete(chat('Hello there', { stream: false, stream_options: { include_usage: true }, temperature: 0.2 }), ctx);
  const rec = fake.requests[0];
  assert.equal(rec.path, '/v1/chat/completions');
  assert.equal(rec.headers.authorization, `Bearer ${FAKE_OPENAI_KEY}`);
  assert.equal(rec.body.model, 'gpt-4o');
  assert.equal(rec.body.temperature, 0.2);
  assert.equal('stream' in rec.body, false);
  assert.equal('stream_options' in rec.body, false);
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.model, 'gpt-4o-2024-08-06');
  assert.equal(res.choices[0].message.content, 'Hello from fake OpenAI (gpt-4o). You said: Hello there');
  assert.equal(res.choices[0].finish_reason, 'stop');
  assert.ok(res.usage && res.usage.total_tokens === res.usage.prompt_tokens + res.usage.completion_tokens);
});

test('stream round trip: asks for usage, role first, text in several chunks, finish then usage chunk', async () => {
  const chunks = await collect(await openai.stream(chat('Stream please', { stream: true }), ctx));
  const rec = fake.requests[0];
  assert.equal(rec.body.stream, true);
  assert.deepEqual(rec.body.stream_options, { include_usage: true });
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(streamedText(chunks), 'Hello from fake OpenAI (gpt-4o). You said: Stream please');
  assert.ok(chunks.filter((c) => c.choices[0]?.delta.content).length > 3);
  const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
  assert.deepEqual(finish.map((c) => c.choices[0].finish_reason), ['stop']);
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage && last.usage.prompt_tokens > 0);
});

test('tool calls stream through with index/id/name then argument fragments', async () => {
  fake.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris', unit: 'C' } }] });
  const req = chat('Weather?', { tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }], tool_choice: 'auto' });
  const chunks = await collect(await openai.stream(req, ctx));
  assert.deepEqual(fake.requests[0].body.tools, req.tools);
  assert.deepEqual(streamedToolCalls(chunks), [{ id: 'call_fake_0', name: 'get_weather', arguments: '{"city":"Paris","unit":"C"}' }]);
  assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason, 'tool_calls');
  const res = await openai.complete(req, ctx);
  assert.equal(res.choices[0].message.content, null);
  assert.deepEqual((res.choices[0].message.tool_calls as any[])[0].function, { name: 'get_weather', arguments: '{"city":"Paris","unit":"C"}' });
});

test('429 maps to a retryable http error with retry-after-ms preferred over retry-after', async () => {
  fake.setBehavior({ failStatus: 429, retryAfter: 20, retryAfterMs: 1500 });
  const err = await upstreamFailure(openai.complete(chat(), ctx));
  assert.equal(err.kind, 'http');
  assert.equal(err.status, 429);
  assert.equal(err.retryable, true);
  assert.equal(err.retryAfterMs, 1500);
  assert.equal(err.body?.error.code, 'rate_limit_exceeded');
  assert.match(err.message, /target "openai" answered HTTP 429: Rate limit reached/);

  fake.setBehavior({ failStatus: 429, retryAfter: 3 });
  assert.equal((await upstreamFailure(openai.complete(chat(), ctx))).retryAfterMs, 3000);
});

test('400 is not retryable and carries the upstream OpenAI error body as is', async () => {
  fake.setBehavior({ failStatus: 400 });
  const err = await upstreamFailure(openai.stream(chat('x', { stream: true }), ctx));
  assert.equal(err.status, 400);
  assert.equal(err.retryable, false);
  assert.deepEqual(err.body, {
    error: {
      message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
      type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded',
    },
  });
});

test('5xx and 503 are retryable', async () => {
  for (const status of [500, 503]) {
    fake.setBehavior({ failStatus: status });
    const err = await upstreamFailure(openai.complete(chat(), ctx));
    assert.equal(err.status, status);
    assert.equal(err.retryable, true);
    assert.equal(err.body?.error.type, 'server_error');
  }
});

test('wrong key: 401 with the real error shape, the key never in the error', async () => {
  const wrong = 'sk-wrong-key-abcdef0123456789';
  const bad = attempt({ type: 'openai', baseUrl: fake.baseUrl }, { model: 'gpt-4o', key: wrong });
  try {
    const err = await upstreamFailure(openai.complete(chat(), bad));
    assert.equal(err.status, 401);
    assert.equal(err.retryable, false);
    assert.equal(err.body?.error.code, 'invalid_api_key');
    assert.ok(!JSON.stringify({ m: err.message, b: err.body }).includes(wrong));
  } finally { await bad.close(); }
});

test('missing key fails fast with the env var named, before any I/O', async () => {
  const noKey = attempt({ id: 'openai', type: 'openai', baseUrl: fake.baseUrl, keyEnv: 'OPENAI_API_KEY' }, { model: 'gpt-4o' });
  try {
    for (const call of [openai.complete(chat(), noKey), openai.stream(chat(), noKey)]) {
      const err = await upstreamFailure(call);
      assert.equal(err.kind, 'missing_key');
      assert.equal(err.message, 'environment variable OPENAI_API_KEY is not set (secret_key_ref.env of target "openai")');
    }
    assert.equal(fake.requests.length, 0);
  } finally { await noKey.close(); }
});

test('connection refused on a closed port is a retryable connect error', async () => {
  const port = await closedPort();
  const dead = attempt({ type: 'openai', baseUrl: `http://127.0.0.1:${port}/v1` }, { model: 'gpt-4o', key: FAKE_OPENAI_KEY });
  try {
    const err = await upstreamFailure(openai.complete(chat(), dead));
    assert.equal(err.kind, 'connect');
    assert.equal(err.retryable, true);
    assert.match(err.message, /connection refused/);
  } finally { await dead.close(); }
});

test('reset before headers and mid-body are connect errors', async () => {
  fake.setBehavior({ reset: 'before-headers' });
  assert.equal((await upstreamFailure(openai.complete(chat(), ctx))).kind, 'connect');
  fake.setBehavior({ reset: 'mid-body' });
  assert.equal((await upstreamFailure(openai.complete(chat(), ctx))).kind, 'connect');
});

test('abort while the upstream stalls reaches the upstream and is kind aborted', async () => {
  fake.setBehavior({ stall: 'before-headers' });
  const call = openai.complete(chat(), ctx);
  setTimeout(() => ctx.controller.abort(), 30);
  const err = await upstreamFailure(call);
  assert.equal(err.kind, 'aborted');
  assert.equal(err.retryable, false);
  const rec = await fake.waitForAbort();
  assert.equal(rec.aborted, true);
});

test('abort mid-stream ends iteration with aborted and closes the upstream request', async () => {
  fake.setBehavior({ stall: 'mid-body' });
  const stream = await openai.stream(chat('x', { stream: true }), ctx);
  const it = stream[Symbol.asyncIterator]();
  assert.equal((await it.next()).done, false);
  ctx.controller.abort();
  const err = await upstreamFailure((async () => { while (!(await it.next()).done); })());
  assert.equal(err.kind, 'aborted');
  await fake.waitForAbort();
});

test('a consumer that stops reading early closes the upstream request', async () => {
  fake.setBehavior({ chunkDelayMs: 20 });
  const stream = await openai.stream(chat('one two three four five six', { stream: true }), ctx);
  for await (const _ of stream) break;
  const rec = await fake.waitForAbort();
  assert.equal(rec.aborted, true);
});

test('a stream closed before it is ever read still closes the upstream request', async () => {
  fake.setBehavior({ stall: 'mid-body' });
  const stream = (await openai.stream(chat('a b c d'), ctx)) as AsyncIterableIterator<unknown>;
  await stream.return!();
  await fake.waitForAbort();
});

test('a connection reset mid-stream is a connect error during iteration', async () => {
  fake.setBehavior({ reset: 'mid-body' });
  const chunks: unknown[] = [];
  const err = await upstreamFailure((async () => { for await (const c of await openai.stream(chat('a b c d e f'), ctx)) chunks.push(c); })());
  assert.equal(err.kind, 'connect');
  assert.match(err.message, /while reading the response/);
});

test('malformed JSON, wrong content type and a garbage SSE line are protocol errors', async () => {
  fake.setBehavior({ malformedJson: true });
  assert.equal((await upstreamFailure(openai.complete(chat(), ctx))).kind, 'protocol');
  fake.setBehavior({ wrongContentType: true });
  assert.equal((await upstreamFailure(openai.complete(chat(), ctx))).kind, 'protocol');
  assert.equal((await upstreamFailure(openai.stream(chat(), ctx))).kind, 'protocol');
  fake.setBehavior({ garbageSseLine: true });
  const err = await upstreamFailure(openai.stream(chat(), ctx).then(collect));
  assert.equal(err.kind, 'protocol');
  assert.match(err.message, /not a JSON object/);
});

test('a stream cut after content has ended; one cut before any chunk is a protocol error', async () => {
  fake.setBehavior({ cutAfterChunks: 3 });
  const chunks = await collect(await openai.stream(chat('a b c d e f'), ctx));
  assert.equal(chunks.length, 3);
  fake.setBehavior({ cutAfterChunks: 0 });
  assert.equal((await upstreamFailure(openai.stream(chat(), ctx).then(collect))).kind, 'protocol');
});

test('an error payload mid-stream throws an http UpstreamError', async () => {
  fake.setBehavior({ streamErrorAfterChunks: 2 });
  const err = await upstreamFailure(openai.stream(chat('a b c d'), ctx).then(collect));
  assert.equal(err.kind, 'http');
  assert.equal(err.status, 500);
  assert.equal(err.body?.error.type, 'server_error');
});

test('a huge response arrives whole', async () => {
  fake.setBehavior({ hugeReplyChars: 2_000_000 });
  const res = await openai.complete(chat(), ctx);
  assert.equal((res.choices[0].message.content as string).length, 2_000_000);
  const chunks = await collect(await openai.stream(chat(), ctx));
  assert.equal(streamedText(chunks).length, 2_000_000);
});

test('keep-alive: calls and finished streams reuse pooled connections', async () => {
  // undici's Pool settles on two sockets for back-to-back calls; after that none may be added.
  await openai.complete(chat(), ctx);
  await openai.complete(chat(), ctx);
  const warm = fake.stats.connections;
  const aborted = fake.stats.abortedRequests;
  for (let i = 0; i < 3; i++) {
    await collect(await openai.stream(chat(), ctx));
    await openai.complete(chat(), ctx);
  }
  assert.equal(fake.stats.connections, warm);
  assert.equal(fake.stats.abortedRequests, aborted);
});

test('the key never appears in an error message even when the upstream echoes it', async () => {
  fake.setBehavior({ failStatus: 400, errorMessage: `bad request for key ${FAKE_OPENAI_KEY}` });
  const err = await upstreamFailure(openai.complete(chat(), ctx));
  assert.ok(!err.message.includes(FAKE_OPENAI_KEY));
  assert.ok(!err.body!.error.message.includes(FAKE_OPENAI_KEY));
  assert.match(err.body!.error.message, /bad request for key \*\*\*/);
});
