// Checks a chat completion request's shape before any routing, so bad input gets a precise 400.
import type { ChatRequest } from '../providers/provider';

export type Validated = { ok: true; request: ChatRequest } | { ok: false; message: string; param: string };

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

export function validateChatRequest(body: unknown): Validated {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, param: '', message: 'The request body must be a JSON object with "model" and "messages".' };
  }
  const r = body as Record<string, unknown>;
  if (typeof r.model !== 'string' || r.model.trim() === '') {
    return { ok: false, param: 'model', message: '"model" is required and must be a string: a model group name such as "fast-chat", or "<provider-id>/<model>".' };
  }
  if (!Array.isArray(r.messages) || r.messages.length === 0) {
    return { ok: false, param: 'messages', message: '"messages" is required and must be a non-empty array of {"role", "content"} objects.' };
  }
  for (let i = 0; i < r.messages.length; i++) {
    const m = r.messages[i] as Record<string, unknown> | null;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return { ok: false, param: `messages[${i}]`, message: `messages[${i}] must be an object with "role" and "content".` };
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) {
      return { ok: false, param: `messages[${i}].role`, message: `messages[${i}].role must be one of system, developer, user, assistant, tool.` };
    }
    if (m.content !== undefined && m.content !== null && typeof m.content !== 'string' && !Array.isArray(m.content)) {
      return { ok: false, param: `messages[${i}].content`, message: `messages[${i}].content must be a string or an array of content parts.` };
    }
  }
  if (r.stream !== undefined && typeof r.stream !== 'boolean') return { ok: false, param: 'stream', message: '"stream" must be true or false.' };
  for (const key of ['max_tokens', 'max_completion_tokens'] as const) {
    const v = r[key];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
      return { ok: false, param: key, message: `"${key}" must be a positive integer.` };
    }
  }
  return { ok: true, request: r as unknown as ChatRequest };
}
