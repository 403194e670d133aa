// The shared core of the fake upstreams: a real HTTP server on 127.0.0.1 that records every request
// and misbehaves on demand. Each provider's wire format lives in its own Dialect file.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: any;
  /** The client went away before the answer was complete. */
  aborted: boolean;
}

export interface FakeToolCall { name: string; arguments: Record<string, unknown> }

/** What the next chat and embeddings requests get. Everything unset: a normal deterministic answer. */
export interface FakeBehavior {
  /** Wait before sending headers. */
  delayMs?: number;
  /** Answer with this status and the provider's error body. */
  failStatus?: number;
  errorMessage?: string;
  /** `retry-after` header (seconds or HTTP date) and `retry-after-ms`, sent with failStatus. */
  retryAfter?: number | string;
  retryAfterMs?: number;
  /** Destroy the socket before the headers or halfway through the body. */
  reset?: 'before-headers' | 'mid-body';
  /** Never answer, or stop halfway through the body and keep the connection open. */
  stall?: 'before-headers' | 'mid-body';
  /** Streams: end the response cleanly after N events, without the end marker. */
  cutAfterChunks?: number;
  /** Streams: send the provider's mid-stream error event after N events. */
  streamErrorAfterChunks?: number;
  /** Streams: an event whose data is not JSON, after the first event. */
  garbageSseLine?: boolean;
  /** Streams: an event type the provider may add later (Anthropic). */
  unknownEvent?: boolean;
  malformedJson?: boolean;
  wrongContentType?: boolean;
  /** Reply with this many characters ("x" repeated). */
  hugeReplyChars?: number;
  reply?: string;
  toolCalls?: FakeToolCall[];
  /** The model the upstream says served the request (e.g. a dated snapshot). */
  servedModel?: string;
  /** Pause between stream events. */
  chunkDelayMs?: number;
  /** Apply to the next N chat or embeddings requests only, then answer normally again. */
  times?: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body: unknown;
}

/** What the upstream is going to say, before the provider's format is applied. */
export interface ReplyPlan {
  model: string;
  text: string;
  toolCalls: FakeToolCall[];
  promptTokens: number;
  completionTokens: number;
}

/** What an embeddings answer is going to hold, before the provider's format is applied. */
export interface EmbeddingPlan {
  model: string;
  /** One vector per input, in input order. */
  vectors: number[][];
  promptTokens: number;
}

/** An embeddings request that passed the dialect's checks: its model, inputs and wanted length. */
export interface EmbeddingsScreen { embeddings: true; model: string; inputs: Array<string | number[]>; dimensions: number }

export interface Dialect {
  /** Route, authenticate and validate: a Reply to answer directly, or a chat or embeddings request to plan. */
  screen(req: RecordedRequest): Reply | { chat: true; model: string; stream: boolean } | EmbeddingsScreen;
  error(status: number, message: string | undefined, req: RecordedRequest): Reply;
  completion(plan: ReplyPlan, req: RecordedRequest): unknown;
  /** Complete SSE frames (`data: …\n\n` or `event: …\ndata: …\n\n`). */
  streamFrames(plan: ReplyPlan, req: RecordedRequest): string[];
  streamError(): string;
  unknownEvent?(): string;
  defaultReply(model: string, lastUserText: string): string;
  /** The provider's embeddings answer body. */
  embeddings?(plan: EmbeddingPlan, req: RecordedRequest): unknown;
}

export interface FakeUpstream {
  /** http://127.0.0.1:port */
  url: string;
  /** What a target's base_url would be for this provider. */
  baseUrl: string;
  requests: RecordedRequest[];
  setBehavior(b: FakeBehavior): void;
  readonly stats: { connections: number; openConnections: number; abortedRequests: number };
  /** Resolves when a request is aborted by the client (or already was). */
  waitForAbort(timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body, headers };
}

export function lastUserText(body: any): string {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content.filter((p: any) => p?.type === 'text' && typeof p.text === 'string').map((p: any) => p.text).join(' ');
    }
  }
  return '';
}

/**
 * The fake's vector for an input: a function of the input and length only (not of the model, unlike the
 * gateway's mock), float32 values, so a test can tell exactly which upstream's numbers reached it.
 */
export function fakeVector(input: string | number[], dimensions: number): number[] {
  const text = typeof input === 'string' ? input : input.join(',');
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  const out: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) ^ i;
    out.push(Math.fround(((h >>> 0) / 0x100000000) * 2 - 1));
  }
  return out;
}

/** Inputs of an OpenAI-shaped embeddings body (a string, strings, token ids or lists of them), or undefined if it is none of those. */
export function embeddingInputs(input: unknown): Array<string | number[]> | undefined {
  if (typeof input === 'string') return input ? [input] : undefined;
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((x) => Number.isInteger(x))) return [input as number[]];
  if (input.every((x) => typeof x === 'string' && x !== '')) return input as string[];
  if (input.every((x) => Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t)))) return input as number[][];
  return undefined;
}

export function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Reply text in several word-sized pieces (long runs cut at 1000 chars). */
export function pieces(text: string): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? [text];
  return words.flatMap((w) => (w.length <= 1000 ? [w] : w.match(/[\s\S]{1,1000}/g)!));
}

