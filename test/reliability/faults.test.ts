// Upstream faults × strategies × streamed or not: the client (official openai SDK) gets the documented
// outcome, exactly one decision event records the right attempts, the gateway stays up, and closing it
// leaves no socket, timer or listener behind. The outcomes are tabled in test/reliability/README.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeOpenAI, FAKE_OPENAI_KEY, type FakeBehavior, type FakeUpstream } from '../fakes';
import { startTestGateway, hello, type TestGateway } from '../gateway/harness';
import { countResources, settledLeftovers } from './resources';
import { closedPort } from '../support/closed-port';

/** The first model's bound, short so the whole matrix runs in seconds. */
const TIMEOUT_MS = 300;
const HUGE_CHARS = 2_000_000;

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

type Strategy = 'weighted' | 'fallback' | 'cost' | 'latency';
const STRATEGIES: Strategy[] = ['weighted', 'fallback', 'cost', 'latency'];

/**
 * What the client must see:
 * - fallback: the second model serves it; the event has [failed first attempt, success].
 * - served: not a failure at all (e.g. a huge but valid answer): the first model serves it.
 * - midstream: the first byte already reached the client, so no fallback: the stream ends with an error
 *   event the SDK raises, after some content; the event is an error with one failed attempt.
 */
type Outcome = 'fallback' | 'served' | 'midstream';

interface Fault {
  name: string;
  /** Where the first model points: the misbehaving fake, a closed port, or a host that cannot resolve. */
  upstream: 'fake' | 'refused' | 'unresolvable';
  behavior: FakeBehavior;
  /** Expected outcome non-streamed and streamed; null when the fault does not exist in that mode. */
  plain: Outcome | null;
  streamed: Outcome | null;
  /** What the failed attempt's error (and a 502's message) must say. */
  reason: RegExp;
  /** The failed attempt's outcome field. */
  attemptOutcome?: 'timeout' | 'error';
}

const FAULTS: Fault[] = [
  { name: 'connection refused', upstream: 'refused', behavior: {}, plain: 'fallback', streamed: 'fallback', reason: /connection refused/ },
  { name: 'unresolvable host', upstream: 'unresolvable', behavior: {}, plain: 'fallback', streamed: 'fallback', reason: /host not found|DNS/ },
  { name: 'timeout before headers', upstream: 'fake', behavior: { stall: 'before-headers' }, plain: 'fallback', streamed: 'fallback', reason: /timeout_ms 300/, attemptOutcome: 'timeout' },
  { name: 'stall mid-body', upstream: 'fake', behavior: { stall: 'mid-body' }, plain: 'fallback', streamed: 'midstream', reason: /timeout_ms 300|no stream data/, attemptOutcome: 'timeout' },
  { name: 'reset mid-body', upstream: 'fake', behavior: { reset: 'mid-body' }, plain: 'fallback', streamed: 'midstream', reason: /reset|closed|terminated/i },
  { name: '429 with retry-after', upstream: 'fake', behavior: { failStatus: 429, retryAfter: 20 }, plain: 'fallback', streamed: 'fallback', reason: /HTTP 429/ },
  { name: '500', upstream: 'fake', behavior: { failStatus: 500 }, plain: 'fallback', streamed: 'fallback', reason: /HTTP 500/ },
  { name: '502', upstream: 'fake', behavior: { failStatus: 502 }, plain: 'fallback', streamed: 'fallback', reason: /HTTP 502/ },
  { name: '503', upstream: 'fake', behavior: { failStatus: 503 }, plain: 'fallback', streamed: 'fallback', reason: /HTTP 503/ },
  { name: '529', upstream: 'fake', behavior: { failStatus: 529 }, plain: 'fallback', streamed: 'fallback', reason: /HTTP 529/ },
  { name: 'malformed JSON', upstream: 'fake', behavior: { malformedJson: true }, plain: 'fallback', streamed: null, reason: /malformed JSON/ },
  { name: 'wrong content type', upstream: 'fake', behavior: { wrongContentType: true }, plain: 'fallback', streamed: 'fallback', reason: /content type/ },
  { name: 'stream cut mid-way', upstream: 'fake', behavior: { cutAfterChunks: 2 }, plain: null, streamed: 'midstream', reason: /ended before|finish_reason/ },
  { name: 'stream cut before any chunk', upstream: 'fake', behavior: { cutAfterChunks: 0 }, plain: null, streamed: 'fallback', reason: /before sending any chunk/ },
  { name: 'garbage SSE line', upstream: 'fake', behavior: { garbageSseLine: true }, plain: null, streamed: 'midstream', reason: /not a JSON object/ },
  { name: 'error event mid-stream', upstream: 'fake', behavior: { streamErrorAfterChunks: 2 }, plain: null, streamed: 'midstream', reason: /failed mid-stream/ },
  { name: 'huge response', upstream: 'fake', behavior: { hugeReplyChars: HUGE_CHARS }, plain: 'served', streamed: 'served', reason: /^$/ },
];

function firstBaseUrl(fault: Fault): string {
  if (fault.upstream === 'refused') return `http://127.0.0.1:${refusedPort}/v1`;
  if (fault.upstream === 'unresolvable') return 'http://kt-fault.invalid/v1';
  return bad.baseUrl;
}

/** A two-model group whose strategy tries the faulty model first, and a one-model group with no way out. */
function config(fault: Fault, strategy: Strategy): string {
  const extra = (first: boolean) => {
    if (strategy === 'weighted') return `        weight: ${first ? 100 : 0}\n`;
    if (strategy === 'cost') return `        cost_per_1k_input: ${first ? 0.0001 : 0.001}\n        cost_per_1k_output: ${first ? 0.0001 : 0.001}\n`;
    return '';
  };
  const budget = strategy === 'cost' ? '    budget_per_request_usd: 1\n' : '';
  return `providers:
  targets:
    - id: first
      provider:
        base_url: ${firstBaseUrl(fault)}
        secret_key_ref:
          env: FIRST_KEY
    - id: second
      provider:
        base_url: ${good.baseUrl}
        secret_key_ref:
          env: SECOND_KEY
model_groups:
  - name: chat
    strategy: ${strategy}
${budget}    models:
      - provider: first
        model: gpt-4o
        timeout_ms: ${TIMEOUT_MS}
${extra(true)}      - provider: second
        model: gpt-4o-mini
        timeout_ms: 3000
${extra(false)}  - name: solo
    strategy: ${strategy}
${budget}    models:
      - provider: first
        model: gpt-4o
        timeout_ms: ${TIMEOUT_MS}
${strategy === 'cost' ? extra(true) : ''}`;
}

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
