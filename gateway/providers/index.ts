// Provider registry: adding a provider is one file and one line here.
import { PROVIDER_TYPES } from '../policy/provider-type';
import type { ProviderType } from '../policy/types';
import { anthropic } from './anthropic';
import { azureOpenAI } from './azure-openai';
import { mock } from './mock';
import { ollama } from './ollama';
import { openai } from './openai';
import type { Provider } from './provider';

const providers: Record<ProviderType, Provider> = {
  openai,
  'azure-openai': azureOpenAI,
  anthropic,
  ollama,
  mock,
};

export function providerFor(type: ProviderType): Provider {
  const p = providers[type];
  if (!p) throw new Error(`unknown provider type "${type}": use one of ${PROVIDER_TYPES.join(', ')}`);
  return p;
}

// Type inference belongs to the policy model (the linter and the language server use it too).
export { inferProviderType, PROVIDER_TYPES } from '../policy/provider-type';

export { createDispatcher } from './upstream';
export { UpstreamError } from './provider';
export type { Provider, AttemptContext, ChatRequest, ChatCompletion, ChatCompletionChunk } from './provider';
