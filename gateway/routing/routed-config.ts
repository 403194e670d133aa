// The targets and groups a config version routes over, with the Ollama last resort appended when the
// gateway runs with --ollama-fallback. Pure, so the RoutingTable and `kt route explain` share it.
import type { PolicyConfig, ProviderTarget } from '../policy/types';
import type { RoutedGroup, RoutedModel } from './plan';

export interface OllamaFallback {
  model: string;
  baseUrl?: string;
}

export const OLLAMA_FALLBACK_TIMEOUT_MS = 30000;

export interface RoutedConfig {
  targets: ProviderTarget[];
  groups: RoutedGroup[];
}

export function routedConfig(config: PolicyConfig, ollama?: OllamaFallback): RoutedConfig {
  const targets = [...config.targets];
  let ollamaTarget: ProviderTarget | undefined;
  if (ollama) {
    ollamaTarget = targets.find((t) => t.type === 'ollama');
    if (!ollamaTarget) {
      ollamaTarget = { id: 'local-ollama', type: 'ollama', baseUrl: ollama.baseUrl ?? 'http://localhost:11434/v1' };
      targets.push(ollamaTarget);
    }
  }
  const types = new Map(targets.map((t) => [t.id, t.type]));
  const groups = config.groups.map((g): RoutedGroup => {
    const models: RoutedModel[] = g.models.map((m) => ({ ...m }));
    // A group that already ends in (or has) an Ollama model keeps its own.
    if (ollamaTarget && ollama && !models.some((m) => types.get(m.provider) === 'ollama')) {
      models.push({ provider: ollamaTarget.id, model: ollama.model, timeout_ms: OLLAMA_FALLBACK_TIMEOUT_MS, lastResort: true, tag: 'ollama-fallback' });
    }
    return { ...g, models };
  });
  return { targets, groups };
}
