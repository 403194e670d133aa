// Checks a chat completion request's shape before any routing, so bad input gets a precise 400.
import type { ChatRequest, EmbeddingsRequest } from '../providers/provider';

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

export type ValidatedEmbeddings = { ok: true; request: EmbeddingsRequest } | { ok: false; message: string; param: string };

/** OpenAI's own limits: 2048 inputs per request; no embedding model returns more than a few thousand dimensions. */
export const MAX_EMBEDDING_INPUTS = 2048;
export const MAX_EMBEDDING_DIMENSIONS = 8192;

const isTokenIds = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t) && t >= 0);

export function validateEmbeddingsRequest(body: unknown): ValidatedEmbeddings {
  const inputHelp = '"input" must be a non-empty string, a list of up to 2048 non-empty strings, a list of token ids, or a list of token-id lists.';
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, param: '', message: 'The request body must be a JSON object with "model" and "input", such as {"model": "embeddings", "input": "Hello"}.' };
  }
  const r = body as Record<string, unknown>;
  if (typeof r.model !== 'string' || r.model.trim() === '') {
    return { ok: false, param: 'model', message: '"model" is required and must be a string: a model group name, or "<provider-id>/<model>".' };
  }
  const input = r.input;
  if (typeof input === 'string') {
    if (input === '') return { ok: false, param: 'input', message: inputHelp };
  } else if (!Array.isArray(input) || input.length === 0) {
    return { ok: false, param: 'input', message: inputHelp };
  } else if (input.length > MAX_EMBEDDING_INPUTS) {
    return { ok: false, param: 'input', message: `"input" has ${input.length} items; at most ${MAX_EMBEDDING_INPUTS} are allowed per request. Split it into several requests.` };
  } else if (!isTokenIds(input)) {
    const strings = typeof input[0] === 'string';
    for (let i = 0; i < input.length; i++) {
      const ok = strings ? typeof input[i] === 'string' && input[i] !== '' : isTokenIds(input[i]);
      if (!ok) return { ok: false, param: `input[${i}]`, message: `input[${i}] is not ${strings ? 'a non-empty string like the items before it' : 'a non-empty list of token ids (integers ≥ 0)'}. ${inputHelp}` };
    }
  }
  const dims = r.dimensions;
  if (dims !== undefined && dims !== null && (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > MAX_EMBEDDING_DIMENSIONS)) {
    return { ok: false, param: 'dimensions', message: `"dimensions" must be an integer from 1 to ${MAX_EMBEDDING_DIMENSIONS}.` };
  }
  const format = r.encoding_format;
  if (format !== undefined && format !== null && format !== 'float' && format !== 'base64') {
    return { ok: false, param: 'encoding_format', message: '"encoding_format" must be "float" or "base64".' };
  }
  if (r.user !== undefined && typeof r.user !== 'string') return { ok: false, param: 'user', message: '"user" must be a string.' };
  // null means "not set" to OpenAI's SDKs; upstreams are not asked with it.
  const request = { ...r } as unknown as EmbeddingsRequest;
  if (dims === null) delete request.dimensions;
  if (format === null) delete request.encoding_format;
  return { ok: true, request };
}
