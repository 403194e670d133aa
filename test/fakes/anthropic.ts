// Fake Anthropic Messages API: `/v1/messages`, x-api-key + anthropic-version, the real request checks
// (max_tokens, alternating user/assistant turns, no empty text, tool_result after tool_use), named events.
import { argumentFragments, json, pieces, startFake, type Dialect, type FakeUpstream, type RecordedRequest, type Reply } from './fake-upstream';

export const FAKE_ANTHROPIC_KEY = 'sk-ant-fake-0123456789abcdef';

const TYPE_OF_STATUS: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error',
};

function anthropicError(status: number, message: string, type = TYPE_OF_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error')): Reply {
  return json(status, { type: 'error', error: { type, message } }, { 'request-id': 'req_fake01' });
}

function defaultMessage(status: number): string {
  switch (status) {
    case 429: return 'Number of request tokens has exceeded your per-minute rate limit';
    case 529: return 'Overloaded';
    case 404: return 'model: not found';
    default: return status >= 500 ? 'Internal server error' : `Request failed with status ${status}`;
  }
}

/** The checks the real API makes on a Messages body; the first violation as its 400 message. */
export function messagesViolation(body: any): string | undefined {
  if (!body || typeof body !== 'object') return 'Request body must be JSON';
  if (typeof body.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  if (typeof body.temperature === 'number' && (body.temperature < 0 || body.temperature > 1)) return 'temperature: range: 0..1';
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return 'system: Input should be a valid string';
  const toolUseIds = new Set<string>();
  let prevToolUses = new Set<string>();
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i];
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (i === 0 && m.role !== 'user') return 'messages: first message must use the "user" role';
    if (i > 0 && body.messages[i - 1].role === m.role) return `messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row`;
    const blocks: any[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m.content) ? m.content : [];
    if (blocks.length === 0) return `messages.${i}: all messages must have non-empty content`;
    const usesHere = new Set<string>();
    for (let j = 0; j < blocks.length; j++) {
      const b = blocks[j];
      const at = `messages.${i}.content.${j}`;
      if (b.type === 'text' && (typeof b.text !== 'string' || b.text === '')) return `${at}: text content blocks must be non-empty`;
      if (b.type === 'tool_use') {
        if (m.role !== 'assistant') return `${at}: tool_use blocks are only allowed in assistant messages`;
        if (typeof b.input !== 'object' || b.input === null || Array.isArray(b.input)) return `${at}.input: Input should be a valid dictionary`;
        usesHere.add(b.id); toolUseIds.add(b.id);
      }
      if (b.type === 'tool_result' && !prevToolUses.has(b.tool_use_id)) {
        return `${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
      if (b.type === 'image' && !['base64', 'url'].includes(b.source?.type)) return `${at}.source: Input tag '${b.source?.type}' found using 'type' does not match any of the expected tags: 'base64', 'url'`;
      if (!['text', 'image', 'tool_use', 'tool_result', 'document', 'thinking'].includes(b.type)) return `${at}.type: Input tag '${b.type}' found using 'type' does not match any of the expected tags`;
    }
    prevToolUses = usesHere;
  }
  if (body.tool_choice && !['auto', 'any', 'tool', 'none'].includes(body.tool_choice.type)) return 'tool_choice.type: Input should be auto, any, tool or none';
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) {
      if (typeof t.name !== 'string') return 'tools.0.name: Field required';
      // Server tools (web search, code execution, …) are typed and need no schema; client tools do.
      if ((t.type === undefined || t.type === 'custom') && typeof t.input_schema !== 'object') return 'tools.0.input_schema: Field required';
    }
  }
  return undefined;
}

const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

export function anthropicDialect(key: string): Dialect {
  return {
    screen(req: RecordedRequest) {
      if (req.method !== 'POST' || req.path !== '/v1/messages') return anthropicError(404, `Not Found`, 'not_found_error');
      const given = req.headers['x-api-key'];
      if (!given) return anthropicError(401, 'x-api-key header is required');
      if (given !== key) return anthropicError(401, 'invalid x-api-key');
      if (!req.headers['anthropic-version']) return anthropicError(400, 'anthropic-version: header is required');
      const violation = messagesViolation(req.body);
      if (violation) return anthropicError(400, violation);
      return { chat: true, model: req.body.model, stream: req.body.stream === true };
    },
    error: (status, message) => anthropicError(status, message ?? defaultMessage(status)),
    completion(plan) {
      const content: unknown[] = [];
      if (plan.text) content.push({ type: 'text', text: plan.text });
      plan.toolCalls.forEach((c, i) => content.push({ type: 'tool_use', id: `toolu_fake_${i}`, name: c.name, input: c.arguments }));
      return {
        id: 'msg_fake01', type: 'message', role: 'assistant', model: plan.model, content,
        stop_reason: plan.toolCalls.length ? 'tool_use' : 'end_turn', stop_sequence: null,
        usage: { input_tokens: plan.promptTokens, output_tokens: plan.completionTokens },
      };
    },
    streamFrames(plan) {
      const frames = [event('message_start', {
        message: { id: 'msg_fake01', type: 'message', role: 'assistant', content: [], model: plan.model, stop_reason: null, stop_sequence: null, usage: { input_tokens: plan.promptTokens, output_tokens: 1 } },
      })];
      let index = 0;
      if (plan.text) {
        frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
        frames.push(event('ping', {}));
        for (const p of pieces(plan.text)) frames.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: p } }));
        frames.push(event('content_block_stop', { index }));
        index++;
      }
      plan.toolCalls.forEach((c, i) => {
        frames.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: `toolu_fake_${i}`, name: c.name, input: {} } }));
        frames.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } }));
        for (const f of argumentFragments(c.arguments)) frames.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: f } }));
        frames.push(event('content_block_stop', { index }));
        index++;
      });
      frames.push(event('message_delta', { delta: { stop_reason: plan.toolCalls.length ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: plan.completionTokens } }));
      frames.push(event('message_stop', {}));
      return frames;
    },
    streamError: () => event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
    unknownEvent: () => event('content_block_citation', { index: 0, citation: { note: 'a future event type' } }),
    defaultReply: (model, last) => `Hello from fake Anthropic (${model}). You said: ${last}`,
  };
}

export function startFakeAnthropic(opts: { key?: string } = {}): Promise<FakeUpstream> {
  return startFake(anthropicDialect(opts.key ?? FAKE_ANTHROPIC_KEY), '/v1');
}
