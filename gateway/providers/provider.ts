// One interface for every upstream. Each provider file translates the gateway's OpenAI-shaped
// request into its wire format and the answer back; routing never sees a provider's own shapes.
import type { Dispatcher } from 'undici';
import type { Cancellation } from './cancellation';
import type { ProviderTarget, ProviderType } from '../policy/types';

/** OpenAI Chat Completions request body as the client sent it (the gateway's own API). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | string;
  content?: string | Array<Record<string, unknown>> | null;
  name?: string;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface Usage { prompt_tokens: number; completion_tokens: number; total_tokens: number }

/** OpenAI `chat.completion` object. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: Record<string, unknown>; finish_reason: string | null; logprobs?: null }>;
  usage?: Usage;
  [key: string]: unknown;
}

/** OpenAI `chat.completion.chunk` object. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: number; delta: Record<string, unknown>; finish_reason: string | null; logprobs?: null }>;
  usage?: Usage | null;
  [key: string]: unknown;
}

/**
 * The exact JSON text an upstream sent for a completion or chunk a provider returns unchanged: the
 * gateway then forwards those bytes instead of serialising the object again (a measurable share of
 * its per-request CPU). Register only text that parses to the object as returned, and never mutate
 * the object afterwards.
 */
const upstreamJson = new WeakMap<ChatCompletion | ChatCompletionChunk, string>();

export function forwardAsSent<T extends ChatCompletion | ChatCompletionChunk>(answer: T, text: string): T {
  upstreamJson.set(answer, text);
  return answer;
}

/** The answer's JSON for the client: the upstream's own text when it was forwarded unchanged. */
export function answerJson(answer: ChatCompletion | ChatCompletionChunk): string {
  return upstreamJson.get(answer) ?? JSON.stringify(answer);
}

/** OpenAI embeddings request body as the client sent it. */
export interface EmbeddingsRequest {
  model: string;
  /** Text, several texts, or token ids (one array, or one per input). */
  input: string | string[] | number[] | number[][];
  dimensions?: number;
  /** How the client wants vectors; providers always return floats, and the gateway encodes them (or forwards the upstream's text). */
  encoding_format?: 'float' | 'base64';
  user?: string;
  [key: string]: unknown;
}

/** The separate inputs of an embeddings request: one token-id array is one input, otherwise each element is. */
export function embeddingInputs(input: EmbeddingsRequest['input']): Array<string | number[]> {
  if (typeof input === 'string') return [input];
  if (input.length > 0 && typeof input[0] === 'number') return [input as number[]];
  return input as Array<string | number[]>;
}

/** OpenAI embeddings answer, vectors as floats, in input order; `model` is the model that served it. */
export interface Embeddings {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * An upstream's exact embeddings text, kept when its vectors are already in the encoding the client
 * asked for: the gateway then sends those bytes instead of encoding thousands of floats again.
 * The object itself always holds floats.
 */
const embeddingsText = new WeakMap<Embeddings, { text: string; format: EmbeddingFormat }>();

export type EmbeddingFormat = NonNullable<EmbeddingsRequest['encoding_format']>;

export function forwardEmbeddingsAsSent(answer: Embeddings, text: string, format: EmbeddingFormat): Embeddings {
  embeddingsText.set(answer, { text, format });
  return answer;
}

/** The upstream's text for `answer` if its vectors are encoded as `format`. */
export function embeddingsSentAs(answer: Embeddings, format: EmbeddingFormat): string | undefined {
  const sent = embeddingsText.get(answer);
  return sent?.format === format ? sent.text : undefined;
}

export interface AttemptContext {
  target: ProviderTarget;
  /** Physical model name to ask the upstream for. */
  model: string;
  /** Resolved from the target's `secret_key_ref.env`; undefined when unset. */
  apiKey: string | undefined;
  /** Aborted on client disconnect or on the attempt's timeout. */
  signal: Cancellation;
  /** undici pool for this target (keep-alive, no Nagle). */
  dispatcher: Dispatcher;
}

export type UpstreamErrorKind =
  | 'missing_key'   // secret_key_ref.env is unset: fail fast, move on
  | 'connect'       // refused, DNS, reset before a response
  | 'timeout'       // timeout_ms elapsed before first byte
  | 'http'          // upstream answered with a non-2xx status
  | 'protocol'      // malformed JSON, wrong content type, garbage stream
  | 'unsupported'   // the target cannot serve this API (Anthropic has no embeddings): move on
  | 'aborted';      // the client went away

/** An attempt that failed; carries what routing needs to decide whether to fall back. */
export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status?: number,
    /** OpenAI-shaped error body to return as is for non-retryable 4xx. */
    readonly body?: { error: { message: string; type?: string; param?: string | null; code?: string | null } },
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }

  /** Timeout, connection errors, 408, 409, 429, 5xx and 529 move on to the next model. */
  get retryable(): boolean {
    if (this.kind === 'aborted') return false;
    if (this.kind !== 'http') return true;
    const s = this.status ?? 0;
    return s === 408 || s === 409 || s === 429 || s >= 500;
  }
}

/** A request the gateway cannot translate: a 400 the client can fix, never retried elsewhere. */
export function invalidRequest(message: string, param: string | null = null): UpstreamError {
  return new UpstreamError('http', message, 400, { error: { message, type: 'invalid_request_error', param, code: null } });
}

export interface Provider {
  readonly type: ProviderType;
  /** Non-streamed call; resolves to an OpenAI chat.completion whose `model` is the model that served it. */
  complete(request: ChatRequest, ctx: AttemptContext): Promise<ChatCompletion>;
  /**
   * Streamed call; resolves once the upstream accepted the request (2xx headers), then yields OpenAI
   * chunks as they arrive. Must ask the upstream for usage where it supports it, and yield it as a chunk
   * with `choices: []` and `usage`. Throws UpstreamError (before or during iteration) on failure; an
   * upstream that ends without its end marker after content has still ended.
   */
  stream(request: ChatRequest, ctx: AttemptContext): Promise<AsyncIterable<ChatCompletionChunk>>;
  /** Embeddings, for providers that have them; floats in input order. Throws UpstreamError on failure. */
  embed?(request: EmbeddingsRequest, ctx: AttemptContext): Promise<Embeddings>;
}
