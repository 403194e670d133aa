// Anthropic Messages upstream: the mapping lives in wire/anthropic.ts; here are its HTTP, errors and stream events.
import type { ProviderTarget } from '../policy/types';
import { anthropicBodyFor, eventText, finishReason, fromAnthropicMessage, passedThrough, STATUS_OF_ERROR_TYPE, usageOf } from '../wire/anthropic';
import type { AttemptContext, ChatCompletionChunk, Provider, Usage } from './provider';
import type { SseEvent } from './sse';
import {
  expectEventStream,
  parseEventJson,
  postJson,
  readJsonText,
  requireKey,
  routeFor,
  targetLabel,
  translateStream,
  upstreamError,
  type ErrorShaper,
  type OpenAIErrorBody,
  type StreamTranslator,
  type UpstreamRoute,
} from './upstream';

export const ANTHROPIC_VERSION = '2023-06-01';

type Block = Record<string, unknown>;

/** `{type:"error",error:{type,message}}` → OpenAI error shape, keeping Anthropic's error type. */
export const anthropicErrorShape: ErrorShaper = (payload, status) => {
  const err = (payload as { error?: { type?: unknown; message?: unknown } | string } | null)?.error;
  if (err && typeof err === 'object') {
    return {
      error: {
        message: typeof err.message === 'string' ? err.message : `upstream answered HTTP ${status}`,
        type: typeof err.type === 'string' ? err.type : 'api_error',
        param: null,
        code: null,
      },
    };
  }
  return { error: { message: typeof err === 'string' ? err : `upstream answered HTTP ${status}`, type: 'api_error', param: null, code: null } };
};

/** Anthropic stream events → OpenAI chunks; one chunk at most per event. */
export class AnthropicStreamTranslator implements StreamTranslator {
  done = false;
  private started = false;
  private roleSent = false;
  private id = 'msg_unknown';
  private model: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly toolIndex = new Map<number, number>();
  private usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  private sawMessageDelta = false;

  /** Passed through: the raw events since the last chunk, handed on with the next one. */
  private raw: string | undefined;

  constructor(private readonly ctx: AttemptContext, passThrough = false) {
    this.model = ctx.model;
    if (passThrough) this.raw = '';
  }

  push(event: SseEvent): ChatCompletionChunk | undefined {
    const chunk = this.translate(event);
    if (this.raw === undefined) return chunk;
    this.raw += eventText(event);
    return chunk ? this.withRaw(chunk) : undefined;
  }

  private withRaw(chunk: ChatCompletionChunk): ChatCompletionChunk {
    const text = this.raw!;
    this.raw = '';
    return passedThrough(chunk, text);
  }

  private chunk(delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk {
    if (!this.roleSent) { delta.role = 'assistant'; this.roleSent = true; }
    return {
      id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
  }

  private translate(event: SseEvent): ChatCompletionChunk | undefined {
    if (event.event === 'ping') return undefined;
    const obj = parseEventJson(event.data, this.ctx);
    const type = event.event !== 'message' ? event.event : String(obj.type);
    switch (type) {
      case 'message_start': {
        const msg = (obj.message ?? {}) as Record<string, unknown>;
        this.started = true;
        if (typeof msg.id === 'string') this.id = msg.id;
        if (typeof msg.model === 'string' && msg.model) this.model = msg.model;
        this.usage = usageOf(msg.usage as Record<string, unknown> | undefined);
        return this.chunk({ content: '' });
      }
      case 'content_block_start': {
        const block = (obj.content_block ?? {}) as Block;
        if (block.type === 'tool_use') {
          const index = this.toolIndex.size;
          this.toolIndex.set(Number(obj.index), index);
          return this.chunk({ tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] });
        }
        if (block.type === 'text' && typeof block.text === 'string' && block.text) return this.chunk({ content: block.text });
        return undefined;
      }
      case 'content_block_delta': {
        const delta = (obj.delta ?? {}) as Block;
        if (delta.type === 'text_delta' && typeof delta.text === 'string' && delta.text) return this.chunk({ content: delta.text });
        if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json) {
          const index = this.toolIndex.get(Number(obj.index));
          if (index === undefined) return undefined;
          return this.chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] });
        }
        return undefined; // thinking and signature deltas have no OpenAI equivalent
      }
      case 'message_delta': {
        const delta = (obj.delta ?? {}) as Block;
        this.sawMessageDelta = true;
        // output_tokens is cumulative; newer API versions may also restate input tokens here.
        this.usage = usageOf(obj.usage as Record<string, unknown> | undefined, this.usage.prompt_tokens, this.usage.completion_tokens);
        return this.chunk({}, finishReason(delta.stop_reason));
      }
      case 'message_stop':
        this.done = true;
        return this.usageChunk();
      case 'error': {
        const err = (obj.error ?? {}) as { type?: unknown; message?: unknown };
        const status = (typeof err.type === 'string' && STATUS_OF_ERROR_TYPE[err.type]) || 502;
        const body: OpenAIErrorBody = anthropicErrorShape(obj, status);
        throw upstreamError(this.ctx, 'http', `${targetLabel(this.ctx)} failed mid-stream: ${body.error.message}`, status, body);
      }
      default:
        return undefined; // content_block_stop, ping and event types added later
    }
  }

  private usageChunk(): ChatCompletionChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: this.usage };
  }

  finish(): ChatCompletionChunk | undefined {
    if (!this.started) throw upstreamError(this.ctx, 'protocol', `${targetLabel(this.ctx)} closed the stream before message_start`);
    if (!this.sawMessageDelta) return undefined;
    return this.raw === undefined ? this.usageChunk() : this.withRaw(this.usageChunk());
  }
}

function anthropicRoute(target: ProviderTarget): UpstreamRoute {
  // The guide's base_url ends in /v1; accept the bare origin too.
  return routeFor(target.baseUrl, /\/v1\/?$/.test(new URL(target.baseUrl).pathname) ? 'messages' : 'v1/messages');
}

const routes = new WeakMap<ProviderTarget, UpstreamRoute>();
function routeOf(target: ProviderTarget): UpstreamRoute {
  let r = routes.get(target);
  if (!r) routes.set(target, (r = anthropicRoute(target)));
  return r;
}

function headersFor(ctx: AttemptContext, beta: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': requireKey(ctx), 'anthropic-version': ANTHROPIC_VERSION };
  if (beta) headers['anthropic-beta'] = beta; // a passed-through body may use the client's beta features
  return headers;
}

export const anthropic: Provider = {
  type: 'anthropic',

  async complete(request, ctx) {
    const { body, passThrough, beta } = anthropicBodyFor(request, ctx.model, false);
    const headers = headersFor(ctx, beta);
    const res = await postJson(ctx, routeOf(ctx.target), headers, JSON.stringify(body), anthropicErrorShape);
    const { value, text } = await readJsonText(res, ctx);
    const msg = value as Record<string, unknown> | null;
    if (!msg || typeof msg !== 'object' || !Array.isArray(msg.content)) {
      throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} answered 2xx without an Anthropic message (no content)`);
    }
    const completion = fromAnthropicMessage(msg, ctx.model);
    return passThrough ? passedThrough(completion, text) : completion;
  },

  async stream(request, ctx) {
    const { body, passThrough, beta } = anthropicBodyFor(request, ctx.model, true);
    const headers = headersFor(ctx, beta);
    const res = await postJson(ctx, routeOf(ctx.target), headers, JSON.stringify(body), anthropicErrorShape);
    expectEventStream(res, ctx);
    return translateStream(res, ctx, new AnthropicStreamTranslator(ctx, passThrough));
  },
};


