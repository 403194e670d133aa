// The fault matrix on the other inbound APIs: /v1/messages through the Anthropic SDK and /v1/responses
// through the openai SDK's Responses client, with a fallback group over OpenAI-compatible fakes. Same
// faults and outcomes as faults.test.ts (chat, every strategy); here the fallback strategy, since the
// routing under the translation is the same code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeOpenAI, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { startTestGateway, type TestGateway } from '../gateway/harness';
import { closedPort } from '../support/closed-port';
import { config, FAULTS, HUGE_CHARS, type Fault, type Outcome } from './fault-matrix';

let bad: FakeUpstream;
let good: FakeUpstream;
let refusedPort: number;

before(async () => {
  [bad, good, refusedPort] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), closedPort()]);
});
after(async () => {
  await Promise.all([bad.close(), good.close()]);
});

/** `chunks`: stream events the client received (bytes on the wire), text or not. */
interface Result { model?: string; text: string; chunks: number; error?: unknown }

async function viaMessages(gw: TestGateway, group: string, stream: boolean): Promise<Result> {
  const client = new Anthropic({ baseURL: gw.url, apiKey: gw.key, maxRetries: 0, timeout: 20_000 });
  let text = '';
  let chunks = 0;
  try {
    if (!stream) {
      const r = await client.messages.create({ model: group, max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] });
      return { model: r.model, text: r.content.map((b) => (b.type === 'text' ? b.text : '')).join(''), chunks: 0 };
    }
    const s = await client.messages.create({ model: group, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Hello' }] });
    let model: string | undefined;
    for await (const e of s) {
      chunks++;
      if (e.type === 'message_start') model = e.message.model;
      if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
    }
    return { model, text, chunks };
  } catch (error) {
    return { text, chunks, error };
  }
}

async function viaResponses(gw: TestGateway, group: string, stream: boolean): Promise<Result> {
  let text = '';
  let chunks = 0;
  try {
    if (!stream) {
      const r = await gw.client.responses.create({ model: group, input: 'Hello' });
      return { model: r.model, text: r.output_text, chunks: 0 };
    }
    const s = await gw.client.responses.create({ model: group, input: 'Hello', stream: true });
    let model: string | undefined;
    for await (const e of s) {
      chunks++;
      if (e.type === 'response.created') model = e.response.model;
      if (e.type === 'response.output_text.delta') text += e.delta;
    }
    return { model, text, chunks };
  } catch (error) {
    return { text, chunks, error };
  }
}

const ROUTES = { messages: viaMessages, responses: viaResponses } as const;

function status(error: unknown): number | undefined {
  return (error as { status?: number })?.status;
}

async function runCase(route: keyof typeof ROUTES, fault: Fault, group: 'chat' | 'solo', stream: boolean, expected: Outcome | '502'): Promise<void> {
  bad.setBehavior(fault.behavior);
  good.setBehavior({});
  const gw = await startTestGateway(config(fault, 'fallback', { bad: bad.baseUrl, good: good.baseUrl, refusedPort }), { env: { FIRST_KEY: FAKE_OPENAI_KEY, SECOND_KEY: FAKE_OPENAI_KEY } });
  try {
    const result = await ROUTES[route](gw, group, stream);
    const events = gw.events();
    assert.equal(events.length, 1, `exactly one decision event (got ${events.length})`);
    const [event] = events;
    assert.equal(event.api, route);
    assert.equal(event.stream, stream);
    if (expected === 'fallback') {
      assert.equal(result.error, undefined, `no error reaches the client: ${String(result.error)}`);
      assert.equal(result.model, 'gpt-4o-mini', 'the second model served it');
      assert.ok(result.text.length > 0);
      assert.deepEqual(event.attempts.map((a) => [a.provider, a.outcome]), [['first', fault.attemptOutcome ?? 'error'], ['second', 'success']]);
      assert.match(event.attempts[0].error ?? '', fault.reason);
    } else if (expected === 'served') {
      assert.equal(result.error, undefined, `no error reaches the client: ${String(result.error)}`);
      assert.equal(result.text.length, HUGE_CHARS, 'the whole answer arrived');
      assert.deepEqual(event.attempts.map((a) => [a.provider, a.outcome]), [['first', 'success']]);
    } else if (expected === 'midstream') {
      assert.ok(result.error instanceof Error, `the SDK raised an error, got ${String(result.error)}`);
      assert.match((result.error as Error).message, fault.reason);
      assert.ok(result.chunks > 0, 'events before the failure reached the client');
      assert.equal(event.attempts.length, 1);
      assert.equal(event.decision, 'error');
    } else {
      assert.equal(status(result.error), 502, `a 502, got ${String(result.error)}`);
      assert.match((result.error as Error).message, fault.reason);
      assert.equal(event.http_status, 502);
      assert.deepEqual(event.attempts.map((a) => a.provider), ['first']);
    }
    const health = await fetch(`${gw.url}/healthz`);
    assert.equal(health.status, 200, 'the gateway still answers /healthz');
  } finally {
    await gw.close();
  }
}

for (const route of Object.keys(ROUTES) as Array<keyof typeof ROUTES>) {
  for (const fault of FAULTS) {
    for (const stream of [false, true]) {
      const expected = stream ? fault.streamed : fault.plain;
      if (expected === null) continue;
      test(`/v1/${route}: ${fault.name}, ${stream ? 'streamed' : 'non-streamed'}: ${expected}`, async (t) => {
        await t.test('fallback group', () => runCase(route, fault, 'chat', stream, expected));
        if (expected === 'fallback') await t.test('no other model: 502 naming the attempt', () => runCase(route, fault, 'solo', stream, '502'));
      });
    }
  }
}
