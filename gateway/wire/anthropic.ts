// The one mapping between Anthropic Messages and the gateway's chat shapes, both ways: the anthropic
// provider sends chat requests out as Messages, and POST /v1/messages takes Messages in. Pure.
import {
  invalidRequest,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatMessage,
  type ChatRequest,
  type Usage,
} from '../providers/provider';

/** Anthropic requires max_tokens; OpenAI clients usually leave it out. */
export const DEFAULT_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;
type ToolCall = NonNullable<ChatMessage['tool_calls']>[number];
interface Turn { role: 'user' | 'assistant'; content: Block[] }

/** Anthropic error types and their statuses. */
export const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

export function errorTypeForStatus(status: number): string {
  for (const [type, s] of Object.entries(STATUS_OF_ERROR_TYPE)) if (s === status) return type;
  return status >= 500 ? 'api_error' : 'invalid_request_error';
}

/** Anthropic stop_reason → OpenAI finish_reason; the first stop reason of each finish reason is its inverse. */
const FINISH_OF_STOP: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};
const STOP_OF_FINISH: Record<string, string> = { function_call: 'tool_use' };
for (const [stop, finish] of Object.entries(FINISH_OF_STOP)) STOP_OF_FINISH[finish] ??= stop;

export function finishReason(stop: unknown): string {
  return (typeof stop === 'string' && FINISH_OF_STOP[stop]) || 'stop';
}

export function stopReason(finish: unknown): string {
  return (typeof finish === 'string' && STOP_OF_FINISH[finish]) || 'end_turn';
}

/** tool_choice: OpenAI form → Anthropic type; the inverse reads the same table. */
const CHOICE_TYPES: Array<[openai: string, anthropic: string]> = [['auto', 'auto'], ['required', 'any'], ['none', 'none']];

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

