// OpenAI Chat Completions, and the shared code path for OpenAI-compatible upstreams (Azure, Ollama).
import type { ProviderTarget, ProviderType } from '../policy/types';
import { forwardAsSent, forwardEmbeddingsAsSent, type AttemptContext, type ChatCompletion, type ChatCompletionChunk, type ChatRequest, type EmbeddingFormat, type Embeddings, type EmbeddingsRequest, type Provider } from './provider';
import type { SseEvent } from './sse';
import {
  expectEventStream,
  openAIErrorShape,
  parseEventJson,
  postJson,
  readJsonText,
  requireKey,
  routeFor,
  targetLabel,
  translateStream,
  upstreamError,
  type ErrorShaper,
  type StreamTranslator,
  type UpstreamRoute,
} from './upstream';

export interface OpenAICompatibleOptions {
  type: ProviderType;
  route(target: ProviderTarget, model: string): UpstreamRoute;
  /** Where embeddings go, for upstreams that serve OpenAI's /embeddings. */
  embeddingsRoute?(target: ProviderTarget, model: string): UpstreamRoute;
  /** Auth and any extra headers; throws `missing_key` before I/O when a key is required and unset. */
  headers(ctx: AttemptContext): Record<string, string>;
  /** Last edits to the outgoing body (field renames, unsupported fields). */
  adjust?(body: Record<string, unknown>): void;
  shapeError?: ErrorShaper;
}

/** Status for an `error` payload inside a stream, from its OpenAI-style type or code. */
function statusOfStreamError(err: Record<string, unknown>): number {
  const marker = `${err.type ?? ''} ${err.code ?? ''}`;
  if (/rate_limit|429/.test(marker)) return 429;
  if (/server_error|overloaded|500|503/.test(marker)) return 500;
  if (/invalid_request|400/.test(marker)) return 400;
  return 502;
}

class OpenAIStreamTranslator implements StreamTranslator {
  done = false;
  private seen = false;
  constructor(private readonly ctx: AttemptContext, private readonly shapeError: ErrorShaper) {}

  push(event: SseEvent): ChatCompletionChunk | undefined {
    const data = event.data;
    if (data === '[DONE]') { this.done = true; return undefined; }
    const obj = parseEventJson(data, this.ctx);
    if (obj.error !== undefined && obj.error !== null) {
      const status = typeof obj.error === 'object' ? statusOfStreamError(obj.error as Record<string, unknown>) : 502;
      const body = this.shapeError(obj, status);
      throw upstreamError(this.ctx, 'http', `${targetLabel(this.ctx)} failed mid-stream: ${body.error.message}`, status, body);
    }
    this.seen = true;
    const choices = obj.choices;
    if (!Array.isArray(choices)) {
      throw upstreamError(this.ctx, 'protocol', `${targetLabel(this.ctx)} sent a stream chunk without choices`);
    }
    // Azure opens with a prompt-filter-only chunk: nothing for the client, and no usage to keep.
    if (choices.length === 0 && !obj.usage) return undefined;
    let changed = false;
    // Azure content-filter chunks carry no delta; give every choice one so consumers need not check.
    for (const c of choices as Array<Record<string, unknown>>) {
      if (c.delta === undefined) {
        c.delta = {};
        changed = true;
      }
    }
    if (!obj.model) {
      obj.model = this.ctx.model;
      changed = true;
    }
    const chunk = obj as unknown as ChatCompletionChunk;
    // Multi-line data (pretty-printed JSON) cannot go out as one `data:` line; it is serialised again.
    return changed || data.includes('\n') ? chunk : forwardAsSent(chunk, data);
  }

  finish(): ChatCompletionChunk | undefined {
    if (!this.seen) throw upstreamError(this.ctx, 'protocol', `${targetLabel(this.ctx)} closed the stream before sending any chunk`);
    return undefined;
  }
}

/** OpenAI's embeddings body for the upstream: the client's fields, with the model to ask for. */
export function embeddingsBody(request: EmbeddingsRequest, model: string): string {
  const { model: _requested, ...rest } = request;
  return JSON.stringify({ model, ...rest });
}

