// Cancellation: the EventEmitter the gateway passes as every upstream call's signal.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Cancellation } from '../../gateway/providers/cancellation';
import { openai } from '../../gateway/providers/openai';
import { attempt, scriptedUpstream, chat, upstreamFailure, type Attempt } from './attempt';

test('abort sets aborted and a default Error reason, and emits abort exactly once', () => {
  const c = new Cancellation();
  assert.equal(c.aborted, false);
  assert.equal(c.reason, undefined);
  let emitted = 0;
  c.on('abort', () => emitted++);
  c.abort();
  assert.equal(c.aborted as boolean, true); // (casts: the asserts above narrowed both fields)
  const first = c.reason as Error | undefined;
  assert.ok(first instanceof Error);
  assert.equal(first.message, 'The operation was aborted');
  c.abort(new Error('second'));
  assert.equal(emitted, 1);
  assert.equal(c.reason as Error | undefined, first, 'a second abort keeps the first reason');
});

test('abort(reason) keeps the given reason', () => {
  const c = new Cancellation();
  const reason = new Error('client went away');
  c.abort(reason);
  assert.equal(c.aborted, true);
  assert.equal(c.reason, reason);
});

test('abort listeners see aborted and the reason already set', () => {
  const c = new Cancellation();
  const reason = new Error('r');
  let seen: [boolean, Error | undefined] | undefined;
  c.on('abort', () => { seen = [c.aborted, c.reason]; });
  c.abort(reason);
  assert.deepEqual(seen, [true, reason]);
});

test('onAbort runs its listener once on abort, synchronously, and leaves no listener behind', () => {
  const c = new Cancellation();
  let calls = 0;
  c.onAbort(() => calls++);
  assert.equal(calls, 0);
  assert.equal(c.listenerCount('abort'), 1);
  c.abort();
  assert.equal(calls, 1);
  c.abort();
  assert.equal(calls, 1);
  assert.equal(c.listenerCount('abort'), 0);
});

test('the function onAbort returns stops the listener, and only that one', () => {
  const c = new Cancellation();
  const calls: string[] = [];
  const unlinkA = c.onAbort(() => calls.push('a'));
  c.onAbort(() => calls.push('b'));
  unlinkA();
  assert.equal(c.listenerCount('abort'), 1);
  unlinkA(); // twice is harmless
  assert.equal(c.listenerCount('abort'), 1);
  c.abort();
  assert.deepEqual(calls, ['b']);
});

test('onAbort on an already aborted Cancellation runs the listener at once', () => {
  const c = new Cancellation();
  c.abort();
  let calls = 0;
  const unlink = c.onAbort(() => calls++);
  assert.equal(calls, 1);
  assert.equal(typeof unlink, 'function');
  unlink();
  c.abort();
  assert.equal(calls, 1);
  assert.equal(c.listenerCount('abort'), 0);
});

// End to end: the Cancellation as ctx.signal reaches undici and the upstream socket.

let onRequest: (req: IncomingMessage) => void = () => {};
let ctx: Attempt | undefined;

// Never answers: holds every request open until the client gives up.
const upstream = scriptedUpstream((req) => { req.resume(); onRequest(req); });
// destroy, not close: a regression that leaves a request open must fail the test, not hang the hook.
afterEach(async () => { await ctx?.dispatcher.destroy(); ctx = undefined; });

/** Resolves with the next request and a promise of its socket closing. */
function nextRequest(): Promise<{ req: IncomingMessage; socketClosed: Promise<void> }> {
  return new Promise((resolve) => {
    onRequest = (req) => {
      const socketClosed = new Promise<void>((r) => req.socket.once('close', () => r()));
      resolve({ req, socketClosed });
    };
  });
}

test('ctx.signal aborted while the upstream has not answered: complete rejects as aborted and the socket closes', { timeout: 10_000 }, async () => {
  ctx = attempt({ type: 'openai', baseUrl: upstream.baseUrl }, { model: 'gpt-4o', key: 'sk-cancel-0123456' });
  const arrived = nextRequest();
  const call = openai.complete(chat('never answered'), ctx);
  const { req, socketClosed } = await arrived;
  assert.equal(req.url, '/v1/chat/completions');
  assert.equal(ctx.signal, ctx.controller);
  ctx.controller.abort();
  const err = await upstreamFailure(call);
  assert.equal(err.kind, 'aborted');
  assert.equal(err.retryable, false);
  assert.match(err.message, /request to target "openai" was aborted/);
  await socketClosed;
  assert.equal(req.socket.destroyed, true);
  // undici let go of the signal once the request ended.
  assert.equal(ctx.controller.listenerCount('abort'), 0);
});

test('an already aborted ctx.signal fails before any request is sent', async () => {
  ctx = attempt({ type: 'openai', baseUrl: upstream.baseUrl }, { model: 'gpt-4o', key: 'sk-cancel-0123456' });
  let requests = 0;
  onRequest = () => { requests++; };
  ctx.controller.abort();
  const err = await upstreamFailure(openai.complete(chat(), ctx));
  assert.equal(err.kind, 'aborted');
  assert.equal(requests, 0);
});