/** The inverse of imageBlock: an Anthropic image block as an OpenAI image_url part. */
function imagePart(block: Block, where: string): Record<string, unknown> {
  const source = (block.source ?? {}) as Record<string, unknown>;
  if (source.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
  throw invalidRequest(`${where}.source must be {"type":"base64","media_type","data"} or {"type":"url","url"}`, `${where}.source`);
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

/**
 * Content with no chat form (documents, server tools, Files API images, …). Strict callers refuse it;
 * the Messages route leaves it out of the chat translation and keeps the request for Anthropic targets.
 */
export type AnthropicOnly = (reason: string, param: string) => void;

const refuseAnthropicOnly: AnthropicOnly = (reason, param) => { throw invalidRequest(reason, param); };

function anthropicOnlyReason(where: string, what: string): string {
  return `${where}: ${what} has no chat form, so only an Anthropic target can take it`;
}

/** The inverse of contentBlocks for user text and images. */
function contentParts(blocks: Block[], where: string, only: AnthropicOnly): Array<Record<string, unknown>> {
  return blocks.flatMap((b, i) => {
    const at = `${where}[${i}]`;
    if (b.type === 'text' && typeof b.text === 'string') return [{ type: 'text', text: b.text }];
    const source = b.source as Record<string, unknown> | undefined;
    if (b.type === 'image' && (source?.type === 'base64' || source?.type === 'url')) return [imagePart(b, at)];
    only(anthropicOnlyReason(at, b.type === 'image' ? `an image from a "${String(source?.type)}" source` : `content block type "${String(b.type)}"`), `${at}.type`);
    return [];
  });
}

function toolUseBlocks(calls: ToolCall[]): Block[] {
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

/** The inverse of toolUseBlocks. */
function toolCallOf(block: Block): ToolCall {
  return { id: String(block.id), type: 'function', function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) } };
}

function toolResultBlock(m: ChatMessage): Block {
  if (typeof m.tool_call_id !== 'string') throw invalidRequest('tool message without tool_call_id', 'messages');
  const block: Block = { type: 'tool_result', tool_use_id: m.tool_call_id };
  if (typeof m.content === 'string') { if (m.content !== '') block.content = m.content; }
  else if (Array.isArray(m.content)) { const blocks = contentBlocks(m.content); if (blocks.length) block.content = blocks; }
  return block;
}

/** The inverse of toolResultBlock. */
function toolMessage(block: Block, where: string, only: AnthropicOnly): ChatMessage {
  if (typeof block.tool_use_id !== 'string') throw invalidRequest(`${where}.tool_use_id is required`, `${where}.tool_use_id`);
  const content = block.content;
  let chatContent: ChatMessage['content'] = '';
  if (typeof content === 'string') chatContent = content;
  else if (Array.isArray(content)) {
    const parts = contentParts(content as Block[], `${where}.content`, only);
    chatContent = parts.every((p) => p.type === 'text') ? parts.map((p) => p.text as string).join('\n') : parts;
  }
  return { role: 'tool', tool_call_id: block.tool_use_id, content: chatContent };
}

function toolChoice(choice: unknown, parallel: unknown): Block | undefined {
  let out: Block | undefined;
  const named = CHOICE_TYPES.find(([openai]) => openai === choice);
  if (choice === undefined || choice === null) out = parallel === false ? { type: 'auto' } : undefined;
  else if (choice === 'none') return { type: 'none' };
  else if (named) out = { type: named[1] };
  else if (typeof choice === 'object' && typeof (choice as { function?: { name?: unknown } }).function?.name === 'string') {
    out = { type: 'tool', name: (choice as { function: { name: string } }).function.name };
  } else throw invalidRequest('tool_choice must be "none", "auto", "required" or {type:"function",function:{name}}', 'tool_choice');
  if (out && parallel === false) out.disable_parallel_tool_use = true;
  return out;
}

/** The inverse of toolChoice: Anthropic tool_choice → OpenAI tool_choice and parallel_tool_calls. */
function chatToolChoice(choice: unknown): { tool_choice?: unknown; parallel_tool_calls?: false } {
  if (choice === undefined || choice === null) return {};
  const c = choice as Block;
  const named = CHOICE_TYPES.find(([, anthropic]) => anthropic === c.type);
  let tool_choice: unknown;
  if (named) tool_choice = named[0];
  else if (c.type === 'tool' && typeof c.name === 'string') tool_choice = { type: 'function', function: { name: c.name } };
  else throw invalidRequest('tool_choice must be {"type":"auto"}, {"type":"any"}, {"type":"none"} or {"type":"tool","name"}', 'tool_choice');
  return c.disable_parallel_tool_use === true ? { tool_choice, parallel_tool_calls: false } : { tool_choice };
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

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function blocksOf(content: unknown, where: string): Block[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalidRequest(`${where}.content must be a string or an array of content blocks`, `${where}.content`);
  content.forEach((b, i) => { if (!isObject(b)) throw invalidRequest(`${where}.content[${i}] must be a content block object`, `${where}.content[${i}]`); });
  return content as Block[];
}

/**
 * The inverse of toAnthropicRequest: a client's Messages body as the chat request the gateway routes
 * (pure; throws a 400 UpstreamError naming the field to fix). `thinking`, `top_k` and cache_control are
 * dropped; what only Anthropic can take (documents, server tools, …) goes to `only`, which refuses it
 * unless the caller keeps the body for Anthropic targets.
 */
export function fromAnthropicRequest(body: unknown, only: AnthropicOnly = refuseAnthropicOnly): ChatRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object with "model", "max_tokens" and "messages".', null);
  if (typeof body.model !== 'string' || body.model.trim() === '') {
    throw invalidRequest('"model" is required and must be a string: a model group name such as "fast-chat", or "<provider-id>/<model>".', 'model');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw invalidRequest('"messages" is required and must be a non-empty array of {"role": "user"|"assistant", "content"} objects.', 'messages');
  }
  if (body.max_tokens !== undefined && (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1)) {
    throw invalidRequest('"max_tokens" must be a positive integer.', 'max_tokens');
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw invalidRequest('"stream" must be true or false.', 'stream');

  const messages: ChatMessage[] = [];
  const system = body.system;
  if (typeof system === 'string') { if (system !== '') messages.push({ role: 'system', content: system }); }
  else if (Array.isArray(system)) {
    const text = (system as unknown[]).map((b, i) => {
      if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string') throw invalidRequest(`system[${i}] must be a {"type":"text","text"} block`, `system[${i}]`);
      return b.text;
    }).join('\n\n');
    if (text !== '') messages.push({ role: 'system', content: text });
  } else if (system !== undefined && system !== null) throw invalidRequest('"system" must be a string or an array of text blocks.', 'system');

  (body.messages as unknown[]).forEach((m, i) => {
    const where = `messages[${i}]`;
    if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant')) throw invalidRequest(`${where} must be an object whose "role" is "user" or "assistant".`, `${where}.role`);
    const blocks = blocksOf(m.content, where);
    if (m.role === 'assistant') {
      let text = '';
      const calls: ToolCall[] = [];
      blocks.forEach((b, j) => {
        if (b.type === 'text' && typeof b.text === 'string') text += b.text;
        else if (b.type === 'tool_use') calls.push(toolCallOf(b));
        else if (b.type !== 'thinking' && b.type !== 'redacted_thinking') { // the model's own reasoning is dropped
          only(anthropicOnlyReason(`${where}.content[${j}]`, `assistant block type "${String(b.type)}"`), `${where}.content[${j}].type`);
        }
      });
      const message: ChatMessage = { role: 'assistant', content: text === '' && calls.length ? null : text };
      if (calls.length) message.tool_calls = calls;
      messages.push(message);
      return;
    }
    // Tool results become tool messages, which must directly follow the assistant's tool calls.
    const rest: Block[] = [];
    blocks.forEach((b, j) => {
      if (b.type === 'tool_result') messages.push(toolMessage(b, `${where}.content[${j}]`, only));
      else rest.push(b);
    });
    if (rest.length || blocks.length === 0) messages.push({ role: 'user', content: typeof m.content === 'string' ? m.content : contentParts(rest, `${where}.content`, only) });
  });

  const request: ChatRequest = { model: body.model, messages };
  if (body.stream === true) request.stream = true;
  if (typeof body.max_tokens === 'number') request.max_completion_tokens = body.max_tokens;
  if (typeof body.temperature === 'number') request.temperature = body.temperature;
  if (typeof body.top_p === 'number') request.top_p = body.top_p;
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string')) throw invalidRequest('"stop_sequences" must be an array of strings.', 'stop_sequences');
    if (body.stop_sequences.length) request.stop = body.stop_sequences;
  }
  const user = isObject(body.metadata) ? body.metadata.user_id : undefined;
  if (typeof user === 'string' && user) request.user = user;
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw invalidRequest('"tools" must be an array of {"name", "description", "input_schema"}.', 'tools');
    if (body.tools.length) {
      const tools = (body.tools as unknown[]).flatMap((t, i) => {
        if (isObject(t) && t.type !== undefined && t.type !== 'custom') {
          only(anthropicOnlyReason(`tools[${i}]`, `server tool "${String(t.type)}"`), `tools[${i}].type`);
          return [];
        }
        if (!isObject(t) || typeof t.name !== 'string' || !isObject(t.input_schema)) {
          throw invalidRequest(`tools[${i}] must be a client tool {"name", "description", "input_schema"}.`, `tools[${i}]`);
        }
        const fn: Record<string, unknown> = { name: t.name, parameters: t.input_schema };
        if (typeof t.description === 'string') fn.description = t.description;
        return [{ type: 'function', function: fn }];
      });
      if (tools.length) {
        request.tools = tools;
        Object.assign(request, chatToolChoice(body.tool_choice));
      }
    }
  }
  return request;
}

