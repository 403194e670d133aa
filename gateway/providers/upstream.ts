// Shared HTTP plumbing for every provider: one undici pool per target, a JSON POST that maps every
// failure to an UpstreamError, and a stream runner that always releases the socket.
import { Agent, Pool, type Dispatcher } from 'undici';
import type { ProviderTarget } from '../policy/types';
import {
  UpstreamError,
  type AttemptContext,
  type ChatCompletionChunk,
  type UpstreamErrorKind,
} from './provider';
import type { Cancellation } from './cancellation';
import { SseParser, type SseEvent } from './sse';

export type OpenAIErrorBody = NonNullable<UpstreamError['body']>;

/** Where a provider sends its request: undici wants origin and path apart. */
export interface UpstreamRoute {
  origin: string;
  /** Path plus query string. */
  path: string;
}

/** Turns a provider's parsed error payload into the OpenAI error shape the gateway returns. */
export type ErrorShaper = (payload: unknown, status: number) => OpenAIErrorBody;

type ResponseData = Dispatcher.ResponseData;

const ERROR_BODY_CAP = 64 * 1024;
const DRAIN_LIMIT = 64 * 1024;

/**
 * A keep-alive connection pool for one target's origin. `mock:` targets get an idle Agent that never
 * connects, so callers can create a dispatcher for every target alike.
 */
export function createDispatcher(target: ProviderTarget | string): Dispatcher {
  const baseUrl = typeof target === 'string' ? target : target.baseUrl;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`base_url "${baseUrl}" is not a valid URL: use a form like https://api.openai.com/v1`);
  }
  if (url.protocol === 'mock:') return new Agent();
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`base_url "${baseUrl}" must start with http:// or https:// (or mock: for the built-in mock provider)`);
  }
  return new Pool(url.origin, {
    connections: null,      // streams hold a connection each; never queue behind them
    pipelining: 1,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connect: { noDelay: true },
  });
}

/** `base` + `/suffix`, keeping any query string of the base and adding `query`. */
export function routeFor(base: string, suffix: string, query?: Record<string, string>): UpstreamRoute {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/+$/, '') + '/' + suffix.replace(/^\/+/, '');
  if (query) for (const [k, v] of Object.entries(query)) if (!url.searchParams.has(k)) url.searchParams.set(k, v);
  return { origin: url.origin, path: url.pathname + url.search };
}

export function targetLabel(ctx: AttemptContext): string {
  return `target "${ctx.target.id}"`;
}

/** Replaces the key wherever it appears; keys shorter than 6 chars are placeholders, not secrets. */
export function redact(text: string, key: string | undefined): string {
  return key && key.length >= 6 && text.includes(key) ? text.split(key).join('***') : text;
}

/** Builds an UpstreamError with the key scrubbed from its message and body. */
export function upstreamError(
  ctx: AttemptContext,
  kind: UpstreamErrorKind,
  message: string,
  status?: number,
  body?: OpenAIErrorBody,
  retryAfterMs?: number,
): UpstreamError {
  const key = ctx.apiKey;
  if (body && key) body.error.message = redact(body.error.message, key);
  return new UpstreamError(kind, redact(message, key), status, body, retryAfterMs);
}

/** The key, or a `missing_key` error naming the environment variable to set; no I/O happens first. */
export function requireKey(ctx: AttemptContext): string {
  if (ctx.apiKey) return ctx.apiKey;
  const { id, keyEnv } = ctx.target;
  throw new UpstreamError(
    'missing_key',
    keyEnv
      ? `environment variable ${keyEnv} is not set (secret_key_ref.env of target "${id}")`
      : `target "${id}" has no secret_key_ref.env: add one naming the environment variable that holds its API key`,
  );
}

function abortedError(ctx: AttemptContext): UpstreamError {
  return new UpstreamError('aborted', `request to ${targetLabel(ctx)} was aborted`);
}

