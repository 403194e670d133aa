// OpenAI Responses API (stateless) ⇄ the gateway's chat shapes: a Responses body in as a chat request,
// the chat answer or chunks back as a `response` object or its stream events. Pure.
import { randomBytes } from 'node:crypto';
import { invalidRequest, type ChatCompletion, type ChatCompletionChunk, type ChatMessage, type ChatRequest, type Usage } from '../providers/provider';

type Item = Record<string, unknown>;
type ToolCall = NonNullable<ChatMessage['tool_calls']>[number];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** Input content parts → chat content parts (input_text/output_text → text, input_image → image_url). */
function chatParts(content: unknown[], where: string): Array<Record<string, unknown>> {
  return content.map((p, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(p)) throw invalidRequest(`${at} must be a content part object`, at);
    if ((p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') && typeof p.text === 'string') return { type: 'text', text: p.text };
    if (p.type === 'refusal' && typeof p.refusal === 'string') return { type: 'text', text: p.refusal };
    if (p.type === 'input_image') {
      if (typeof p.image_url !== 'string') throw invalidRequest(`${at}: input_image needs an "image_url" (an http(s) or base64 data URL); file_id needs stored files, which this gateway does not keep`, `${at}.image_url`);
      const image: Record<string, unknown> = { url: p.image_url };
      if (typeof p.detail === 'string' && p.detail !== 'auto') image.detail = p.detail;
      return { type: 'image_url', image_url: image };
    }
    throw invalidRequest(`${at}: content type "${String(p.type)}" is not supported through the gateway (use input_text or input_image)`, `${at}.type`);
  });
}

function messageContent(content: unknown, where: string): ChatMessage['content'] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalidRequest(`${where}.content must be a string or an array of content parts`, `${where}.content`);
  return chatParts(content, `${where}.content`);
}

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);

/** `input` items → chat messages; consecutive function calls become one assistant turn. */
function inputMessages(input: unknown[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  input.forEach((raw, i) => {
    const where = `input[${i}]`;
    if (!isObject(raw)) throw invalidRequest(`${where} must be an input item object`, where);
    const type = raw.type ?? 'message';
    if (type === 'message') {
      if (typeof raw.role !== 'string' || !ROLES.has(raw.role)) throw invalidRequest(`${where}.role must be one of user, assistant, system, developer`, `${where}.role`);
      const content = messageContent(raw.content, where);
      if (raw.role === 'assistant') {
        // Earlier output text: chat assistant turns are text.
        messages.push({ role: 'assistant', content: typeof content === 'string' ? content : (content ?? []).map((p) => String(p.text ?? '')).join('') });
      } else {
        messages.push({ role: raw.role, content });
      }
    } else if (type === 'function_call') {
      if (typeof raw.call_id !== 'string' || typeof raw.name !== 'string') throw invalidRequest(`${where}: a function_call needs "call_id" and "name"`, where);
      const call: ToolCall = { id: raw.call_id, type: 'function', function: { name: raw.name, arguments: typeof raw.arguments === 'string' ? raw.arguments : '{}' } };
      const last = messages[messages.length - 1];
      // Chat wants the text and the tool calls of one assistant turn in one message.
      if (last?.role === 'assistant') (last.tool_calls ??= []).push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output') {
      if (typeof raw.call_id !== 'string') throw invalidRequest(`${where}: a function_call_output needs the "call_id" of its function_call`, `${where}.call_id`);
      const output = raw.output;
      const content = typeof output === 'string' ? output : Array.isArray(output) ? messageContent(output, where) : JSON.stringify(output ?? '');
      messages.push({ role: 'tool', tool_call_id: raw.call_id, content });
    } else if (type === 'reasoning') {
      // A reasoning item is the model's own state: other models cannot use it, and stateless chat has no slot for it.
    } else if (type === 'item_reference') {
      throw invalidRequest(`${where}: item_reference needs stored responses, which this gateway does not keep; send the items themselves ("store": false makes clients do so, e.g. the AI SDK's providerOptions.openai.store = false)`, `${where}.type`);
    } else {
      throw invalidRequest(`${where}: input item type "${String(type)}" is not supported through the gateway (use message, function_call and function_call_output)`, `${where}.type`);
    }
  });
  return messages;
}

function chatTools(tools: unknown): Array<Record<string, unknown>> | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalidRequest('"tools" must be an array of {"type":"function","name","parameters"}', 'tools');
  return tools.map((t, i) => {
    if (!isObject(t) || t.type !== 'function' || typeof t.name !== 'string') {
      throw invalidRequest(`tools[${i}]: only function tools are available through the gateway (built-in tools such as web_search and file_search run on OpenAI's side only)`, `tools[${i}]`);
    }
    const fn: Record<string, unknown> = { name: t.name, parameters: t.parameters ?? { type: 'object', properties: {} } };
    if (typeof t.description === 'string') fn.description = t.description;
    if (typeof t.strict === 'boolean') fn.strict = t.strict;
    return { type: 'function', function: fn };
  });
}

function chatToolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null || typeof choice === 'string') return choice ?? undefined;
  if (isObject(choice) && choice.type === 'function' && typeof choice.name === 'string') return { type: 'function', function: { name: choice.name } };
  throw invalidRequest('tool_choice must be "auto", "none", "required" or {"type":"function","name"}', 'tool_choice');
}

function responseFormat(text: unknown): unknown {
  const format = isObject(text) ? text.format : undefined;
  if (!isObject(format) || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type === 'json_schema') {
    const schema: Record<string, unknown> = { name: format.name ?? 'response', schema: format.schema };
    if (typeof format.description === 'string') schema.description = format.description;
    if (typeof format.strict === 'boolean') schema.strict = format.strict;
    return { type: 'json_schema', json_schema: schema };
  }
  throw invalidRequest('text.format.type must be text, json_object or json_schema', 'text.format');
}

/** A Responses request body as the chat request the gateway routes (throws a 400 UpstreamError naming the field). */
export function fromResponsesRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object with "model" and "input".', null);
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    throw invalidRequest('"previous_response_id" needs stored responses, which this gateway does not keep: send the whole conversation in "input" (earlier output items included) instead.', 'previous_response_id');
  }
  if (body.conversation !== undefined && body.conversation !== null) {
    throw invalidRequest('"conversation" needs stored conversations, which this gateway does not keep: send the whole conversation in "input" instead.', 'conversation');
  }
  if (body.background === true) throw invalidRequest('"background" responses need storage, which this gateway does not keep; leave it out.', 'background');
  if (typeof body.model !== 'string' || body.model.trim() === '') {
    throw invalidRequest('"model" is required and must be a string: a model group name such as "fast-chat", or "<provider-id>/<model>".', 'model');
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw invalidRequest('"stream" must be true or false.', 'stream');
  const messages: ChatMessage[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') messages.push({ role: 'system', content: body.instructions });
  if (typeof body.input === 'string') messages.push({ role: 'user', content: body.input });
  else if (Array.isArray(body.input)) messages.push(...inputMessages(body.input));
  else throw invalidRequest('"input" is required: a string, or an array of message, function_call and function_call_output items.', 'input');
  if (!messages.some((m) => m.role !== 'system')) throw invalidRequest('"input" has no message to answer: add at least one user message.', 'input');

  const request: ChatRequest = { model: body.model, messages };
  if (body.stream === true) request.stream = true;
  const max = body.max_output_tokens;
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) throw invalidRequest('"max_output_tokens" must be a positive integer.', 'max_output_tokens');
    request.max_completion_tokens = max;
  }
  if (typeof body.temperature === 'number') request.temperature = body.temperature;
  if (typeof body.top_p === 'number') request.top_p = body.top_p;
  if (typeof body.user === 'string' && body.user) request.user = body.user;
  else if (typeof body.safety_identifier === 'string' && body.safety_identifier) request.user = body.safety_identifier;
  const tools = chatTools(body.tools);
  if (tools?.length) {
    request.tools = tools;
    const choice = chatToolChoice(body.tool_choice);
    if (choice !== undefined) request.tool_choice = choice;
    if (typeof body.parallel_tool_calls === 'boolean') request.parallel_tool_calls = body.parallel_tool_calls;
  }
  const format = responseFormat(body.text);
  if (format) request.response_format = format;
  const effort = isObject(body.reasoning) ? body.reasoning.effort : undefined;
  if (typeof effort === 'string') request.reasoning_effort = effort;
  return request;
}

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export function responsesUsage(u: Usage | null | undefined): ResponsesUsage {
  const details = (u as { prompt_tokens_details?: { cached_tokens?: unknown }; completion_tokens_details?: { reasoning_tokens?: unknown } } | undefined);
  const cached = details?.prompt_tokens_details?.cached_tokens;
  const reasoning = details?.completion_tokens_details?.reasoning_tokens;
  const input = u?.prompt_tokens ?? 0;
  const output = u?.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: typeof cached === 'number' ? cached : 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: typeof reasoning === 'number' ? reasoning : 0 },
    total_tokens: u?.total_tokens ?? input + output,
  };
}