export function usageOf(u: Record<string, unknown> | undefined, inputFallback = 0, outputFallback = 0): Usage {
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  // Cached prompt tokens are billed too and Anthropic reports them apart from input_tokens.
  const prompt = u && typeof u.input_tokens === 'number'
    ? u.input_tokens + num(u.cache_creation_input_tokens) + num(u.cache_read_input_tokens)
    : inputFallback;
  const completion = u && typeof u.output_tokens === 'number' ? u.output_tokens : outputFallback;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The inverse of usageOf. */
export function anthropicUsage(u: Usage | null | undefined): { input_tokens: number; output_tokens: number } {
  return { input_tokens: u?.prompt_tokens ?? 0, output_tokens: u?.completion_tokens ?? 0 };
}

/** An Anthropic `message` as an OpenAI `chat.completion` (pure). */
export function fromAnthropicMessage(msg: Record<string, unknown>, fallbackModel: string): ChatCompletion {
  const blocks = Array.isArray(msg.content) ? (msg.content as Block[]) : [];
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const b of blocks) {
    if (b.type === 'text' && typeof b.text === 'string') text += b.text;
    else if (b.type === 'tool_use') toolCalls.push(toolCallOf(b));
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

/** Anthropic message ids start with msg_; other upstreams' ids keep their text after it. */
function messageId(id: unknown): string {
  const s = typeof id === 'string' && id ? id : 'unknown';
  return s.startsWith('msg_') ? s : `msg_${s}`;
}

/** Tool arguments as a tool_use input; a model's broken JSON cannot be an object, so it is kept as text. */
function toolInput(args: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    if (isObject(v)) return v;
  } catch { /* fall through */ }
  return { arguments: args };
}

/** The inverse of fromAnthropicMessage: a chat completion as an Anthropic `message`. */
export function toAnthropicMessage(completion: ChatCompletion): Record<string, unknown> {
  const choice = completion.choices[0];
  const message = (choice?.message ?? {}) as Record<string, unknown>;
  const content: Block[] = [];
  const text = typeof message.content === 'string' ? message.content : typeof message.refusal === 'string' ? message.refusal : '';
  if (text !== '') content.push({ type: 'text', text });
  for (const call of (message.tool_calls ?? []) as ToolCall[]) {
    content.push({ type: 'tool_use', id: call.id, name: call.function?.name, input: toolInput(call.function?.arguments ?? '') });
  }
  return {
    id: messageId(completion.id),
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(completion.usage),
  };
}

/** A Messages request as the client sent it: its body and its `anthropic-beta` header. */
export interface ClientMessages { body: Record<string, unknown>; beta?: string }

/** Kept beside the chat translation, for Anthropic targets. */
const clientBodies = new WeakMap<ChatRequest, ClientMessages>();

/** Marks `request` as translated from this Messages request: an Anthropic target is sent the request itself. */
export function keepClientBody(request: ChatRequest, sent: ClientMessages): ChatRequest {
  clientBodies.set(request, sent);
  return request;
}

/**
 * What an Anthropic target gets: the client's own Messages body with the physical model and its beta
 * flags, else the translation.
 */
export function anthropicBodyFor(request: ChatRequest, model: string, stream: boolean): { body: Record<string, unknown>; passThrough: boolean; beta?: string } {
  const sent = clientBodies.get(request);
  if (!sent) return { body: toAnthropicRequest(request, model, stream), passThrough: false };
  const { model: _requested, stream: _stream, ...rest } = sent.body;
  return { body: { model, max_tokens: DEFAULT_MAX_TOKENS, ...rest, ...(stream ? { stream: true } : {}) }, passThrough: true, beta: sent.beta };
}

/** What an Anthropic target sent for an answer or chunk of a passed-through request: the message JSON or the raw events. */
const asSent = new WeakMap<object, string>();

export function passedThrough<T extends object>(answer: T, text: string): T {
  asSent.set(answer, text);
  return answer;
}

/** SSE text of one upstream event, as Anthropic writes it (data of several lines keeps them as several data lines). */
export function eventText(event: { event: string; data: string }): string {
  const data = event.data.includes('\n') ? event.data.split('\n').join('\ndata: ') : event.data;
  return `event: ${event.event}\ndata: ${data}\n\n`;
}

/** The client's message: what the Anthropic target sent when passed through, else the translation. */
export function anthropicMessageJson(completion: ChatCompletion): string {
  return asSent.get(completion) ?? JSON.stringify(toAnthropicMessage(completion));
}

export function anthropicErrorBody(type: string, message: string): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type, message } };
}

