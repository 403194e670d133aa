// Runs a route plan: tries models in order, bounding each attempt's time to first byte, and moves on
// after retryable failures. The first success is handed back still streaming, if it streams.
import type { Attempt } from '../events/decision-event';
import { Cancellation } from '../providers/cancellation';
import { providerFor } from '../providers/index';
import { UpstreamError, type AttemptContext, type ChatCompletion, type ChatCompletionChunk, type ChatRequest, type Embeddings, type EmbeddingsRequest, type Provider } from '../providers/provider';
import type { RoutedTarget, RoutingTable } from '../runtime/routing-table';
import type { LatencyBoard } from './latency';
import { modelKey, type RoutedModel } from './plan';

interface Served {
  model: RoutedModel;
  target: RoutedTarget;
  attempts: Attempt[];
  ttftMs: number;
}

export type AttemptsOutcome =
  | (Served & { kind: 'completion'; completion: ChatCompletion })
  | (Served & { kind: 'stream'; first: ChatCompletionChunk | undefined; rest: AsyncIterator<ChatCompletionChunk>; release: () => void })
  /** A non-retryable answer (e.g. 400): returned to the client as it is. */
  | { kind: 'client_error'; error: UpstreamError; attempts: Attempt[]; model: RoutedModel; target: RoutedTarget }
  | { kind: 'exhausted'; attempts: Attempt[] }
  | { kind: 'aborted'; attempts: Attempt[] };

export interface AttemptOptions {
  table: RoutingTable;
  request: ChatRequest;
  stream: boolean;
  /** Aborted when the client goes away. */
  clientSignal: Cancellation;
  latency: LatencyBoard;
  startedAt: number;
}

function attemptOf(m: RoutedModel, outcome: Attempt['outcome'], startedAt: number, error?: UpstreamError): Attempt {
  return {
    provider: m.provider,
    model: m.model,
    outcome,
    status: error?.status ?? (outcome === 'success' ? 200 : null),
    error: error ? error.message : null,
    latency_ms: round(performance.now() - startedAt),
  };
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** One attempt under way: what a call needs, and how to end the attempt's timeout and client link. */
interface AttemptRun {
  model: RoutedModel;
  target: RoutedTarget;
  provider: Provider;
  ctx: AttemptContext;
  started: number;
  attempts: Attempt[];
  /** Set when the attempt is bounded by timeout_ms: its own signal, aborted on timeout or client abort. */
  controller: Cancellation | undefined;
  /** Ends the timeout and the link to the client's signal. */
  release(): void;
  /** Ends the timeout only (a stream keeps the link until it ends). */
  stopTimer(): void;
  unlink: (() => void) | undefined;
}

type Failed = Extract<AttemptsOutcome, { kind: 'client_error' | 'exhausted' | 'aborted' }>;

/**
 * Tries models in order: `call` makes one attempt and returns the outcome on success; a thrown error
 * is recorded, and a retryable one moves on to the next model. Shared by every inbound API.
 */
async function tryInOrder<T>(order: readonly RoutedModel[], options: Omit<AttemptOptions, 'request' | 'stream'>, call: (run: AttemptRun) => Promise<T>): Promise<T | Failed> {
  const attempts: Attempt[] = [];
  for (const model of order) {
    if (options.clientSignal.aborted) return { kind: 'aborted', attempts };
    const target = options.table.targets.get(model.provider);
    if (!target) continue; // lint guarantees targets exist; an unknown one cannot be tried
    const started = performance.now();
    // Only a bounded attempt needs its own signal; otherwise the client's own is the attempt's.
    const controller = model.timeout_ms ? new Cancellation() : undefined;
    let timedOut = false;
    const unlink = controller ? options.clientSignal.onAbort(() => controller.abort(options.clientSignal.reason)) : undefined;
    const timer = controller
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, model.timeout_ms)
      : undefined;
    const stopTimer = () => {
      if (timer) clearTimeout(timer);
    };
    const release = () => {
      stopTimer();
      unlink?.();
    };
    const ctx = { target, model: model.model, apiKey: options.table.apiKey(target), signal: controller ?? options.clientSignal, dispatcher: target.dispatcher };
    try {
      return await call({ model, target, provider: providerFor(target.type), ctx, started, attempts, controller, release, stopTimer, unlink });
    } catch (caught) {
      release();
      if (options.clientSignal.aborted) {
        attempts.push(attemptOf(model, 'aborted', started, asUpstream(caught, 'client disconnected')));
        return { kind: 'aborted', attempts };
      }
      let error = asUpstream(caught, 'upstream failed');
      if (timedOut) error = new UpstreamError('timeout', `no first byte from ${target.id}/${model.model} within timeout_ms ${model.timeout_ms}`);
      attempts.push(attemptOf(model, error.kind === 'timeout' ? 'timeout' : 'error', started, error));
      // A target that cannot serve the API says nothing about its speed.
      if (error.kind !== 'unsupported') options.latency.recordFailure(modelKey(model), performance.now() - started);
      if (!error.retryable) return { kind: 'client_error', error, attempts, model, target };
    }
  }
  return { kind: 'exhausted', attempts };
}