/** float32 little-endian bytes in base64 (OpenAI's `base64` encoding) as numbers, or undefined if not whole floats. */
function decodeBase64Vector(text: string): number[] | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  const out = new Array<number>(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/**
 * Checks an OpenAI embeddings answer and puts its vectors in input order, as floats whichever
 * encoding came back. When the answer is already what the client asked for, its text is kept to be
 * forwarded unchanged.
 */
export function parseEmbeddings(value: unknown, text: string, ctx: AttemptContext, wanted: EmbeddingFormat): Embeddings {
  const obj = value as Record<string, unknown> | null;
  if (!obj || typeof obj !== 'object' || !Array.isArray(obj.data)) {
    throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} answered 2xx without an embeddings list (no data)`);
  }
  let asWanted = true;
  const data = (obj.data as Array<Record<string, unknown>>).map((item, i) => {
    const raw = item?.embedding;
    const embedding = typeof raw === 'string' ? decodeBase64Vector(raw) : Array.isArray(raw) && raw.every((x) => typeof x === 'number') ? (raw as number[]) : undefined;
    if (!embedding) throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} sent an embedding that is neither a list of numbers nor base64 float32 (data[${i}])`);
    const index = typeof item.index === 'number' ? item.index : i;
    if (index !== i || item.object !== 'embedding' || (typeof raw === 'string') !== (wanted === 'base64')) asWanted = false;
    return { object: 'embedding' as const, index, embedding };
  });
  data.sort((a, b) => a.index - b.index);
  const usage = obj.usage as { prompt_tokens?: unknown; total_tokens?: unknown } | undefined;
  const prompt = typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : 0;
  const hasModel = typeof obj.model === 'string' && obj.model !== '';
  const answer: Embeddings = {
    object: 'list',
    data,
    model: hasModel ? (obj.model as string) : ctx.model,
    usage: { prompt_tokens: prompt, total_tokens: typeof usage?.total_tokens === 'number' ? usage.total_tokens : prompt },
  };
  const whole = obj.object === 'list' && hasModel && typeof usage?.prompt_tokens === 'number' && typeof usage?.total_tokens === 'number';
  return asWanted && whole ? forwardEmbeddingsAsSent(answer, text, wanted) : answer;
}

/** A Provider for any upstream that speaks OpenAI Chat Completions. */
export function createOpenAICompatible(opts: OpenAICompatibleOptions): Provider {
  const shapeError = opts.shapeError ?? openAIErrorShape;
  const routes = new WeakMap<ProviderTarget, Map<string, UpstreamRoute>>();
  const routeOf = (target: ProviderTarget, model: string): UpstreamRoute => {
    let byModel = routes.get(target);
    if (!byModel) routes.set(target, (byModel = new Map()));
    let r = byModel.get(model);
    if (!r) byModel.set(model, (r = opts.route(target, model)));
    return r;
  };

  function buildBody(request: ChatRequest, ctx: AttemptContext, stream: boolean): string {
    // A fresh literal from the rest of the request: spreading the request and then overwriting or
    // deleting keys is several times slower to build and stringify, and this runs per attempt.
    const { model: _requested, stream: _stream, stream_options: streamOptions, ...rest } = request;
    const body: Record<string, unknown> = stream
      // Usage always comes back; the router strips the usage chunk if the client did not ask for it.
      ? { model: ctx.model, ...rest, stream: true, stream_options: { ...streamOptions, include_usage: true } }
      // No stream fields at all: OpenAI rejects stream_options without stream.
      : { model: ctx.model, ...rest };
    opts.adjust?.(body);
    return JSON.stringify(body);
  }

  const embeddingsRoute = opts.embeddingsRoute;
  return {
    type: opts.type,

    embed: embeddingsRoute && (async (request, ctx) => {
      const res = await postJson(ctx, embeddingsRoute(ctx.target, ctx.model), opts.headers(ctx), embeddingsBody(request, ctx.model), shapeError);
      const { value, text } = await readJsonText(res, ctx);
      return parseEmbeddings(value, text, ctx, request.encoding_format ?? 'float');
    }),

    async complete(request, ctx) {
      const headers = opts.headers(ctx);
      const res = await postJson(ctx, routeOf(ctx.target, ctx.model), headers, buildBody(request, ctx, false), shapeError);
      const { value, text } = await readJsonText(res, ctx);
      const obj = value as Record<string, unknown> | null;
      if (!obj || typeof obj !== 'object' || !Array.isArray(obj.choices)) {
        throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} answered 2xx without a chat.completion (no choices)`);
      }
      if (obj.model) return forwardAsSent(obj as unknown as ChatCompletion, text);
      obj.model = ctx.model; // some compatible servers omit it; the client is told who served
      return obj as unknown as ChatCompletion;
    },

    async stream(request, ctx) {
      const headers = opts.headers(ctx);
      const res = await postJson(ctx, routeOf(ctx.target, ctx.model), headers, buildBody(request, ctx, true), shapeError);
      expectEventStream(res, ctx);
      return translateStream(res, ctx, new OpenAIStreamTranslator(ctx, shapeError));
    },
  };
}

export const openai: Provider = createOpenAICompatible({
  type: 'openai',
  route: (target) => routeFor(target.baseUrl, 'chat/completions'),
  embeddingsRoute: (target) => routeFor(target.baseUrl, 'embeddings'),
  headers: (ctx) => ({ 'content-type': 'application/json', authorization: `Bearer ${requireKey(ctx)}` }),
});