const sse = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/**
 * The inverse of the provider's AnthropicStreamTranslator: chat chunks as Anthropic stream events,
 * message_start … content blocks … message_delta (stop_reason, usage) and message_stop.
 */
export class AnthropicStreamEncoder {
  private started = false;
  private next = 0;
  private open: { index: number; kind: 'text' | 'tool' } | undefined;
  /** OpenAI tool call index → content block index. */
  private readonly toolBlocks = new Map<number, number>();
  private stop = 'end_turn';
  private usage: Usage | undefined;
  /** The chunks carry the Anthropic target's own events; whether message_stop was among them. */
  private passedThrough = false;
  private stopped = false;

  constructor(private readonly model: string) {}

  private start(chunk: ChatCompletionChunk | undefined): string {
    if (this.started) return '';
    this.started = true;
    return sse('message_start', {
      message: {
        id: messageId(chunk?.id), type: 'message', role: 'assistant', content: [], model: chunk?.model || this.model,
        stop_reason: null, stop_sequence: null, usage: anthropicUsage(chunk?.usage),
      },
    });
  }

  private close(): string {
    if (!this.open) return '';
    const { index } = this.open;
    this.open = undefined;
    return sse('content_block_stop', { index });
  }

  private openBlock(kind: 'text' | 'tool', block: Block): string {
    const out = this.close();
    const index = this.next++;
    this.open = { index, kind };
    return out + sse('content_block_start', { index, content_block: block });
  }

