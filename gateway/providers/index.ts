// Provider registry: adding a provider is one file and one line here.
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

export const PROVIDER_TYPES = Object.keys(providers) as ProviderType[];

export function providerFor(type: ProviderType): Provider {
  const p = providers[type];
  if (!p) throw new Error(`unknown provider type "${type}": use one of ${PROVIDER_TYPES.join(', ')}`);
  return p;
}

/** The provider a base_url implies when `provider.type` is not given. */
export function inferProviderType(baseUrl: string): ProviderType {
  let url: URL;
  try { url = new URL(baseUrl); } catch { return 'openai'; }
  if (url.protocol === 'mock:') return 'mock';
  const host = url.hostname.toLowerCase();
  if (host.endsWith('openai.azure.com') || host.endsWith('.cognitiveservices.azure.com')) return 'azure-openai';
  if (host === 'anthropic.com' || host.endsWith('.anthropic.com')) return 'anthropic';
  if (url.port === '11434' || host.includes('ollama')) return 'ollama';
  return 'openai';
}

export { createDispatcher } from './upstream';
export { UpstreamError } from './provider';
export type { Provider, AttemptContext, ChatRequest, ChatCompletion, ChatCompletionChunk } from './provider';