function headerValue(headers: ResponseData['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `retry-after-ms` (ms) wins over `retry-after` (seconds or an HTTP date). */
export function parseRetryAfter(headers: ResponseData['headers']): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const v = Number(ms);
    if (ms.trim() !== '' && Number.isFinite(v) && v >= 0) return v;
  }
  const ra = headerValue(headers, 'retry-after');
  if (ra === undefined || ra.trim() === '') return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function openAITypeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * OpenAI-family error payloads: OpenAI `{error:{message,type,param,code}}`, Azure `{error:{code:"429",message}}`
 * and Ollama's native `{error:"..."}`.
 */
export const openAIErrorShape: ErrorShaper = (payload, status) => {
  const err = (payload as { error?: unknown } | null)?.error;
  if (typeof err === 'string') return { error: { message: err, type: openAITypeForStatus(status), param: null, code: null } };
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    return {
      error: {
        message: typeof e.message === 'string' ? e.message : `upstream answered HTTP ${status}`,
        type: typeof e.type === 'string' ? e.type : openAITypeForStatus(status),
        param: typeof e.param === 'string' ? e.param : null,
        code: typeof e.code === 'string' ? e.code : typeof e.code === 'number' ? String(e.code) : null,
      },
    };
  }
  return { error: { message: `upstream answered HTTP ${status}`, type: openAITypeForStatus(status), param: null, code: null } };
};

const PROTOCOL_CODES = new Set([
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_INFO', 'UND_ERR_RESPONSE',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE', 'UND_ERR_NOT_SUPPORTED',
]);
const CONNECT_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the upstream',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; errors?: Array<{ code?: unknown }> } | null;
  const code = e?.code ?? e?.cause?.code ?? e?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps a transport failure (before or during the body) to an UpstreamError. */
export function transportError(err: unknown, ctx: AttemptContext, stage: 'request' | 'body'): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (ctx.signal.aborted) return abortedError(ctx);
  const code = errorCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  const where = stage === 'body' ? ' while reading the response' : '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return upstreamError(ctx, 'timeout', `${targetLabel(ctx)} timed out${where} (${detail})`);
  }
  if (code && (PROTOCOL_CODES.has(code) || code.startsWith('HPE_'))) {
    return upstreamError(ctx, 'protocol', `${targetLabel(ctx)} sent an invalid HTTP response${where} (${detail})`);
  }
  // Network failures always carry a code; anything else is a bug or garbage, not a reason to blame the network.
  if (!code) return upstreamError(ctx, 'protocol', `${targetLabel(ctx)}: unexpected failure${where} (${detail})`);
  const words = CONNECT_WORDS[code] ?? 'connection failed';
  return upstreamError(ctx, 'connect', `${targetLabel(ctx)}: ${words}${where} (${code})`);
}

/** Closes a body nobody will read; the listener keeps an abort error from going unhandled. */
export function discard(body: ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

async function readCapped(body: ResponseData['body'], cap: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      parts.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= cap) break; // leaving the loop destroys the body
    }
  } catch {
    // A reset while reading an error body: the status alone still tells what happened.
  }
  return Buffer.concat(parts).toString('utf8', 0, Math.min(size, cap));
}

async function httpError(res: ResponseData, ctx: AttemptContext, shape: ErrorShaper): Promise<UpstreamError> {
  const status = res.statusCode;
  const text = await readCapped(res.body, ERROR_BODY_CAP);
  if (ctx.signal.aborted) return abortedError(ctx);
  let payload: unknown = null;
  try { payload = text ? JSON.parse(text) : null; } catch { payload = text.length < 500 ? { error: text.trim() || undefined } : null; }
  const body = shape(payload, status);
  const msg = body.error.message.length > 300 ? body.error.message.slice(0, 300) + '…' : body.error.message;
  return upstreamError(ctx, 'http', `${targetLabel(ctx)} answered HTTP ${status}: ${msg}`, status, body, parseRetryAfter(res.headers));
}

/**
 * POSTs `body` (already JSON text) and resolves with a 2xx response whose body the caller must read;
 * any other outcome rejects with an UpstreamError and leaves no body unread.
 */
