// Anthropic Messages: translates the gateway's OpenAI-shaped requests, answers and streams both ways.
import type { ProviderTarget } from '../policy/types';
import {
  UpstreamError,
  type AttemptContext,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatMessage,
  type ChatRequest,
  type Provider,
  type Usage,
} from './provider';
import type { SseEvent } from './sse';
import {
  expectEventStream,
  parseEventJson,
  postJson,
  readJson,
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
/** Anthropic requires max_tokens; OpenAI clients usually leave it out. */
export const DEFAULT_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;
interface Turn { role: 'user' | 'assistant'; content: Block[] }

const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/** A request the gateway cannot translate: a 400 the client can fix, never retried elsewhere. */
function invalidRequest(message: string, param: string | null = null): UpstreamError {
  return new UpstreamError('http', message, 400, { error: { message, type: 'invalid_request_error', param, code: null } });
}

function textOf(content: ChatMessage['content'], where: string): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => {
    if (part.type === 'text' && typeof part.text === 'string') return part.text;
    throw invalidRequest(`${where} may only contain text parts for Anthropic targets (found "${String(part.type)}")`, 'messages');
  }).join('\n');
}

function imageBlock(part: Record<string, unknown>): Block {
  const ref = part.image_url as { url?: unknown } | string | undefined;
  const url = typeof ref === 'string' ? ref : ref?.url;
  if (typeof url !== 'string' || url === '') throw invalidRequest('image_url part without a url', 'messages');
  if (url.startsWith('data:')) {
    const m = /^data:([^;,]+)((?:;[^;,]*)*),(.*)$/s.exec(url);
    if (!m || !/;base64\b/.test(m[2])) throw invalidRequest('image data URLs must be base64 encoded (data:image/png;base64,…)', 'messages');
    return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[3] } };
  }
  if (/^https?:\/\//.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalidRequest(`image url must be an http(s) or base64 data URL (got "${url.slice(0, 40)}")`, 'messages');
}

function contentBlocks(content: ChatMessage['content']): Block[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: Block[] = [];
  for (const part of content) {
    if (part.type === 'text') {
      if (typeof part.text === 'string' && part.text !== '') blocks.push({ type: 'text', text: part.text }); // empty text blocks are rejected
    } else if (part.type === 'image_url') {
      blocks.push(imageBlock(part));
    } else {
      throw invalidRequest(`content part type "${String(part.type)}" is not supported by Anthropic targets`, 'messages');
    }
  }
  return blocks;
}

function toolUseBlocks(calls: NonNullable<ChatMessage['tool_calls']>): Block[] {
  return calls.map((call) => {
    let input: unknown = {};
    const args = call.function?.arguments;
    if (args) {
      try { input = JSON.parse(args); } catch {
        throw invalidRequest(`arguments of tool call "${call.id}" are not valid JSON`, 'messages');
      }
    }
    if (!input || typeof input !== 'object' || Array.isArray(input)) {
      throw invalidRequest(`arguments of tool call "${call.id}" must be a JSON object`, 'messages');
    }
    return { type: 'tool_use', id: call.id, name: call.function.name, input };
  });
}

function toolResultBlock(m: ChatMessage): Block {
  if (typeof m.tool_call_id !== 'string') throw invalidRequest('tool message without tool_call_id', 'messages');
  const block: Block = { type: 'tool_result', tool_use_id: m.tool_call_id };
  if (typeof m.content === 'string') { if (m.content !== '') block.content = m.content; }
  else if (Array.isArray(m.content)) { const blocks = contentBlocks(m.content); if (blocks.length) block.content = blocks; }
  return block;
}

function toolChoice(choice: unknown, parallel: unknown): Block | undefined {
  let out: Block | undefined;
  if (choice === undefined || choice === null) out = parallel === false ? { type: 'auto' } : undefined;
  else if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') return { type: 'none' };
  else if (typeof choice === 'object' && typeof (choice as { function?: { name?: unknown } }).function?.name === 'string') {
    out = { type: 'tool', name: (choice as { function: { name: string } }).function.name };
  } else throw invalidRequest('tool_choice must be "none", "auto", "required" or {type:"function",function:{name}}', 'tool_choice');
  if (out && parallel === false) out.disable_parallel_tool_use = true;
  return out;
}

