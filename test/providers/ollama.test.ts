import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { adjustForOllama, ollama } from '../../gateway/providers/ollama';
import { startFakeOllama, type FakeUpstream } from '../fakes';
import { attempt, chat, collect, streamedText, upstreamFailure, type Attempt } from './attempt';

let fake: FakeUpstream;
let ctx: Attempt;
before(async () => { fake = await startFakeOllama(); });
after(async () => { await ctx?.close(); await fake.close(); });
beforeEach(async () => {
  await ctx?.close();
  fake.setBehavior({});
  fake.requests.length = 0;
  // No key: Ollama needs none.
  ctx = attempt({ id: 'local-ollama', type: 'ollama', baseUrl: fake.baseUrl }, { model: 'llama3.1:8b' });
});

test('adjustForOllama: max_completion_tokens → max_tokens, unsupported fields dropped', () => {
  const body: Record<string, unknown> = { model: 'm', messages: [], max_completion_tokens: 200, tool_choice: 'auto', n: 2, user: 'u', tools: [{}] };
  adjustForOllama(body);
  assert.deepEqual(body, { model: 'm', messages: [], max_tokens: 200, tools: [{}] });
  const explicit: Record<string, unknown> = { max_tokens: 50, max_completion_tokens: 200 };
  adjustForOllama(explicit);
  assert.deepEqual(explicit, { max_tokens: 50 });
  const none: Record<string, unknown> = { tools: [{}], tool_choice: 'none' };
  adjustForOllama(none);
  assert.deepEqual(none, {});
});

test('non-stream round trip with no key: placeholder Bearer, max_tokens sent, fields dropped', async () => {
  const res = await ollama.complete(chat('Hi llama', { max_completion_tokens: 128, n: 1, user: 'someone', tool_choice: 'auto' }), ctx);
  const rec = fake.requests[0];
  assert.equal(rec.path, '/v1/chat/completions');
  assert.equal(rec.headers.authorization, 'Bearer ollama');
  assert.equal(rec.body.max_tokens, 128);
  for (const field of ['max_completion_tokens', 'n', 'user', 'tool_choice']) assert.equal(field in rec.body, false, field);
  assert.equal(res.choices[0].message.content, 'Hello from fake Ollama (llama3.1:8b). You said: Hi llama');
  assert.equal(res.model, 'llama3.1:8b');
});

test('stream round trip with usage (Ollama repeats the role on every chunk)', async () => {
  const chunks = await collect(await ollama.stream(chat('Stream llama', { max_completion_tokens: 64 }), ctx));
  assert.equal(fake.requests[0].body.max_tokens, 64);
  assert.deepEqual(fake.requests[0].body.stream_options, { include_usage: true });
  assert.equal(streamedText(chunks), 'Hello from fake Ollama (llama3.1:8b). You said: Stream llama');
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage);
});

test('a model that is not pulled is a non-retryable 404 with Ollama\'s message', async () => {
  const c = attempt({ type: 'ollama', baseUrl: fake.baseUrl }, { model: 'llama3' });
  try {
    const err = await upstreamFailure(ollama.complete(chat(), c));
    assert.equal(err.status, 404);
    assert.equal(err.retryable, false);
    assert.equal(err.body?.error.message, 'model "llama3" not found, try pulling it first');
  } finally { await c.close(); }
});

test('a set key is forwarded (for proxies in front of Ollama)', async () => {
  const c = attempt({ type: 'ollama', baseUrl: fake.baseUrl }, { model: 'llama3.2', key: 'proxy-token-123' });
  try {
    await ollama.complete(chat(), c);
    assert.equal(fake.requests[0].headers.authorization, 'Bearer proxy-token-123');
  } finally { await c.close(); }
});

test('the fake answers Ollama\'s native probes', async () => {
  const get = async (path: string) => { const r = await request(fake.url + path); return { status: r.statusCode, text: await r.body.text() }; };
  assert.deepEqual(await get('/'), { status: 200, text: 'Ollama is running' });
  assert.deepEqual(JSON.parse((await get('/api/version')).text), { version: '0.5.1' });
  const tags = JSON.parse((await get('/api/tags')).text);
  assert.deepEqual(tags.models.map((m: any) => m.name), ['llama3.1:8b', 'llama3.2:latest']);
  assert.equal(JSON.parse((await get('/v1/models')).text).object, 'list');
});
