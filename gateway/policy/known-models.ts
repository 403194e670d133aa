// Well-known models: which provider family serves them, list price and context window. Cost routing
// falls back to these when a group model has no cost_per_1k_*; the language server completes names from it.
// Prices are the providers' public list prices in USD as of 2025 (standard tier, no caching or batch
// discounts); check the provider's pricing page before relying on them for billing.
import type { ProviderType } from './types';

export type ModelFamily = 'openai' | 'anthropic' | 'ollama';
/** Chat models answer /v1/chat/completions; embedding models only /v1/embeddings. */
export type ModelKind = 'chat' | 'embedding';

export interface KnownModel {
  /** Canonical name; dated snapshots and `:tag` variants match it by prefix. */
  name: string;
  family: ModelFamily;
  kind: ModelKind;
  /** USD per 1,000 input (prompt) tokens. */
  inputPer1k: number;
  /** USD per 1,000 output (completion) tokens. */
  outputPer1k: number;
  /** Context window in tokens (for embedding models: per input). */
  contextWindow: number;
  /** Embedding models: length of the vectors they return by default. */
  dimensions?: number;
  description: string;
}

/** USD per 1M tokens as the providers list them, converted to per 1k below. */
const TABLE: Array<[name: string, family: ModelFamily, inPer1M: number, outPer1M: number, context: number, description: string]> = [
  ['gpt-4o', 'openai', 2.5, 10, 128_000, 'OpenAI GPT-4o'],
  ['gpt-4o-mini', 'openai', 0.15, 0.6, 128_000, 'OpenAI GPT-4o mini'],
  ['gpt-4.1', 'openai', 2, 8, 1_047_576, 'OpenAI GPT-4.1'],
  ['gpt-4.1-mini', 'openai', 0.4, 1.6, 1_047_576, 'OpenAI GPT-4.1 mini'],
  ['gpt-4.1-nano', 'openai', 0.1, 0.4, 1_047_576, 'OpenAI GPT-4.1 nano'],
  ['o3', 'openai', 2, 8, 200_000, 'OpenAI o3 reasoning model'],
  ['o3-mini', 'openai', 1.1, 4.4, 200_000, 'OpenAI o3-mini reasoning model'],
  ['o4-mini', 'openai', 1.1, 4.4, 200_000, 'OpenAI o4-mini reasoning model'],
  ['gpt-4-turbo', 'openai', 10, 30, 128_000, 'OpenAI GPT-4 Turbo (legacy)'],
  ['gpt-3.5-turbo', 'openai', 0.5, 1.5, 16_385, 'OpenAI GPT-3.5 Turbo (legacy)'],
  ['claude-opus-4', 'anthropic', 15, 75, 200_000, 'Anthropic Claude Opus 4'],
  ['claude-opus-4-1', 'anthropic', 15, 75, 200_000, 'Anthropic Claude Opus 4.1'],
  ['claude-sonnet-4', 'anthropic', 3, 15, 200_000, 'Anthropic Claude Sonnet 4'],
  ['claude-sonnet-4-5', 'anthropic', 3, 15, 200_000, 'Anthropic Claude Sonnet 4.5'],
  ['claude-haiku-4-5', 'anthropic', 1, 5, 200_000, 'Anthropic Claude Haiku 4.5'],
  ['claude-3-7-sonnet', 'anthropic', 3, 15, 200_000, 'Anthropic Claude 3.7 Sonnet'],
  ['claude-3-5-sonnet', 'anthropic', 3, 15, 200_000, 'Anthropic Claude 3.5 Sonnet'],
  ['claude-3-5-haiku', 'anthropic', 0.8, 4, 200_000, 'Anthropic Claude 3.5 Haiku'],
  ['claude-3-haiku', 'anthropic', 0.25, 1.25, 200_000, 'Anthropic Claude 3 Haiku'],
  // Local models cost nothing per token; windows are the models' trained context.
  ['llama3.1', 'ollama', 0, 0, 128_000, 'Meta Llama 3.1 (local)'],
  ['llama3.2', 'ollama', 0, 0, 128_000, 'Meta Llama 3.2 (local)'],
  ['llama3.3', 'ollama', 0, 0, 128_000, 'Meta Llama 3.3 (local)'],
  ['llama3', 'ollama', 0, 0, 8_192, 'Meta Llama 3 (local)'],
  ['mistral', 'ollama', 0, 0, 32_768, 'Mistral 7B (local)'],
  ['mixtral', 'ollama', 0, 0, 32_768, 'Mixtral 8x7B (local)'],
  ['qwen2.5', 'ollama', 0, 0, 32_768, 'Qwen 2.5 (local)'],
  ['qwen2.5-coder', 'ollama', 0, 0, 32_768, 'Qwen 2.5 Coder (local)'],
  ['gemma2', 'ollama', 0, 0, 8_192, 'Google Gemma 2 (local)'],
  ['phi3', 'ollama', 0, 0, 128_000, 'Microsoft Phi-3 (local)'],
  ['deepseek-r1', 'ollama', 0, 0, 128_000, 'DeepSeek-R1 distilled (local)'],
];

