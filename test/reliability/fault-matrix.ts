// The fault matrix shared by the chat suite (faults.test.ts) and the other inbound APIs'
// (faults-inbound.test.ts): which upstream faults there are and what a client must see for each.
import type { FakeBehavior } from '../fakes';

/** The first model's bound, short so the whole matrix runs in seconds. */
export const TIMEOUT_MS = 300;
export const HUGE_CHARS = 2_000_000;

export type Strategy = 'weighted' | 'fallback' | 'cost' | 'latency';
export const STRATEGIES: Strategy[] = ['weighted', 'fallback', 'cost', 'latency'];

/**
 * What the client must see:
 * - fallback: the second model serves it; the event has [failed first attempt, success].
 * - served: not a failure at all (e.g. a huge but valid answer): the first model serves it.
 * - midstream: the first byte already reached the client, so no fallback: the stream ends with an error
 *   event the SDK raises, after some content; the event is an error with one failed attempt.
 */
export type Outcome = 'fallback' | 'served' | 'midstream';

export interface Fault {
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

export const FAULTS: Fault[] = [
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

export interface Upstreams {
  /** The misbehaving fake's base URL, the well-behaved one's, and a port that refuses connections. */
  bad: string;
  good: string;
  refusedPort: number;
}

function firstBaseUrl(fault: Fault, up: Upstreams): string {
  if (fault.upstream === 'refused') return `http://127.0.0.1:${up.refusedPort}/v1`;
  if (fault.upstream === 'unresolvable') return 'http://kt-fault.invalid/v1';
  return up.bad;
}

/** A two-model group whose strategy tries the faulty model first, and a one-model group with no way out. */
export function config(fault: Fault, strategy: Strategy, up: Upstreams): string {
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
        base_url: ${firstBaseUrl(fault, up)}
        secret_key_ref:
          env: FIRST_KEY
    - id: second
      provider:
        base_url: ${up.good}
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

