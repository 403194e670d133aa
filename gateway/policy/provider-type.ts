// How a target's wire format is decided when `provider.type` is absent.
import type { ProviderType } from './types';

export const PROVIDER_TYPES: readonly ProviderType[] = ['openai', 'azure-openai', 'anthropic', 'ollama', 'mock'];

export function inferProviderType(baseUrl: string | undefined): ProviderType {
  if (!baseUrl) return 'openai';
  if (/^mock:/i.test(baseUrl)) return 'mock';
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return 'openai';
  }
  const host = url.hostname.toLowerCase();
  if (host.endsWith('.openai.azure.com') || host.endsWith('.cognitiveservices.azure.com') || host.endsWith('.services.ai.azure.com')) return 'azure-openai';
  if (host === 'anthropic.com' || host.endsWith('.anthropic.com')) return 'anthropic';
  if (url.port === '11434' || host.includes('ollama')) return 'ollama';
  return 'openai';
}

/** Providers whose upstream ignores the key, so a missing secret_key_ref is fine. */
export function needsApiKey(type: ProviderType): boolean {
  return type !== 'mock' && type !== 'ollama';
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
