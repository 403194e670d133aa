// translateStream reads the upstream body push-style into a queue, pausing the body while 64+ chunks
// wait for a slow consumer; stopping early destroys the body. The upstream is a real HTTP server.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { openai } from '../../gateway/providers/openai';
import type { ChatCompletionChunk } from '../../gateway/providers/provider';
import { createDispatcher } from '../../gateway/providers/upstream';
import { attempt, scriptedUpstream, chat, type Attempt } from './attempt';

const KEY = 'sk-stream-queue-0123';

let respond: (req: IncomingMessage, res: ServerResponse) => void;
let ctx: Attempt | undefined;

const upstream = scriptedUpstream((req, res) => { req.resume(); respond(req, res); });
// destroy, not close: a regression that leaves a request open must fail the test, not hang the hook.
afterEach(async () => { await ctx?.dispatcher.destroy(); ctx = undefined; });

const chunk = (i: number, content: string, finish: string | null = null) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}],"n":${i}}\n\n`;

/**
 * A dispatcher that counts pause() calls on every response body it hands out: proof the queue's high
 * water mark engaged, without timing anything.
 */
function countingPauses(target: { type: 'openai'; baseUrl: string }): { dispatcher: Dispatcher; pauses: () => number } {
  const dispatcher = createDispatcher({ id: 'openai', ...target });
  let pauses = 0;
  const request = dispatcher.request.bind(dispatcher) as (opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
  (dispatcher as unknown as { request: typeof request }).request = async (opts) => {
    const res = await request(opts);
    const pause = res.body.pause.bind(res.body);
    res.body.pause = () => { pauses++; return pause(); };
    return res;
  };
  return { dispatcher, pauses: () => pauses };
}

test('2,000 chunks written as fast as possible reach a slow consumer all, in order, then the stream ends', { timeout: 30_000 }, async () => {
  const N = 2000;
  let serverDone!: () => void;
  const written = new Promise<void>((r) => { serverDone = r; });
  respond = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < N; i++) res.write(chunk(i, `t${i} `));
    res.write(chunk(N, '', 'stop'));
    res.end('data: [DONE]\n\n', serverDone);
  };
  const { dispatcher, pauses } = countingPauses({ type: 'openai', baseUrl: upstream.baseUrl });
  ctx = attempt({ type: 'openai', baseUrl: upstream.baseUrl }, { model: 'gpt-4o', key: KEY, dispatcher });
  try {
    const received: ChatCompletionChunk[] = [];
    const it = (await openai.stream(chat('many', { stream: true }), ctx))[Symbol.asyncIterator]();
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      received.push(next.value);
      await nextTurn(); // slower than the upstream: the queue fills up
    }
    await written;
    assert.equal(received.length, N + 1);
    const contents = received.slice(0, N).map((c) => c.choices[0].delta.content);
    assert.deepEqual(contents, Array.from({ length: N }, (_, i) => `t${i} `));
    assert.deepEqual(received.map((c) => c.n), Array.from({ length: N + 1 }, (_, i) => i));
    assert.equal(received[N].choices[0].finish_reason, 'stop');
    assert.equal((await it.next()).done, true, 'stays ended');
    assert.ok(pauses() > 0, 'the body was paused while the queue was full');
  } finally {
    await dispatcher.close();
  }
});

test('return() after 3 chunks destroys the body: the upstream sees its socket close, nothing hangs', { timeout: 10_000 }, async () => {
  let socketClosed!: Promise<void>;
  let responseClosed!: Promise<boolean>;
  respond = (req, res) => {
    socketClosed = new Promise<void>((r) => req.socket.once('close', () => r()));
    responseClosed = new Promise<boolean>((r) => res.once('close', () => r(res.writableFinished)));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < 10; i++) res.write(chunk(i, `t${i}`));
    // ...and never ends: only the client can close this response.
  };
  ctx = attempt({ type: 'openai', baseUrl: upstream.baseUrl }, { model: 'gpt-4o', key: KEY });
  const it = (await openai.stream(chat('stop early', { stream: true }), ctx))[Symbol.asyncIterator]();
  const got: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    const next = await it.next();
    assert.equal(next.done, false);
    got.push(next.value.choices[0].delta.content);
  }
  assert.deepEqual(got, ['t0', 't1', 't2']);
  const ret = await it.return!();
  assert.equal(ret.done, true);
  await socketClosed;
  assert.equal(await responseClosed, false, 'the response was cut off, not finished');
  // The iterator stays ended: nothing buffered before return() comes out.
  assert.deepEqual(await it.next(), { value: undefined, done: true });
});

test('breaking out of for await after 3 chunks also closes the upstream socket', { timeout: 10_000 }, async () => {
  let socketClosed!: Promise<void>;
  respond = (req, res) => {
    socketClosed = new Promise<void>((r) => req.socket.once('close', () => r()));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < 10; i++) res.write(chunk(i, `t${i}`));
  };
  ctx = attempt({ type: 'openai', baseUrl: upstream.baseUrl }, { model: 'gpt-4o', key: KEY });
  let n = 0;
  for await (const c of await openai.stream(chat('stop early', { stream: true }), ctx)) {
    assert.equal(c.choices[0].delta.content, `t${n}`);
    if (++n === 3) break;
  }
  assert.equal(n, 3);
  await socketClosed;
});

test('return() while a next() is still waiting on a quiet upstream ends that next() too', { timeout: 10_000 }, async () => {
  respond = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk(0, 't0'));
    // ...then silence: the second next() can only end through return().
  };
  ctx = attempt({ type: 'openai', baseUrl: upstream.baseUrl }, { model: 'gpt-4o', key: KEY });
  const it = (await openai.stream(chat('quiet', { stream: true }), ctx))[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.choices[0].delta.content, 't0');
  const waiting = it.next();
  await it.return!();
  assert.deepEqual(await waiting, { value: undefined, done: true });
});
