// Prompt and completion token estimates made before a call, for cost routing and estimated cost.
import { join } from 'node:path';
import { embeddingInputs, type ChatMessage, type ChatRequest, type EmbeddingsRequest } from '../providers/provider';

/** Completion tokens assumed when the request sets no max_tokens/max_completion_tokens. */
export const DEFAULT_COMPLETION_TOKENS = 256;

type CountTokens = (text: string) => number;
let openAICounter: CountTokens | null | undefined;

// The o200k tokenizer is ~2 MB of tables: loaded on first use from its own bundle (dist/tokenizer.js),
// or from node_modules when running from source, so `kt policy lint` never pays for it.
function loadOpenAICounter(): CountTokens | null {
  if (openAICounter !== undefined) return openAICounter;
  const load = require;
  for (const candidate of [join(__dirname, 'tokenizer.js'), 'gpt-tokenizer/encoding/o200k_base']) {
    try {
      const mod = load(candidate) as { countTokens?: CountTokens };
      if (typeof mod.countTokens === 'function') return (openAICounter = mod.countTokens);
    } catch {
      // try the next location
    }
  }
  return (openAICounter = null);
}

export function isOpenAIFamily(model: string): boolean {
  return /^(gpt-|o\d|chatgpt|text-embedding|davinci|babbage)/i.test(model);
}

function messageText(message: ChatMessage): string {
  const parts: string[] = [];
  if (typeof message.content === 'string') parts.push(message.content);
  else if (Array.isArray(message.content)) {
    for (const part of message.content) if (typeof part.text === 'string') parts.push(part.text);
  }
  for (const call of message.tool_calls ?? []) parts.push(call.function?.name ?? '', call.function?.arguments ?? '');
  return parts.join('\n');
}

/** ~4 characters per token: the usual rule for English when no tokenizer fits the model. */
function roughTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Prompt tokens of a chat request as `model` would count them (OpenAI families exactly, others ~4 chars/token). */
export function estimatePromptTokens(request: { messages?: ChatMessage[]; tools?: unknown }, model: string): number {
  const counter = isOpenAIFamily(model) ? loadOpenAICounter() : null;
  const count = counter ?? roughTokens;
  let total = 3; // priming of the reply
  for (const message of request.messages ?? []) {
    total += 3 + (message.name ? 1 : 0) + count(messageText(message));
  }
  if (Array.isArray(request.tools) && request.tools.length) total += count(JSON.stringify(request.tools));
  return total;
}

/** Tokens of each embeddings input as `model` would count them; token-id inputs count exactly. */
export function embeddingInputTokens(input: EmbeddingsRequest['input'], model: string): number[] {
  const counter = isOpenAIFamily(model) ? loadOpenAICounter() : null;
  const count = counter ?? roughTokens;
  return embeddingInputs(input).map((x) => (typeof x === 'string' ? count(x) : x.length));
}

export function requestedCompletionTokens(request: ChatRequest): number {
  const limit = request.max_completion_tokens ?? request.max_tokens;
  return typeof limit === 'number' && limit > 0 ? limit : DEFAULT_COMPLETION_TOKENS;
}

export function costUsd(promptTokens: number, completionTokens: number, perKIn: number, perKOut: number): number {
  return (promptTokens / 1000) * perKIn + (completionTokens / 1000) * perKOut;
}