/** JSON arguments in three fragments, as models stream them. */
export function argumentFragments(args: Record<string, unknown>): string[] {
  const s = JSON.stringify(args);
  const a = Math.ceil(s.length / 3);
  return [s.slice(0, a), s.slice(a, 2 * a), s.slice(2 * a)].filter((x) => x !== '');
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startFake(dialect: Dialect, basePath: string): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  let behavior: FakeBehavior = {};
  let remaining = Infinity;
  const stats = { connections: 0, openConnections: 0, abortedRequests: 0 };
  const sockets = new Set<Socket>();
  let abortWaiters: Array<(r: RecordedRequest) => void> = [];

  const current = (): FakeBehavior => {
    if (remaining <= 0) return {};
    remaining--;
    return behavior;
  };

  const send = (res: ServerResponse, reply: Reply) => {
    const isText = typeof reply.body === 'string';
    const text = isText ? (reply.body as string) : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      'content-length': Buffer.byteLength(text),
      ...reply.headers,
    });
    res.end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<void> {
    const screened = dialect.screen(rec);
    if (!('chat' in screened) && !('embeddings' in screened)) return send(res, screened);
    const b = current();
    if (b.delayMs) await wait(b.delayMs);
    if (rec.aborted) return;
    if (b.reset === 'before-headers') { req.socket.destroy(); return; }
    if (b.stall === 'before-headers') return; // the client's timeout or abort ends it
    if (b.failStatus) {
      const reply = dialect.error(b.failStatus, b.errorMessage, rec);
      const headers: Record<string, string> = { ...reply.headers };
      if (b.retryAfter !== undefined) headers['retry-after'] = String(b.retryAfter);
      if (b.retryAfterMs !== undefined) headers['retry-after-ms'] = String(b.retryAfterMs);
      return send(res, { ...reply, headers });
    }

    if ('embeddings' in screened) {
      const plan: EmbeddingPlan = {
        model: b.servedModel ?? screened.model,
        vectors: screened.inputs.map((input) => fakeVector(input, screened.dimensions)),
        promptTokens: screened.inputs.reduce<number>((n, input) => n + (typeof input === 'string' ? approxTokens(input) : input.length), 0),
      };
      return sendBody(req, res, b, JSON.stringify(dialect.embeddings!(plan, rec)));
    }
    const text = b.hugeReplyChars ? 'x'.repeat(b.hugeReplyChars) : b.reply ?? dialect.defaultReply(screened.model, lastUserText(rec.body));
    const toolCalls = b.toolCalls ?? [];
    const plan: ReplyPlan = {
      model: b.servedModel ?? screened.model,
      text: toolCalls.length && b.reply === undefined ? '' : text,
      toolCalls,
      promptTokens: approxTokens(JSON.stringify(rec.body?.messages ?? '')),
      completionTokens: approxTokens(text + JSON.stringify(toolCalls)),
    };

    if (screened.stream) {
      const frames = dialect.streamFrames(plan, rec);
      if (b.garbageSseLine) frames.splice(1, 0, 'data: {this is not json\n\n');
      if (b.unknownEvent && dialect.unknownEvent) frames.splice(1, 0, dialect.unknownEvent());
      res.writeHead(200, { 'content-type': b.wrongContentType ? 'application/json' : 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      const half = Math.max(1, Math.floor(frames.length / 2));
      for (let i = 0; i < frames.length; i++) {
        if (rec.aborted) return;
        if (b.cutAfterChunks !== undefined && i === b.cutAfterChunks) { res.end(); return; }
        if (b.streamErrorAfterChunks !== undefined && i === b.streamErrorAfterChunks) { res.end(dialect.streamError()); return; }
        if (i === half && b.reset === 'mid-body') { req.socket.destroy(); return; }
        if (i === half && b.stall === 'mid-body') return;
        res.write(frames[i]);
        if (b.chunkDelayMs) await wait(b.chunkDelayMs);
        else await tick(); // separate writes, so clients see several chunks
      }
      res.end();
      return;
    }

    sendBody(req, res, b, JSON.stringify(dialect.completion(plan, rec)));
  }

  /** A non-streamed 2xx JSON answer, broken as the behaviour asks. */
  function sendBody(req: IncomingMessage, res: ServerResponse, b: FakeBehavior, body: string): void {
    const buf = Buffer.from(b.malformedJson ? '{"id":"chatcmpl-broken","choices":[{"index":0,' : body);
    res.writeHead(200, { 'content-type': b.wrongContentType ? 'text/html; charset=utf-8' : 'application/json', 'content-length': buf.length });
    if (b.reset === 'mid-body' || b.stall === 'mid-body') {
      res.write(buf.subarray(0, buf.length >> 1));
      if (b.reset === 'mid-body') setTimeout(() => req.socket.destroy(), 5);
      return;
    }
    res.end(buf);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      if (raw) { try { body = JSON.parse(raw); } catch { body = raw; } }
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        aborted: false,
      };
      requests.push(rec);
      res.on('close', () => {
        if (res.writableFinished) return;
        rec.aborted = true;
        stats.abortedRequests++;
        const waiters = abortWaiters;
        abortWaiters = [];
        for (const w of waiters) w(rec);
      });
      handle(req, res, rec).catch((err) => { if (!res.headersSent) send(res, json(500, { error: String(err) })); else res.destroy(); });
    });
  });
  server.on('connection', (socket) => {
    stats.connections++;
    stats.openConnections++;
    sockets.add(socket);
    socket.on('close', () => { stats.openConnections--; sockets.delete(socket); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    baseUrl: url + basePath,
    requests,
    stats,
    setBehavior(b) {
      behavior = b;
      remaining = b.times ?? Infinity;
    },
    waitForAbort(timeoutMs = 2000) {
      const done = requests.find((r) => r.aborted);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no request was aborted within ${timeoutMs} ms`)), timeoutMs);
        abortWaiters.push((r) => { clearTimeout(timer); resolve(r); });
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