/** Embedding models are priced on input only; the context is the most one input may hold. */
const EMBEDDING_TABLE: Array<[name: string, family: ModelFamily, inPer1M: number, context: number, dimensions: number, description: string]> = [
  ['text-embedding-3-small', 'openai', 0.02, 8_191, 1536, 'OpenAI text-embedding-3-small (embeddings)'],
  ['text-embedding-3-large', 'openai', 0.13, 8_191, 3072, 'OpenAI text-embedding-3-large (embeddings)'],
  ['text-embedding-ada-002', 'openai', 0.1, 8_191, 1536, 'OpenAI text-embedding-ada-002 (embeddings, legacy)'],
  ['nomic-embed-text', 'ollama', 0, 8_192, 768, 'Nomic Embed Text (local embeddings)'],
  ['mxbai-embed-large', 'ollama', 0, 512, 1024, 'mixedbread.ai mxbai-embed-large (local embeddings)'],
  ['all-minilm', 'ollama', 0, 512, 384, 'all-MiniLM sentence transformer (local embeddings)'],
  ['snowflake-arctic-embed', 'ollama', 0, 512, 1024, 'Snowflake Arctic Embed (local embeddings)'],
  ['bge-m3', 'ollama', 0, 8_192, 1024, 'BAAI BGE-M3 (local embeddings)'],
];

export const KNOWN_MODELS: readonly KnownModel[] = [
  ...TABLE.map(([name, family, inPer1M, outPer1M, contextWindow, description]): KnownModel => ({
    name,
    family,
    kind: 'chat',
    inputPer1k: inPer1M / 1000,
    outputPer1k: outPer1M / 1000,
    contextWindow,
    description,
  })),
  ...EMBEDDING_TABLE.map(([name, family, inPer1M, contextWindow, dimensions, description]): KnownModel => ({
    name,
    family,
    kind: 'embedding',
    inputPer1k: inPer1M / 1000,
    outputPer1k: 0,
    contextWindow,
    dimensions,
    description,
  })),
];

const byName = new Map(KNOWN_MODELS.map((m) => [m.name, m]));
/** Longest names first, so `gpt-4o-mini-2024-07-18` finds gpt-4o-mini before gpt-4o. */
const byLength = [...KNOWN_MODELS].sort((a, b) => b.name.length - a.name.length);

/**
 * The entry for a model name: exact match, else the longest known name it starts with followed by
 * `-`, `:` or `@` (dated snapshots like `gpt-4o-2024-08-06`, Ollama tags like `llama3.1:8b`).
 * Case-insensitive; a `provider/` prefix is ignored.
 */
export function knownModel(name: string): KnownModel | undefined {
  const n = name.trim().toLowerCase().replace(/^[a-z0-9-]+\//, '');
  const exact = byName.get(n);
  if (exact) return exact;
  for (const m of byLength) {
    if (n.length > m.name.length && n.startsWith(m.name) && '-:@'.includes(n[m.name.length])) return m;
  }
  return undefined;
}

const FAMILY_OF: Record<ProviderType, ModelFamily | undefined> = {
  openai: 'openai',
  'azure-openai': 'openai',
  anthropic: 'anthropic',
  ollama: 'ollama',
  mock: undefined, // the mock serves any name
};

/** Models a provider type can serve, for completion in the editor. */
export function knownModelsFor(type: ProviderType): KnownModel[] {
  const family = FAMILY_OF[type];
  return family ? KNOWN_MODELS.filter((m) => m.family === family) : [];
}
