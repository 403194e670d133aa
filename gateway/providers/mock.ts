// The built-in offline provider (`mock:` base_url): deterministic replies, latency and failures for
// demos and development with no network and no key.
import { createHash } from 'node:crypto';
import { knownModel } from '../policy/known-models';
import type { MockSettings, ProviderTarget } from '../policy/types';
import {
  embeddingInputs,
  UpstreamError,
  type AttemptContext,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatMessage,
  type ChatRequest,
  type Embeddings,
  type EmbeddingsRequest,
  type Provider,
  type Usage,
} from './provider';
import { openAITypeForStatus, sleep } from './upstream';

export const DEFAULT_CHUNK_CHARS = 16;

/** Calls per target so far; a config reload makes new targets and starts over. */
const calls = new WeakMap<ProviderTarget, number>();

/**
 * Whether call number `n` (1-based) fails: spreads failures evenly so a rate of 0.25 fails exactly
 * every 4th call and 1 fails every call.
 */
export function failsAt(n: number, rate: number): boolean {
  const r = Math.min(1, Math.max(0, rate));
  return Math.floor(n * r + 1e-9) > Math.floor((n - 1) * r + 1e-9);
}

function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (!Array.isArray(m.content)) return '';
  return m.content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join(' ');
}

export function mockReply(settings: MockSettings | undefined, model: string, messages: ChatMessage[]): string {
  if (settings?.reply !== undefined) return settings.reply;
  let last = '';
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') { last = messageText(messages[i]); break; }
  return `Mock reply from ${model}: ${last}`;
}

/** About 4 characters per token, at least 1 for any text. */
export function estimateTokens(chars: number): number {
  return chars === 0 ? 0 : Math.max(1, Math.ceil(chars / 4));
}

function usageFor(messages: ChatMessage[], reply: string): Usage {
  let chars = 0;
  for (const m of messages) chars += messageText(m).length;
  const prompt = estimateTokens(chars);
  const completion = estimateTokens(reply.length);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function aborted(ctx: AttemptContext): UpstreamError {
  return new UpstreamError('aborted', `request to target "${ctx.target.id}" was aborted`);
}

/** Latency, then the configured failure if this call is one that fails. */
async function admit(ctx: AttemptContext): Promise<number> {
  const s = ctx.target.mock;
  if (ctx.signal.aborted) throw aborted(ctx);
  const n = (calls.get(ctx.target) ?? 0) + 1;
  calls.set(ctx.target, n);
  if (s?.latency_ms) {
    try { await sleep(s.latency_ms, ctx.signal); } catch { throw aborted(ctx); }
  }
  if (s?.fail_status !== undefined && failsAt(n, s.failure_rate ?? 1)) {
    const status = s.fail_status;
    const message = `mock target "${ctx.target.id}" failed on purpose with HTTP ${status} (mock.fail_status)`;
    throw new UpstreamError('http', message, status, {
      error: { message, type: openAITypeForStatus(status), param: null, code: 'mock_failure' },
    });
  }
  return n;
}

/** Vector length when neither the request nor a known model says: text-embedding-3-small's. */
export const DEFAULT_MOCK_DIMENSIONS = 1536;

/**
 * A unit vector that depends only on model and input: a SHA-256-seeded xorshift stream, rounded to
 * float32 as real embeddings are, so float and base64 answers carry the very same numbers.
 */
export function mockVector(model: string, input: string | number[], dimensions: number): number[] {
  const text = typeof input === 'string' ? `text:${input}` : `tokens:${input.join(',')}`;
  const seed = createHash('sha256').update(model).update('\0').update(text).digest();
  let x = seed.readUInt32LE(0) || 1;
  let y = seed.readUInt32LE(4) || 2;
  const out = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // Marsaglia's two-word xorshift: fast, and random enough for vectors no one reads meaning into.
    let t = x ^ (x << 11);
    x = y;
    y = (y ^ (y >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    const v = y / 0x100000000 - 0.5;
    out[i] = v;
    norm += v * v;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dimensions; i++) out[i] = Math.fround(out[i] * scale);
  return out;
}

export const mock: Provider = {
  type: 'mock',

  async complete(request: ChatRequest, ctx: AttemptContext): Promise<ChatCompletion> {
    const n = await admit(ctx);
    const reply = mockReply(ctx.target.mock, ctx.model, request.messages);
    return {
      id: `chatcmpl-mock-${n}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: ctx.model,
      choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop', logprobs: null }],
      usage: usageFor(request.messages, reply),
    };
  },

  async embed(request: EmbeddingsRequest, ctx: AttemptContext): Promise<Embeddings> {
    await admit(ctx);
    const dimensions = request.dimensions ?? knownModel(ctx.model)?.dimensions ?? DEFAULT_MOCK_DIMENSIONS;
    const inputs = embeddingInputs(request.input);
    let tokens = 0;
    for (const input of inputs) tokens += typeof input === 'string' ? estimateTokens(input.length) : input.length;
    return {
      object: 'list',
      data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: mockVector(ctx.model, input, dimensions) })),
      model: ctx.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  },

  async stream(request: ChatRequest, ctx: AttemptContext): Promise<AsyncIterable<ChatCompletionChunk>> {
    const n = await admit(ctx);
    const s = ctx.target.mock;
    const reply = mockReply(s, ctx.model, request.messages);
    const size = Math.max(1, s?.chunk_chars ?? DEFAULT_CHUNK_CHARS);
    const delay = s?.chunk_delay_ms ?? 0;
    const base = { id: `chatcmpl-mock-${n}`, object: 'chat.completion.chunk' as const, created: Math.floor(Date.now() / 1000), model: ctx.model };
    const usage = usageFor(request.messages, reply);
    return (async function* () {
      const chars = Array.from(reply); // code points, so no chunk splits an emoji
      const pieces: string[] = [];
      for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
      if (pieces.length === 0) pieces.push('');
      for (let i = 0; i < pieces.length; i++) {
        if (i > 0 && delay > 0) {
          try { await sleep(delay, ctx.signal); } catch { throw aborted(ctx); }
        } else if (ctx.signal.aborted) throw aborted(ctx);
        const delta: Record<string, unknown> = i === 0 ? { role: 'assistant', content: pieces[i] } : { content: pieces[i] };
        yield { ...base, choices: [{ index: 0, delta, finish_reason: null, logprobs: null }] };
      }
      yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }] };
      yield { ...base, choices: [], usage };
    })();
  },
};
