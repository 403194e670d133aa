// Upstream faults × strategies × streamed or not: the client (official openai SDK) gets the documented
// outcome, exactly one decision event records the right attempts, the gateway stays up, and closing it
// leaves no socket, timer or listener behind. The outcomes are tabled in test/reliability/README.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeOpenAI, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { startTestGateway, hello, type TestGateway } from '../gateway/harness';
import { countResources, settledLeftovers } from './resources';
import { closedPort } from '../support/closed-port';
import { config as matrixConfig, FAULTS, HUGE_CHARS, STRATEGIES, type Fault, type Outcome, type Strategy } from './fault-matrix';

const config = (fault: Fault, strategy: Strategy) => matrixConfig(fault, strategy, { bad: bad.baseUrl, good: good.baseUrl, refusedPort });


let bad: FakeUpstream;
let good: FakeUpstream;
/** Connecting to it is refused. */
let refusedPort: number;

before(async () => {
  [bad, good, refusedPort] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), closedPort()]);
});
after(async () => {
  await Promise.all([bad.close(), good.close()]);
});

interface ClientResult {
  model?: string;
  text: string;
  chunks: number;
  error?: unknown;
}

async function callThroughSdk(gw: TestGateway, group: string, stream: boolean): Promise<ClientResult> {
  let text = '';
  let chunks = 0;
  try {
    if (!stream) {
      const r = await gw.client.chat.completions.create({ model: group, messages: hello });
      return { model: r.model, text: r.choices[0]?.message?.content ?? '', chunks: 0 };
    }
    const s = await gw.client.chat.completions.create({ model: group, messages: hello, stream: true });
    let model: string | undefined;
    for await (const chunk of s) {
      model = chunk.model;
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    return { model, text, chunks };
  } catch (error) {
    return { text, chunks, error };
  }
}

async function healthy(gw: TestGateway): Promise<boolean> {
  const res = await fetch(`${gw.url}/healthz`);
  await res.arrayBuffer();
  return res.status === 200;
}

/** Runs one case on a fresh gateway (so latency state and pools start cold) and checks everything. */
async function runCase(fault: Fault, strategy: Strategy | 'solo', stream: boolean, expected: Outcome | '502'): Promise<void> {
  const baseline = countResources();
  bad.setBehavior(fault.behavior);
  good.setBehavior({});
  const gw = await startTestGateway(config(fault, strategy === 'solo' ? 'fallback' : strategy), { env: { FIRST_KEY: FAKE_OPENAI_KEY, SECOND_KEY: FAKE_OPENAI_KEY } });
  let closed = false;
  try {
    const result = await callThroughSdk(gw, strategy === 'solo' ? 'solo' : 'chat', stream);
    const events = gw.events();
    assert.equal(events.length, 1, `exactly one decision event (got ${events.length})`);
    const [event] = events;
    assert.equal(event.stream, stream);
    const failedOutcome = fault.attemptOutcome ?? 'error';

    if (expected === 'fallback') {
      assert.equal(result.error, undefined, `no error reaches the client: ${String(result.error)}`);
      assert.equal(result.model, 'gpt-4o-mini', 'the second model served it');
      assert.ok(result.text.length > 0);
      assert.deepEqual(event.attempts.map((a) => [a.provider, a.outcome]), [['first', failedOutcome], ['second', 'success']]);
      assert.match(event.attempts[0].error ?? '', fault.reason);
      assert.equal(event.fallback_count, 1);
      assert.equal(event.decision, 'allowed');
      assert.equal(event.resolved_model, 'gpt-4o-mini');
    } else if (expected === 'served') {
      assert.equal(result.error, undefined, `no error reaches the client: ${String(result.error)}`);
      assert.equal(result.model, 'gpt-4o');
      assert.equal(result.text.length, HUGE_CHARS, 'the whole answer arrived');
      assert.deepEqual(event.attempts.map((a) => [a.provider, a.outcome]), [['first', 'success']]);
      assert.equal(event.decision, 'allowed');
    } else if (expected === 'midstream') {
      assert.ok(result.error instanceof OpenAI.APIError, `the SDK raised an APIError, got ${String(result.error)}`);
      assert.match(result.error.message, fault.reason);
      assert.ok(result.chunks > 0, 'chunks before the failure reached the client');
      assert.equal(event.attempts.length, 1);
      assert.equal(event.attempts[0].outcome, 'error');
      assert.match(event.attempts[0].error ?? '', fault.reason);
      assert.equal(event.decision, 'error');
    } else {
      assert.ok(result.error instanceof OpenAI.APIError, `the SDK raised an APIError, got ${String(result.error)}`);
      assert.equal(result.error.status, 502);
      assert.equal(result.error.code, 'all_attempts_failed');
      assert.match(result.error.message, /1\) first\/gpt-4o/);
      assert.match(result.error.message, fault.reason);
      assert.equal(event.http_status, 502);
      assert.equal(event.decision, 'error');
      assert.deepEqual(event.attempts.map((a) => [a.provider, a.outcome]), [['first', failedOutcome]]);
    }
    assert.ok(await healthy(gw), 'the gateway still answers /healthz');
    await gw.close();
    closed = true;
    assert.deepEqual(await settledLeftovers(baseline), {}, 'nothing left behind after close');
  } finally {
    if (!closed) await gw.close();
  }
}

for (const fault of FAULTS) {
  for (const stream of [false, true]) {
    const expected = stream ? fault.streamed : fault.plain;
    if (expected === null) continue;
    const mode = stream ? 'streamed' : 'non-streamed';
    test(`${fault.name}, ${mode}: ${expected} under every strategy`, async (t) => {
      for (const strategy of STRATEGIES) {
        await t.test(strategy, () => runCase(fault, strategy, stream, expected));
      }
      // A group with no other model: what fell back above becomes a 502 that lists the attempt.
      if (expected === 'fallback') await t.test('no other model: 502 listing the attempt', () => runCase(fault, 'solo', stream, '502'));
    });
  }
}