/** The Anthropic Messages body for an OpenAI chat request (pure; throws a 400 UpstreamError on untranslatable input). */
export function toAnthropicRequest(req: ChatRequest, model: string, stream: boolean): Record<string, unknown> {
  if (!Array.isArray(req.messages)) throw invalidRequest('messages must be an array', 'messages');
  const system: string[] = [];
  const turns: Turn[] = [];
  const add = (role: Turn['role'], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.content.push(...blocks); // Anthropic wants strictly alternating turns
    else turns.push({ role, content: blocks });
  };
  for (const m of req.messages) {
    switch (m.role) {
      case 'system':
      case 'developer': {
        const t = textOf(m.content, 'system messages');
        if (t) system.push(t);
        break;
      }
      case 'user': add('user', contentBlocks(m.content)); break;
      case 'assistant': {
        const blocks = contentBlocks(m.content);
        if (m.tool_calls?.length) blocks.push(...toolUseBlocks(m.tool_calls));
        add('assistant', blocks);
        break;
      }
      case 'tool': add('user', [toolResultBlock(m)]); break;
      default: throw invalidRequest(`message role "${String(m.role)}" is not supported by Anthropic targets`, 'messages');
    }
  }

  const body: Record<string, unknown> = {
    model,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages: turns,
  };
  if (system.length) body.system = system.join('\n\n');
  if (stream) body.stream = true;
  if (typeof req.temperature === 'number') body.temperature = Math.min(1, Math.max(0, req.temperature)); // Anthropic's range is 0–1
  if (typeof req.top_p === 'number') body.top_p = req.top_p;
  if (typeof req.top_k === 'number') body.top_k = req.top_k;
  if (req.stop !== undefined && req.stop !== null) body.stop_sequences = Array.isArray(req.stop) ? req.stop : [req.stop];
  if (typeof req.user === 'string' && req.user) body.metadata = { user_id: req.user };
  if (Array.isArray(req.tools) && req.tools.length) {
    body.tools = (req.tools as Array<Record<string, unknown>>).map((t) => {
      const fn = t.function as { name?: unknown; description?: unknown; parameters?: unknown } | undefined;
      if (t.type !== 'function' || !fn || typeof fn.name !== 'string') {
        throw invalidRequest('tools must be {type:"function",function:{name,description,parameters}}', 'tools');
      }
      const tool: Block = { name: fn.name, input_schema: fn.parameters ?? { type: 'object', properties: {} } };
      if (typeof fn.description === 'string') tool.description = fn.description;
      return tool;
    });
  }
  const choice = toolChoice(req.tool_choice, req.parallel_tool_calls);
  if (choice && body.tools) body.tool_choice = choice;
  return body;
}

export function finishReason(stop: unknown): string {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded': return 'length';
    case 'tool_use': return 'tool_calls';
    case 'refusal': return 'content_filter';
    default: return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

function usageOf(u: Record<string, unknown> | undefined, inputFallback = 0, outputFallback = 0): Usage {
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  // Cached prompt tokens are billed too and Anthropic reports them apart from input_tokens.
  const prompt = u && typeof u.input_tokens === 'number'
    ? u.input_tokens + num(u.cache_creation_input_tokens) + num(u.cache_read_input_tokens)
    : inputFallback;
  const completion = u && typeof u.output_tokens === 'number' ? u.output_tokens : outputFallback;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** An Anthropic `message` as an OpenAI `chat.completion` (pure). */
export function fromAnthropicMessage(msg: Record<string, unknown>, fallbackModel: string): ChatCompletion {
  const blocks = Array.isArray(msg.content) ? (msg.content as Block[]) : [];
  let text = '';
  const toolCalls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> = [];
  for (const b of blocks) {
    if (b.type === 'text' && typeof b.text === 'string') text += b.text;
    else if (b.type === 'tool_use') {
      toolCalls.push({ id: String(b.id), type: 'function', function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) } });
    }
  }
  const message: Record<string, unknown> = { role: 'assistant', content: text === '' && toolCalls.length ? null : text };
  if (toolCalls.length) message.tool_calls = toolCalls;
  return {
    id: typeof msg.id === 'string' ? msg.id : 'msg_unknown',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: typeof msg.model === 'string' && msg.model ? msg.model : fallbackModel,
    choices: [{ index: 0, message, finish_reason: finishReason(msg.stop_reason), logprobs: null }],
    usage: usageOf(msg.usage as Record<string, unknown> | undefined),
  };
}

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

  constructor(private readonly ctx: AttemptContext) {
    this.model = ctx.model;
  }

  private chunk(delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk {
    if (!this.roleSent) { delta.role = 'assistant'; this.roleSent = true; }
    return {
      id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
  }

  push(event: SseEvent): ChatCompletionChunk | undefined {
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
    return this.sawMessageDelta ? this.usageChunk() : undefined;
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

function headersFor(ctx: AttemptContext): Record<string, string> {
  return { 'content-type': 'application/json', 'x-api-key': requireKey(ctx), 'anthropic-version': ANTHROPIC_VERSION };
}

export const anthropic: Provider = {
  type: 'anthropic',

  async complete(request, ctx) {
    const headers = headersFor(ctx);
    const body = JSON.stringify(toAnthropicRequest(request, ctx.model, false));
    const res = await postJson(ctx, routeOf(ctx.target), headers, body, anthropicErrorShape);
    const msg = (await readJson(res, ctx)) as Record<string, unknown> | null;
    if (!msg || typeof msg !== 'object' || !Array.isArray(msg.content)) {
      throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} answered 2xx without an Anthropic message (no content)`);
    }
    return fromAnthropicMessage(msg, ctx.model);
  },

  async stream(request, ctx) {
    const headers = headersFor(ctx);
    const body = JSON.stringify(toAnthropicRequest(request, ctx.model, true));
    const res = await postJson(ctx, routeOf(ctx.target), headers, body, anthropicErrorShape);
    expectEventStream(res, ctx);
    return translateStream(res, ctx, new AnthropicStreamTranslator(ctx));
  },
};