export async function postJson(
  ctx: AttemptContext,
  route: UpstreamRoute,
  headers: Record<string, string>,
  body: string,
  shape: ErrorShaper,
): Promise<ResponseData> {
  if (ctx.signal.aborted) throw abortedError(ctx);
  let res: ResponseData;
  try {
    res = await ctx.dispatcher.request({ origin: route.origin, path: route.path, method: 'POST', headers, body, signal: ctx.signal });
  } catch (err) {
    throw transportError(err, ctx, 'request');
  }
  if (res.statusCode < 200 || res.statusCode >= 300) throw await httpError(res, ctx, shape);
  return res;
}

function contentType(res: ResponseData): string {
  return (headerValue(res.headers, 'content-type') ?? '').toLowerCase();
}

/** Reads a 2xx JSON body; wrong content type or malformed JSON is a `protocol` error. */
export async function readJson(res: ResponseData, ctx: AttemptContext): Promise<unknown> {
  return (await readJsonText(res, ctx)).value;
}

/** readJson, also handing back the text as it came (for forwarding it unchanged). */
export async function readJsonText(res: ResponseData, ctx: AttemptContext): Promise<{ value: unknown; text: string }> {
  const type = contentType(res);
  if (!type.includes('json')) {
    discard(res.body);
    throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} answered with content type "${type || 'none'}" instead of JSON`);
  }
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    throw transportError(err, ctx, 'body');
  }
  try {
    return { value: JSON.parse(text), text };
  } catch {
    throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} sent malformed JSON: ${preview(text)}`);
  }
}

export function preview(text: string): string {
  const t = text.length > 80 ? text.slice(0, 80) + '…' : text;
  return JSON.stringify(t);
}

/** Translates one provider's SSE events into OpenAI chunks. */
export interface StreamTranslator {
  /** A chunk to pass on, or undefined to skip the event. Throws UpstreamError on an error event. */
  push(event: SseEvent): ChatCompletionChunk | undefined;
  /** Set once the provider's end marker arrived. */
  readonly done: boolean;
  /** The upstream closed without its end marker: a last chunk, nothing, or a protocol error if nothing came. */
  finish(): ChatCompletionChunk | undefined;
}