/** Records the attempt that answered; the time to its first byte feeds the latency board. */
function succeeded(run: AttemptRun, options: { latency: LatencyBoard; startedAt: number }): Served {
  options.latency.record(modelKey(run.model), performance.now() - run.started);
  run.attempts.push(attemptOf(run.model, 'success', run.started));
  return { model: run.model, target: run.target, attempts: run.attempts, ttftMs: round(performance.now() - options.startedAt) };
}

export function runAttempts(order: readonly RoutedModel[], options: AttemptOptions): Promise<AttemptsOutcome> {
  return tryInOrder<AttemptsOutcome>(order, options, async (run) => {
    if (!options.stream) {
      const completion = await run.provider.complete(options.request, run.ctx);
      run.release();
      return { kind: 'completion', completion, ...succeeded(run, options) };
    }
    const iterable = await run.provider.stream(options.request, run.ctx);
    const upstream = iterable[Symbol.asyncIterator]();
    // The stream is committed only once its first chunk is here: until then it may still fall back.
    const first = await upstream.next();
    run.stopTimer();
    const served = succeeded(run, options);
    const { controller, model, target, unlink } = run;
    const idle = controller && model.timeout_ms ? idleBounded(upstream, model.timeout_ms, controller, `${target.id}/${model.model}`) : undefined;
    return {
      kind: 'stream', first: first.done ? undefined : first.value, rest: idle?.rest ?? upstream, ...served,
      release: () => {
        idle?.stop();
        unlink?.();
      },
    };
  });
}

export type EmbeddingsOutcome = (Served & { kind: 'embeddings'; embeddings: Embeddings }) | Failed;

export interface EmbeddingAttemptOptions extends Omit<AttemptOptions, 'request' | 'stream'> {
  request: EmbeddingsRequest;
}

/** runAttempts for POST /v1/embeddings: a target that cannot take the request fails its attempt and the next one is tried. */
export async function runEmbeddingAttempts(order: readonly RoutedModel[], options: EmbeddingAttemptOptions): Promise<EmbeddingsOutcome> {
  let unsupported: { error: UpstreamError; model: RoutedModel; target: RoutedTarget } | undefined;
  let unsupportedCount = 0;
  const outcome = await tryInOrder<EmbeddingsOutcome>(order, options, async (run) => {
    try {
      if (!run.provider.embed) {
        const message = `target "${run.target.id}" is of type ${run.target.type}, which has no embeddings API. Route embeddings to an openai, azure-openai, ollama or mock target.`;
        throw new UpstreamError('unsupported', message, 400, { error: { message, type: 'invalid_request_error', param: 'model', code: 'embeddings_not_supported' } });
      }
      const embeddings = await run.provider.embed(options.request, run.ctx);
      run.release();
      return { kind: 'embeddings', embeddings, ...succeeded(run, options) };
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'unsupported') {
        unsupported = { error, model: run.model, target: run.target };
        unsupportedCount++;
      }
      throw error;
    }
  });
  // When no target could even take the request, that is the client's mistake to fix, not an outage.
  if (outcome.kind === 'exhausted' && unsupported && unsupportedCount === outcome.attempts.length) {
    return { kind: 'client_error', attempts: outcome.attempts, ...unsupported };
  }
  return outcome;
}

/**
 * After the first chunk, `timeout_ms` also bounds each wait for the next chunk: an upstream that stalls
 * mid-stream is cut off with a `timeout` error instead of holding the client until the socket times out.
 * Only time spent waiting on the upstream counts, not time spent waiting for a slow client to read.
 */
function idleBounded(
  upstream: AsyncIterator<ChatCompletionChunk>,
  timeoutMs: number,
  controller: Cancellation,
  label: string,
): { rest: AsyncIterator<ChatCompletionChunk>; stop: () => void } {
  let waiting = false;
  let idled = false;
  const timer = setTimeout(() => {
    if (!waiting) return;
    idled = true;
    controller.abort();
  }, timeoutMs);
  const stop = () => clearTimeout(timer);
  const rest: AsyncIterator<ChatCompletionChunk> = {
    async next() {
      waiting = true;
      timer.refresh();
      try {
        const r = await upstream.next();
        if (r.done) stop();
        return r;
      } catch (error) {
        stop();
        if (idled) throw new UpstreamError('timeout', `no stream data from ${label} for timeout_ms ${timeoutMs} after the first chunk`);
        throw error;
      } finally {
        waiting = false;
      }
    },
    async return(value?: unknown) {
      stop();
      return upstream.return ? upstream.return(value) : { done: true, value: undefined };
    },
  };
  return { rest, stop };
}

function asUpstream(caught: unknown, fallback: string): UpstreamError {
  if (caught instanceof UpstreamError) return caught;
  return new UpstreamError('protocol', `${fallback}: ${(caught as Error)?.message ?? String(caught)}`);
}

/** The 502 message when every attempt failed: one clause per attempt. */
export function exhaustedMessage(attempts: readonly Attempt[]): string {
  if (attempts.length === 0) return 'No model could be tried for this request.';
  const parts = attempts.map((a, i) => `${i + 1}) ${a.provider}/${a.model}: ${a.outcome === 'timeout' ? 'timeout' : a.status ? `HTTP ${a.status}` : 'error'}${a.error ? ` (${a.error})` : ''}`);
  return `All ${attempts.length} attempt${attempts.length === 1 ? '' : 's'} failed: ${parts.join('; ')}.`;
}
