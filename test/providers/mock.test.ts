import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failsAt, mock } from '../../gateway/providers/mock';
import type { MockSettings } from '../../gateway/policy/types';
import { attempt, chat, collect, streamedText, upstreamFailure } from './attempt';

const mockCtx = (settings: MockSettings = {}, model = 'mock-model') =>
  attempt({ id: 'offline', type: 'mock', baseUrl: 'mock://local', mock: settings }, { model });

test('failsAt spreads failures evenly and deterministically', () => {
  const failing = (rate: number) => Array.from({ length: 12 }, (_, i) => i + 1).filter((n) => failsAt(n, rate));
  assert.deepEqual(failing(0.25), [4, 8, 12]);
  assert.deepEqual(failing(0.5), [2, 4, 6, 8, 10, 12]);
  assert.deepEqual(failing(1), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(failing(0), []);
  assert.equal(failing(0.1).length, 1);
});

test('default reply echoes the last user message, deterministically, with ~4 chars/token usage', async () => {
  const ctx = mockCtx();
  const req = chat('first', { messages: [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'Tell me a joke' }] });
  const a = await mock.complete(req, ctx);
  const b = await mock.complete(req, ctx);
  assert.equal(a.choices[0].message.content, 'Mock reply from mock-model: Tell me a joke');
  assert.deepEqual(a.choices, b.choices);
  assert.equal(a.model, 'mock-model');
  // prompt: "first" + "ok" + "Tell me a joke" = 21 chars → 6 tokens; reply 42 chars → 11 tokens.
  assert.deepEqual(a.usage, { prompt_tokens: 6, completion_tokens: 11, total_tokens: 17 });
});

test('mock.reply is returned as is, no key or network needed', async () => {
  const ctx = mockCtx({ reply: 'Fixed answer.' });
  assert.equal(ctx.apiKey, undefined);
  const res = await mock.complete(chat(), ctx);
  assert.equal(res.choices[0].message.content, 'Fixed answer.');
});

test('fail_status alone fails every call with an http UpstreamError of that status', async () => {
  const ctx = mockCtx({ fail_status: 503 });
  for (let i = 0; i < 3; i++) {
    const err = await upstreamFailure(mock.complete(chat(), ctx));
    assert.equal(err.kind, 'http');
    assert.equal(err.status, 503);
    assert.equal(err.retryable, true);
    assert.equal(err.body?.error.type, 'server_error');
  }
  const bad = await upstreamFailure(mock.stream(chat(), mockCtx({ fail_status: 400 })));
  assert.equal(bad.retryable, false);
});

test('failure_rate 0.25 fails exactly every 4th call, counted per target across complete and stream', async () => {
  const ctx = mockCtx({ fail_status: 500, failure_rate: 0.25 });
  const outcomes: string[] = [];
  for (let i = 0; i < 8; i++) {
    const call = i % 2 ? mock.stream(chat(), ctx).then(collect) : mock.complete(chat(), ctx);
    outcomes.push(await call.then(() => 'ok', () => 'fail'));
  }
  assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'fail', 'ok', 'ok', 'ok', 'fail']);
  // Another target has its own count.
  assert.equal(await mock.complete(chat(), mockCtx({ fail_status: 500, failure_rate: 0.25 })).then(() => 'ok'), 'ok');
});

test('streaming splits the reply into chunk_chars pieces: role first, finish, usage last', async () => {
  const ctx = mockCtx({ reply: 'abcdefghijklm', chunk_chars: 5 });
  const chunks = await collect(await mock.stream(chat(), ctx));
  assert.deepEqual(chunks.slice(0, 3).map((c) => c.choices[0].delta.content), ['abcde', 'fghij', 'klm']);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks[1].choices[0].delta.role, undefined);
  assert.equal(chunks[3].choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks[4].choices, []);
  assert.equal(chunks[4].usage?.completion_tokens, 4);
  assert.equal(streamedText(chunks), 'abcdefghijklm');
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id));
});

test('chunks never split a character made of two UTF-16 units', async () => {
  const chunks = await collect(await mock.stream(chat(), mockCtx({ reply: '🎉🎉🎉', chunk_chars: 1 })));
  assert.deepEqual(chunks.slice(0, 3).map((c) => c.choices[0].delta.content), ['🎉', '🎉', '🎉']);
});

test('latency_ms delays the answer and chunk_delay_ms paces the stream', async () => {
  const t0 = performance.now();
  await mock.complete(chat(), mockCtx({ latency_ms: 60 }));
  assert.ok(performance.now() - t0 >= 55);
  const t1 = performance.now();
  await collect(await mock.stream(chat(), mockCtx({ reply: 'abcd', chunk_chars: 1, chunk_delay_ms: 20 })));
  assert.ok(performance.now() - t1 >= 55, '3 gaps of 20 ms');
});

test('abort during latency or mid-stream ends the call as aborted', async () => {
  const slow = mockCtx({ latency_ms: 5000 });
  setTimeout(() => slow.controller.abort(), 20);
  const t0 = performance.now();
  const err = await upstreamFailure(mock.complete(chat(), slow));
  assert.equal(err.kind, 'aborted');
  assert.ok(performance.now() - t0 < 1000);

  const paced = mockCtx({ reply: 'abcdefgh', chunk_chars: 1, chunk_delay_ms: 1000 });
  const it = (await mock.stream(chat(), paced))[Symbol.asyncIterator]();
  await it.next();
  setTimeout(() => paced.controller.abort(), 20);
  assert.equal((await upstreamFailure(it.next())).kind, 'aborted');
});