  chunk(chunk: ChatCompletionChunk): string {
    const raw = asSent.get(chunk);
    if (raw !== undefined) {
      this.started = this.passedThrough = true;
      if (raw.includes('event: message_stop\n')) this.stopped = true;
      return raw;
    }
    let out = this.start(chunk);
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) return out;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (this.open?.kind !== 'text') out += this.openBlock('text', { type: 'text', text: '' });
      out += sse('content_block_delta', { index: this.open!.index, delta: { type: 'text_delta', text: delta.content } });
    }
    for (const call of (Array.isArray(delta.tool_calls) ? delta.tool_calls : []) as Array<Record<string, unknown>>) {
      const at = typeof call.index === 'number' ? call.index : 0;
      let index = this.toolBlocks.get(at);
      if (index === undefined) {
        const fn = (call.function ?? {}) as Record<string, unknown>;
        out += this.openBlock('tool', { type: 'tool_use', id: typeof call.id === 'string' ? call.id : `toolu_${at}`, name: typeof fn.name === 'string' ? fn.name : '', input: {} });
        index = this.open!.index;
        this.toolBlocks.set(at, index);
      }
      const args = (call.function as Record<string, unknown> | undefined)?.arguments;
      if (typeof args === 'string' && args !== '') out += sse('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args } });
    }
    if (choice.finish_reason) {
      this.stop = stopReason(choice.finish_reason);
      out += this.close();
    }
    return out;
  }

  end(): string {
    if (this.passedThrough) return this.stopped ? '' : sse('message_stop', {});
    const usage = anthropicUsage(this.usage);
    return this.start(undefined) + this.close()
      + sse('message_delta', { delta: { stop_reason: this.stop, stop_sequence: null }, usage })
      + sse('message_stop', {});
  }

  fail(message: string): string {
    return this.start(undefined) + sse('error', anthropicErrorBody('api_error', message));
  }
}