/** How a finish reason ends a response: `length` and `content_filter` leave it incomplete. */
function ending(finish: unknown): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** The request's settings a `response` object echoes. */
function echoed(body: Record<string, unknown>): Record<string, unknown> {
  return {
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    max_output_tokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null,
    parallel_tool_calls: body.parallel_tool_calls !== false,
    previous_response_id: null,
    reasoning: { effort: isObject(body.reasoning) ? body.reasoning.effort ?? null : null, summary: null },
    store: false,
    temperature: typeof body.temperature === 'number' ? body.temperature : 1,
    text: { format: isObject(body.text) && isObject(body.text.format) ? body.text.format : { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: typeof body.top_p === 'number' ? body.top_p : 1,
    truncation: 'disabled',
    user: typeof body.user === 'string' ? body.user : null,
    metadata: isObject(body.metadata) ? body.metadata : {},
  };
}

export interface ResponseShell {
  id: string;
  createdAt: number;
  model: string;
}

function responseObject(shell: ResponseShell, body: Record<string, unknown>, status: string, output: Item[], usage: ResponsesUsage | null, incomplete: { reason: string } | null): Record<string, unknown> {
  return {
    id: shell.id,
    object: 'response',
    created_at: shell.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: incomplete,
    model: shell.model,
    output,
    ...echoed(body),
    usage,
  };
}

function messageItem(id: string, text: string, status: string): Item {
  return { id, type: 'message', status, role: 'assistant', content: [outputText(text)] };
}

function outputText(text: string): Item {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function functionCallItem(id: string, call: { id: string; name: string; arguments: string }, status: string): Item {
  return { id, type: 'function_call', status, arguments: call.arguments, call_id: call.id, name: call.name };
}

/** A chat completion as a `response` object; `body` is the client's Responses request. */
export function toResponse(completion: ChatCompletion, body: Record<string, unknown>): Record<string, unknown> {
  const choice = completion.choices[0];
  const message = (choice?.message ?? {}) as Record<string, unknown>;
  const output: Item[] = [];
  const text = typeof message.content === 'string' ? message.content : '';
  if (text !== '') output.push(messageItem(newId('msg'), text, 'completed'));
  for (const call of (message.tool_calls ?? []) as ToolCall[]) {
    output.push(functionCallItem(newId('fc'), { id: call.id, name: call.function?.name ?? '', arguments: call.function?.arguments ?? '' }, 'completed'));
  }
  const end = ending(choice?.finish_reason);
  const shell = { id: newId('resp'), createdAt: completion.created || Math.floor(Date.now() / 1000), model: completion.model };
  return responseObject(shell, body, end.status, output, responsesUsage(completion.usage), end.incomplete_details);
}

interface OpenItem {
  outputIndex: number;
  id: string;
  kind: 'message' | 'function_call';
  text: string;
  call?: { id: string; name: string; arguments: string };
}

/**
 * Chat chunks as Responses stream events, each with its sequence_number: response.created and
 * .in_progress, then per output item .output_item.added … deltas … .output_item.done, and
 * response.completed (or .incomplete) with usage.
 */
export class ResponsesStreamEncoder {
  private seq = 0;
  private shell: ResponseShell | undefined;
  private readonly output: Item[] = [];
  private message: OpenItem | undefined;
  /** Chat tool call index → its open function_call item. */
  private readonly calls = new Map<number, OpenItem>();
  private finish: unknown = null;
  private usage: Usage | undefined;

  constructor(private readonly body: Record<string, unknown>, private readonly model: string) {}

  private event(type: string, data: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...data })}\n\n`;
  }

  private start(chunk: ChatCompletionChunk | undefined): string {
    if (this.shell) return '';
    this.shell = { id: newId('resp'), createdAt: chunk?.created || Math.floor(Date.now() / 1000), model: chunk?.model || this.model };
    // Both events carry the same response object: serialised once, on the way to the first token.
    const response = JSON.stringify(responseObject(this.shell, this.body, 'in_progress', [], null, null));
    const opening = (type: string) => `event: ${type}\ndata: {"type":"${type}","sequence_number":${this.seq++},"response":${response}}\n\n`;
    return opening('response.created') + opening('response.in_progress');
  }

  private add(item: OpenItem, added: Item): string {
    this.output.push(added);
    return this.event('response.output_item.added', { output_index: item.outputIndex, item: added });
  }

  private closeMessage(): string {
    const m = this.message;
    if (!m) return '';
    this.message = undefined;
    const base = { item_id: m.id, output_index: m.outputIndex, content_index: 0 };
    const done = messageItem(m.id, m.text, 'completed');
    this.output[m.outputIndex] = done;
    return this.event('response.output_text.done', { ...base, text: m.text, logprobs: [] })
      + this.event('response.content_part.done', { ...base, part: outputText(m.text) })
      + this.event('response.output_item.done', { output_index: m.outputIndex, item: done });
  }

  private closeCalls(): string {
    let out = '';
    for (const c of this.calls.values()) {
      const done = functionCallItem(c.id, c.call!, 'completed');
      this.output[c.outputIndex] = done;
      out += this.event('response.function_call_arguments.done', { item_id: c.id, output_index: c.outputIndex, name: c.call!.name, arguments: c.call!.arguments })
        + this.event('response.output_item.done', { output_index: c.outputIndex, item: done });
    }
    this.calls.clear();
    return out;
  }

  chunk(chunk: ChatCompletionChunk): string {
    let out = this.start(chunk);
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) return out;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (!this.message) {
        out += this.closeCalls();
        const m: OpenItem = { outputIndex: this.output.length, id: newId('msg'), kind: 'message', text: '' };
        this.message = m;
        out += this.add(m, { id: m.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] });
        out += this.event('response.content_part.added', { item_id: m.id, output_index: m.outputIndex, content_index: 0, part: outputText('') });
      }
      const m = this.message;
      m.text += delta.content;
      out += this.event('response.output_text.delta', { item_id: m.id, output_index: m.outputIndex, content_index: 0, delta: delta.content, logprobs: [] });
    }
    for (const raw of (Array.isArray(delta.tool_calls) ? delta.tool_calls : []) as Array<Record<string, unknown>>) {
      const at = typeof raw.index === 'number' ? raw.index : 0;
      const fn = (raw.function ?? {}) as Record<string, unknown>;
      let c = this.calls.get(at);
      if (!c) {
        out += this.closeMessage();
        c = { outputIndex: this.output.length, id: newId('fc'), kind: 'function_call', text: '', call: { id: typeof raw.id === 'string' ? raw.id : newId('call'), name: typeof fn.name === 'string' ? fn.name : '', arguments: '' } };
        this.calls.set(at, c);
        out += this.add(c, functionCallItem(c.id, c.call!, 'in_progress'));
      }
      if (typeof fn.arguments === 'string' && fn.arguments !== '') {
        c.call!.arguments += fn.arguments;
        out += this.event('response.function_call_arguments.delta', { item_id: c.id, output_index: c.outputIndex, delta: fn.arguments });
      }
    }
    if (choice.finish_reason) {
      this.finish = choice.finish_reason;
      out += this.closeMessage() + this.closeCalls();
    }
    return out;
  }

  end(): string {
    let out = this.start(undefined) + this.closeMessage() + this.closeCalls();
    const end = ending(this.finish);
    const response = responseObject(this.shell!, this.body, end.status, this.output, responsesUsage(this.usage), end.incomplete_details);
    out += this.event(end.status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
    return out;
  }

  /** The nested `error` event: the openai SDK raises it, and the AI SDK reports it. */
  fail(message: string): string {
    return this.start(undefined) + this.event('error', { error: { type: 'server_error', code: 'stream_interrupted', message, param: null } });
  }
}