/** Checks the response is an event stream, else a `protocol` error (the body is released). */
export function expectEventStream(res: ResponseData, ctx: AttemptContext): void {
  const type = contentType(res);
  if (type.includes('text/event-stream')) return;
  discard(res.body);
  throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} answered a stream request with content type "${type || 'none'}" instead of text/event-stream`);
}

/** Chunks queued beyond this pause the upstream body until the client catches up. */
const QUEUE_HIGH_WATER = 64;

/**
 * Runs a 2xx event-stream body through a translator. After the end marker the rest of the body is
 * drained so the socket can be reused; if the consumer stops early or anything fails, the socket is closed.
 */
export function translateStream(res: ResponseData, ctx: AttemptContext, t: StreamTranslator): AsyncIterableIterator<ChatCompletionChunk> {
  return new UpstreamChunks(res.body, ctx, t);
}

type Waiter = { resolve(result: IteratorResult<ChatCompletionChunk>): void; reject(error: unknown): void };

/**
 * Reads the body push-style: each 'data' event is parsed and translated at once and its chunks
 * queued for the consumer. Stacked async generators (body iterator, SSE parser, translator) cost a
 * promise hop per layer per chunk and put about 0.1 ms more before the first token.
 * Chunks that arrived before a failure are still handed out, then the failure; after a client
 * abort nothing more is handed out.
 */
class UpstreamChunks implements AsyncIterableIterator<ChatCompletionChunk> {
  private readonly parser = new SseParser();
  private queue: ChatCompletionChunk[] = [];
  private head = 0;
  private failure: UpstreamError | undefined;
  /** No more chunks will be queued: the end marker, the end of the body, a failure or return(). */
  private ended = false;
  /** The body is no longer ours: read to its end, left draining, or destroyed. */
  private released = false;
  private waiter: Waiter | undefined;

  constructor(private readonly body: ResponseData['body'], private readonly ctx: AttemptContext, private readonly t: StreamTranslator) {
    body.on('end', this.onEnd);
    body.on('error', this.onError);
    body.on('close', this.onClose);
    // The first events usually arrived with the headers: take them now rather than a tick later.
    for (let data = body.read() as Buffer | null; data !== null && !this.ended; data = body.read() as Buffer | null) this.onData(data);
    if (!this.ended) body.on('data', this.onData);
  }

  private readonly onData = (data: Buffer): void => {
    if (this.ended) return;
    try {
      for (const event of this.parser.push(data)) {
        const chunk = this.t.push(event);
        if (chunk) this.queue.push(chunk);
        if (this.t.done) {
          this.release(true);
          break;
        }
      }
    } catch (error) {
      this.fail(transportError(error, this.ctx, 'body'));
    }
    if (!this.ended && this.queue.length - this.head >= QUEUE_HIGH_WATER) this.body.pause();
    this.wake();
  };

  private readonly onEnd = (): void => {
    if (this.ended) return;
    this.parser.end();
    try {
      const tail = this.t.finish();
      if (tail) this.queue.push(tail);
      this.release(true);
    } catch (error) {
      this.fail(transportError(error, this.ctx, 'body'));
    }
    this.wake();
  };

  private readonly onError = (error: unknown): void => {
    this.fail(transportError(error, this.ctx, 'body'));
    this.wake();
  };

  private readonly onClose = (): void => {
    if (this.ended) return;
    this.fail(transportError(new Error('the upstream closed the stream'), this.ctx, 'body'));
    this.wake();
  };

  /** Stops listening; a clean end leaves the rest of the body draining so the socket is reused. */
  private release(clean: boolean): void {
    this.ended = true;
    if (this.released) return;
    this.released = true;
    const body = this.body;
    body.off('data', this.onData);
    body.off('end', this.onEnd);
    body.off('error', this.onError);
    body.off('close', this.onClose);
    if (clean) {
      if (!body.readableEnded) body.dump({ limit: DRAIN_LIMIT }).catch(() => {});
    } else {
      discard(body);
    }
  }

  /** Gives up the body and forgets the chunks not yet handed out. */
  private drop(): void {
    this.release(false);
    this.queue = [];
    this.head = 0;
  }

  private fail(error: UpstreamError): void {
    if (this.ended) return;
    this.failure = error;
    this.release(false);
  }

  /** What next() answers now, or undefined to wait for the body. */
  private take(): { result: IteratorResult<ChatCompletionChunk> } | { error: unknown } | undefined {
    if (this.ctx.signal.aborted) {
      this.drop(); // do not hand out what was buffered before the abort
      return { error: abortedError(this.ctx) };
    }
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++];
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      return { result: { value, done: false } };
    }
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      return { error };
    }
    if (this.ended) return { result: { value: undefined, done: true } };
    if (this.body.isPaused()) this.body.resume();
    return undefined;
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    const next = this.take();
    if (!next) return;
    this.waiter = undefined;
    if ('error' in next) waiter.reject(next.error);
    else waiter.resolve(next.result);
  }

  next(): Promise<IteratorResult<ChatCompletionChunk>> {
    const next = this.take();
    if (!next) return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
    return 'error' in next ? Promise.reject(next.error) : Promise.resolve(next.result);
  }

  return(): Promise<IteratorResult<ChatCompletionChunk>> {
    this.drop();
    this.failure = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true }); // a next() still waiting ends too
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** JSON.parse of one SSE data payload; garbage is a `protocol` error. */
export function parseEventJson(data: string, ctx: AttemptContext): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(data);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* fall through */ }
  throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} sent a stream event that is not a JSON object: ${preview(data)}`);
}

/** Abortable sleep for the mock provider and fakes' callers. */
export function sleep(ms: number, signal?: Cancellation): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => { stop?.(); resolve(); }, ms);
    const stop = signal?.onAbort(() => { clearTimeout(timer); reject(signal.reason); });
  });
}
