import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferProviderType, PROVIDER_TYPES, providerFor } from '../../gateway/providers';

test('inferProviderType recognises each provider from its base_url', () => {
  const cases: Array<[string, string]> = [
    ['https://api.openai.com/v1', 'openai'],
    ['https://my-instance.openai.azure.com/openai/deployments/gpt-4o/', 'azure-openai'],
    ['https://api.anthropic.com/v1', 'anthropic'],
    ['http://localhost:11434/v1', 'ollama'],
    ['http://ollama.internal:8080/v1', 'ollama'],
    ['mock://local', 'mock'],
    ['mock:', 'mock'],
    ['https://openrouter.ai/api/v1', 'openai'],
    ['not a url', 'openai'],
  ];
  for (const [url, type] of cases) assert.equal(inferProviderType(url), type, url);
});

test('providerFor returns the provider of each type, and a clear error for others', () => {
  assert.deepEqual([...PROVIDER_TYPES].sort(), ['anthropic', 'azure-openai', 'mock', 'ollama', 'openai']);
  for (const type of PROVIDER_TYPES) assert.equal(providerFor(type).type, type);
  assert.throws(() => providerFor('gemini' as never), /unknown provider type "gemini": use one of/);
});
