// A loaded config as the gateway serves it: targets with their pools and keys, groups, and how a
// requested model name resolves. Built once per config version; requests read it without locking.
import type { Dispatcher } from 'undici';
import type { PolicyConfig, ProviderTarget } from '../policy/types';
import { createDispatcher } from '../providers/upstream';
import { needsApiKey } from '../policy/provider-type';
import type { RoutedGroup, RoutedModel } from '../routing/plan';
import { routedConfig, type OllamaFallback } from '../routing/routed-config';

export { OLLAMA_FALLBACK_TIMEOUT_MS, type OllamaFallback } from '../routing/routed-config';

export interface RoutedTarget extends ProviderTarget {
  dispatcher: Dispatcher;
}

export type Resolution =
  | { kind: 'group'; group: RoutedGroup }
  | { kind: 'direct'; target: RoutedTarget; model: RoutedModel }
  | { kind: 'not_found'; message: string }
  | { kind: 'ambiguous'; message: string };

/** Pools outlive config versions: a reload that keeps a target's origin keeps its warm connections. */
export class DispatcherCache {
  private readonly pools = new Map<string, Dispatcher>();

  get(target: ProviderTarget): Dispatcher {
    const origin = /^mock:/i.test(target.baseUrl) || target.type === 'mock' ? 'mock:' : new URL(target.baseUrl).origin;
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = createDispatcher(target.type === 'mock' ? 'mock://local' : target.baseUrl);
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
    this.pools.clear();
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    this.pools.clear();
  }
}

export class RoutingTable {
  readonly targets = new Map<string, RoutedTarget>();
  readonly groups = new Map<string, RoutedGroup>();
  /** Physical model name → the (target, model) pairs serving it, from every group. */
  private readonly physical = new Map<string, Array<{ target: RoutedTarget; model: RoutedModel }>>();

  constructor(readonly config: PolicyConfig, pools: DispatcherCache, private readonly env: Record<string, string | undefined>, ollama?: OllamaFallback) {
    const routed = routedConfig(config, ollama);
    for (const t of routed.targets) this.targets.set(t.id, { ...t, dispatcher: pools.get(t) });
    for (const g of routed.groups) {
      this.groups.set(g.name, g);
      for (const m of g.models) {
        const target = this.targets.get(m.provider);
        if (!target || m.lastResort) continue;
        const list = this.physical.get(m.model) ?? [];
        if (!list.some((e) => e.target.id === target.id)) list.push({ target, model: m });
        this.physical.set(m.model, list);
      }
    }
  }

  /** A group name, `provider-id/model`, or a physical model name unique across targets. */
  resolve(requested: string): Resolution {
    const group = this.groups.get(requested);
    if (group) return { kind: 'group', group };
    const slash = requested.indexOf('/');
    if (slash > 0) {
      const target = this.targets.get(requested.slice(0, slash));
      const model = requested.slice(slash + 1);
      if (target && model) return { kind: 'direct', target, model: { provider: target.id, model } };
    }
    const serving = this.physical.get(requested);
    if (serving?.length === 1) return { kind: 'direct', target: serving[0].target, model: { ...serving[0].model, weight: undefined } };
    if (serving && serving.length > 1) {
      return {
        kind: 'ambiguous',
        message: `The model "${requested}" is served by several providers (${serving.map((s) => s.target.id).join(', ')}). Request "<provider-id>/${requested}" or a model group.`,
      };
    }
    const names = [...this.groups.keys()];
    return {
      kind: 'not_found',
      message: `The model "${requested}" does not exist on this gateway. Request one of the model groups (${names.join(', ') || 'none configured'}), a "<provider-id>/<model>" pair, or a model listed by GET /v1/models.`,
    };
  }

  /** The target's key, from the environment or the .env beside the config; placeholder for key-less upstreams. */
  apiKey(target: ProviderTarget): string | undefined {
    const value = target.keyEnv ? this.env[target.keyEnv] : undefined;
    if (value) return value;
    return needsApiKey(target.type) ? undefined : 'ollama';
  }

  /** Every model a client may request, for GET /v1/models. */
  listModels(): Array<{ id: string; owned_by: string }> {
    const out = [...this.groups.keys()].map((id) => ({ id, owned_by: 'kt-gateway' }));
    const seen = new Set<string>();
    for (const g of this.groups.values()) {
      for (const m of g.models) {
        const id = `${m.provider}/${m.model}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ id, owned_by: m.provider });
      }
    }
    return out;
  }
}
