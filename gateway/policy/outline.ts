// The config's parts with their source nodes: what rules, editor features and the gateway all read.
import { isMap, isScalar, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { pairOf, scalarNumber, scalarString, seqItems, valueOf, type ParsedPolicy } from './document';
import { inferProviderType } from './provider-type';
import type { ProviderType, Strategy } from './types';

export interface LocatedTarget {
  index: number;
  node: YAMLMap;
  id?: string;
  idNode?: Scalar;
  providerPair?: Pair<Node, Node | null>;
  providerMap?: YAMLMap;
  type: ProviderType;
  typeNode?: Scalar;
  baseUrl?: string;
  baseUrlNode?: Scalar;
  keyEnv?: string;
  keyEnvNode?: Scalar;
  secretPair?: Pair<Node, Node | null>;
}

export interface LocatedModel {
  index: number;
  node: YAMLMap;
  provider?: string;
  providerNode?: Scalar;
  model?: string;
  modelNode?: Scalar;
  weight?: number;
  weightPair?: Pair<Node, Node | null>;
  timeoutMs?: number;
  tag?: string;
  costIn?: number;
  costOut?: number;
  maxInputTokens?: number;
}

export interface LocatedGroup {
  index: number;
  node: YAMLMap;
  name?: string;
  nameNode?: Scalar;
  strategy: Strategy;
  strategyNode?: Scalar;
  sessionAffinity: boolean;
  budget?: number;
  modelsPair?: Pair<Node, Node | null>;
  models: LocatedModel[];
}

export interface PolicyOutline {
  root?: YAMLMap;
  targets: LocatedTarget[];
  groups: LocatedGroup[];
  chain: Array<{ name: string; node: Scalar }>;
  configuredPolicies: Map<string, Pair<Node, Node | null>>;
}

const STRATEGIES: readonly string[] = ['weighted', 'fallback', 'cost', 'latency'];

function asScalar(node: unknown): Scalar | undefined {
  return isScalar(node) ? node : undefined;
}

export function outlinePolicy(parsed: ParsedPolicy): PolicyOutline {
  const root = isMap(parsed.doc.contents) ? parsed.doc.contents : undefined;
  const outline: PolicyOutline = { root, targets: [], groups: [], chain: [], configuredPolicies: new Map() };
  if (!root) return outline;

  seqItems(valueOf(valueOf(root, 'providers'), 'targets')).forEach((node, index) => {
    if (!isMap(node)) return;
    const providerPair = pairOf(node, 'provider');
    const providerMap = isMap(providerPair?.value) ? providerPair.value : undefined;
    const idNode = asScalar(valueOf(node, 'id'));
    const typeNode = asScalar(valueOf(providerMap, 'type'));
    const baseUrlNode = asScalar(valueOf(providerMap, 'base_url'));
    const secretPair = pairOf(providerMap, 'secret_key_ref');
    const keyEnvNode = asScalar(valueOf(secretPair?.value, 'env'));
    const baseUrl = scalarString(baseUrlNode);
    const explicitType = scalarString(typeNode);
    outline.targets.push({
      index, node, idNode, providerPair, providerMap, typeNode, baseUrlNode, keyEnvNode, secretPair,
      id: scalarString(idNode),
      baseUrl,
      keyEnv: scalarString(keyEnvNode),
      type: explicitType && ['openai', 'azure-openai', 'anthropic', 'ollama', 'mock'].includes(explicitType)
        ? (explicitType as ProviderType)
        : inferProviderType(baseUrl),
    });
  });

  seqItems(valueOf(root, 'model_groups')).forEach((node, index) => {
    if (!isMap(node)) return;
    const nameNode = asScalar(valueOf(node, 'name'));
    const strategyNode = asScalar(valueOf(node, 'strategy'));
    const strategy = scalarString(strategyNode);
    const modelsPair = pairOf(node, 'models');
    const models: LocatedModel[] = [];
    seqItems(modelsPair?.value).forEach((m, mi) => {
      if (!isMap(m)) return;
      const providerNode = asScalar(valueOf(m, 'provider'));
      const modelNode = asScalar(valueOf(m, 'model'));
      const weightPair = pairOf(m, 'weight');
      models.push({
        index: mi, node: m, providerNode, modelNode, weightPair,
        provider: scalarString(providerNode),
        model: scalarString(modelNode),
        weight: scalarNumber(weightPair?.value),
        timeoutMs: scalarNumber(valueOf(m, 'timeout_ms')),
        tag: scalarString(valueOf(m, 'tag')),
        costIn: scalarNumber(valueOf(m, 'cost_per_1k_input')),
        costOut: scalarNumber(valueOf(m, 'cost_per_1k_output')),
        maxInputTokens: scalarNumber(valueOf(m, 'max_input_tokens')),
      });
    });
    const affinity = asScalar(valueOf(node, 'session_affinity'));
    outline.groups.push({
      index, node, nameNode, strategyNode, modelsPair, models,
      name: scalarString(nameNode),
      strategy: strategy && STRATEGIES.includes(strategy) ? (strategy as Strategy) : 'weighted',
      sessionAffinity: affinity?.value === true,
      budget: scalarNumber(valueOf(node, 'budget_per_request_usd')),
    });
  });

  for (const item of seqItems(valueOf(valueOf(root, 'policies'), 'chain'))) {
    const name = scalarString(item);
    if (name !== undefined && isScalar(item)) outline.chain.push({ name, node: item });
  }
  const policy = valueOf(root, 'policy');
  if (isMap(policy)) {
    for (const item of policy.items) {
      if (isScalar(item.key)) outline.configuredPolicies.set(String(item.key.value), item as Pair<Node, Node | null>);
    }
  }
  return outline;
}
