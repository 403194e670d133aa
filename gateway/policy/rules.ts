// Semantic rules KT101–KT114 and KT116: what the schema cannot say about a routing config.
import { isMap, isSeq, type Node } from 'yaml';
import { nodeRange, pairOf, valueOf, type ParsedPolicy } from './document';
import { appendToMap, proportionalWeights, removePair, removeSeqItem, replaceNode } from './edits';
import type { LocatedGroup, LocatedModel, LocatedTarget, PolicyOutline } from './outline';
import { knownModel } from './known-models';
import { isLoopbackHost, needsApiKey } from './provider-type';
import { closest, quoteList } from './text';
import type { DiagnosticFix, PolicyDiagnostic, Range } from './types';

export interface RuleOptions {
  /** Report KT113 for `secret_key_ref.env` variables that are not set. */
  checkEnv?: boolean;
  env?: Record<string, string | undefined>;
}

/** Policies the gateway implements, by name as used in `policies.chain`. */
export const KNOWN_POLICIES = ['audit-logger'] as const;

export const DEFAULT_FALLBACK_TIMEOUT_MS = 10000;

interface RuleContext {
  parsed: ParsedPolicy;
  outline: PolicyOutline;
  options: RuleOptions;
  out: PolicyDiagnostic[];
}

type Rule = (ctx: RuleContext) => void;

function report(ctx: RuleContext, d: Omit<PolicyDiagnostic, 'severity'> & { severity?: PolicyDiagnostic['severity'] }): void {
  ctx.out.push({ severity: 'error', ...d });
}

function modelLabel(m: LocatedModel): string {
  return `${m.provider ?? '?'}/${m.model ?? '?'}`;
}

function modelRange(ctx: RuleContext, m: LocatedModel): Range {
  return nodeRange(ctx.parsed, m.modelNode ?? m.providerNode ?? (m.node.items[0]?.key as Node | undefined));
}

function hasKey(m: LocatedModel, key: string): boolean {
  return pairOf(m.node, key) !== undefined;
}

function groupRange(ctx: RuleContext, g: LocatedGroup): Range {
  return nodeRange(ctx.parsed, g.nameNode ?? (g.node.items[0]?.key as Node | undefined));
}

function groupLabel(g: LocatedGroup): string {
  return g.name ? `"${g.name}"` : `#${g.index + 1}`;
}

const unknownProvider: Rule = (ctx) => {
  const ids = ctx.outline.targets.flatMap((t) => (t.id ? [t.id] : []));
  const known = new Set(ids);
  for (const g of ctx.outline.groups) {
    for (const m of g.models) {
      if (m.provider === undefined || !m.providerNode || known.has(m.provider)) continue;
      const suggestion = closest(m.provider, ids);
      const hint = suggestion ? `Did you mean "${suggestion}"?` : ids.length ? `Known provider ids: ${quoteList(ids)}.` : 'Define it under providers.targets.';
      report(ctx, {
        code: 'KT101',
        message: `Unknown provider in model group ${groupLabel(g)}: "${m.provider}" is not an id under providers.targets. ${hint}`,
        range: nodeRange(ctx.parsed, m.providerNode),
        fixes: suggestion ? [{ title: `Change to "${suggestion}"`, edits: [replaceNode(ctx.parsed, m.providerNode, suggestion)] }] : undefined,
      });
    }
  }
};

const weightsSum: Rule = (ctx) => {
  for (const g of ctx.outline.groups) {
    if (g.strategy !== 'weighted' || g.models.length === 0) continue;
    const weighted = g.models.filter((m) => m.weight !== undefined);
    // Absent key only: a weight that is present but not a number is KT002's to report.
    const missing = g.models.filter((m) => !m.weightPair);
    if (missing.length > 0 && g.models.length > 1) {
      const used = weighted.reduce((a, m) => a + (m.weight ?? 0), 0);
      // Split what is left so that applying every KT110 fix of the group sums to exactly 100.
      const left = Math.max(0, Math.round(100 - used));
      const shares = missing.map((_, i) => Math.floor(left / missing.length) + (i < left % missing.length ? 1 : 0));
      for (const [i, m] of missing.entries()) {
        const share = shares[i];
        const edit = appendToMap(ctx.parsed, m.node, [`weight: ${share}`]);
        report(ctx, {
          code: 'KT110',
          message: `Model ${modelLabel(m)} in weighted group ${groupLabel(g)} has no weight. Add \`weight:\` (percent of traffic; the group's weights sum to 100).`,
          range: modelRange(ctx, m),
          fixes: edit ? [{ title: `Add weight: ${share}`, edits: [edit] }] : undefined,
        });
      }
      continue;
    }
    if (g.models.length === 1 && !g.models[0].weightPair) continue; // a single model takes all traffic
    if (weighted.length < g.models.length) continue; // a weight KT002 rejects: no meaningful sum
    const sum = weighted.reduce((a, m) => a + (m.weight ?? 0), 0);
    if (Math.abs(sum - 100) < 1e-9) continue;
    const fixed = proportionalWeights(weighted.map((m) => m.weight ?? 0));
    const edits = weighted.flatMap((m, i) => (m.weightPair?.value ? [replaceNode(ctx.parsed, m.weightPair.value, String(fixed[i]))] : []));
    report(ctx, {
      code: 'KT102',
      message: `Weights must sum to 100 in weighted group ${groupLabel(g)}: they sum to ${+sum.toFixed(6)}. Adjust the weights (e.g. ${fixed.join(' / ')}).`,
      range: nodeRange(ctx.parsed, g.modelsPair?.key as Node | undefined ?? g.nameNode),
      related: weighted.flatMap((m) => (m.weightPair?.value ? [{ range: nodeRange(ctx.parsed, m.weightPair.value), message: `weight ${m.weight} of ${modelLabel(m)}` }] : [])),
      fixes: edits.length ? [{ title: `Scale weights to ${fixed.join(' / ')}`, edits }] : undefined,
    });
  }
};

function duplicates<T>(items: T[], name: (item: T) => string | undefined): Array<{ first: T; dup: T; index: number }> {
  const firstByName = new Map<string, T>();
  const found: Array<{ first: T; dup: T; index: number }> = [];
  items.forEach((item, index) => {
    const n = name(item);
    if (n === undefined) return;
    const first = firstByName.get(n);
    if (first === undefined) firstByName.set(n, item);
    else found.push({ first, dup: item, index });
  });
  return found;
}

const duplicateGroups: Rule = (ctx) => {
  const seq = valueOf(ctx.outline.root, 'model_groups');
  for (const { first, dup } of duplicates(ctx.outline.groups, (g) => g.name)) {
    const removal = isSeq(seq) ? removeSeqItem(ctx.parsed, seq, dup.index) : undefined;
    report(ctx, {
      code: 'KT103',
      message: `Duplicate model group name "${dup.name}": group #${first.index + 1} already uses it. Rename one of them.`,
      range: groupRange(ctx, dup),
      related: [{ range: groupRange(ctx, first), message: `first group named "${dup.name}"` }],
      fixes: removal ? [{ title: `Remove this duplicate group "${dup.name}"`, edits: [removal] }] : undefined,
    });
  }
};

export function envNameFor(id: string): string {
  const base = id.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return `${/^[0-9]/.test(base) ? '_' : ''}${base || 'PROVIDER'}_API_KEY`;
}

const missingSecret: Rule = (ctx) => {
  for (const t of ctx.outline.targets) {
    if (!t.providerMap || t.secretPair || !needsApiKey(t.type)) continue;
    const env = envNameFor(t.id ?? 'provider');
    const edit = appendToMap(ctx.parsed, t.providerMap, ['secret_key_ref:', `  env: ${env}`]);
    report(ctx, {
      code: 'KT104',
      message: `Missing secret_key_ref on provider target "${t.id ?? `#${t.index + 1}`}": the gateway cannot authenticate to ${t.type}. Add \`secret_key_ref: { env: ${env} }\` naming the variable that holds the key.`,
      range: nodeRange(ctx.parsed, t.providerPair?.key as Node | undefined),
      fixes: edit ? [{ title: `Add secret_key_ref (env: ${env})`, edits: [edit] }] : undefined,
    });
  }
};

const duplicateTargets: Rule = (ctx) => {
  for (const { first, dup } of duplicates(ctx.outline.targets, (t) => t.id)) {
    report(ctx, {
      code: 'KT105',
      message: `Duplicate provider id "${dup.id}": target #${first.index + 1} already uses it. Give each target a unique id.`,
      range: nodeRange(ctx.parsed, dup.idNode),
      related: [{ range: nodeRange(ctx.parsed, first.idNode), message: `first target with id "${dup.id}"` }],
    });
  }
};

const fallbackTimeouts: Rule = (ctx) => {
  for (const g of ctx.outline.groups) {
    if (g.strategy !== 'fallback') continue;
    for (const m of g.models) {
      if (hasKey(m, 'timeout_ms')) continue; // present but invalid is KT002's to report
      const edit = appendToMap(ctx.parsed, m.node, [`timeout_ms: ${DEFAULT_FALLBACK_TIMEOUT_MS}`]);
      report(ctx, {
        code: 'KT106',
        severity: 'warning',
        message: `Fallback model ${modelLabel(m)} in group ${groupLabel(g)} has no timeout_ms: a slow provider would stall the whole chain. Set \`timeout_ms\` on every fallback model.`,
        range: modelRange(ctx, m),
        fixes: edit ? [{ title: `Add timeout_ms: ${DEFAULT_FALLBACK_TIMEOUT_MS}`, edits: [edit] }] : undefined,
      });
    }
  }
};

const costGroups: Rule = (ctx) => {
  for (const g of ctx.outline.groups) {
    if (g.strategy !== 'cost') continue;
    if (g.budget === undefined && !g.node.items.some((p: any) => p.key?.value === 'budget_per_request_usd')) {
      const edit = appendToMap(ctx.parsed, g.node, ['budget_per_request_usd: 0.01']);
      report(ctx, {
        code: 'KT107',
        message: `Cost group ${groupLabel(g)} has no budget_per_request_usd. Add the most one request may cost in USD (e.g. \`budget_per_request_usd: 0.01\`).`,
        range: groupRange(ctx, g),
        fixes: edit ? [{ title: 'Add budget_per_request_usd: 0.01', edits: [edit] }] : undefined,
      });
    }
    for (const m of g.models) {
      // A well-known model's list prices make a ready fix; the config still states them explicitly.
      const known = m.model ? knownModel(m.model) : undefined;
      // Embedding models generate nothing, so they need no output price.
      const keys = known?.kind === 'embedding' ? ['cost_per_1k_input'] : ['cost_per_1k_input', 'cost_per_1k_output'];
      const missing = keys.filter((key) => !hasKey(m, key));
      if (missing.length === 0) continue;
      const prices: Record<string, number | undefined> = { cost_per_1k_input: known?.inputPer1k, cost_per_1k_output: known?.outputPer1k };
      const edit = known ? appendToMap(ctx.parsed, m.node, missing.map((key) => `${key}: ${+Number(prices[key]).toFixed(8)}`)) : undefined;
      report(ctx, {
        code: 'KT107',
        message: `Model ${modelLabel(m)} in cost group ${groupLabel(g)} needs ${missing.join(' and ')} (USD per 1,000 tokens) so the gateway can compare costs.` +
          (known ? ` List prices of ${known.name}: ${known.inputPer1k} in, ${known.outputPer1k} out.` : ''),
        range: modelRange(ctx, m),
        fixes: edit ? [{ title: `Add ${known!.name} list prices`, edits: [edit] }] : undefined,
      });
    }
  }
};

const policyChain: Rule = (ctx) => {
  for (const { name, node } of ctx.outline.chain) {
    if (typeof node.value !== 'string') continue; // KT002 already says a chain entry must be text
    const known = (KNOWN_POLICIES as readonly string[]).includes(name);
    if (known && ctx.outline.configuredPolicies.has(name)) continue;
    let message: string;
    let fixes: DiagnosticFix[] | undefined;
    if (!known) {
      const suggestion = closest(name, KNOWN_POLICIES);
      message = `Unknown policy "${name}" in policies.chain. Known policies: ${quoteList(KNOWN_POLICIES)}.` + (suggestion ? ` Did you mean "${suggestion}"?` : '');
      fixes = suggestion ? [{ title: `Change to "${suggestion}"`, edits: [replaceNode(ctx.parsed, node, suggestion)] }] : undefined;
    } else {
      message = `Policy "${name}" is in policies.chain but not configured: add \`policy:\` → \`${name}:\` with its settings.`;
    }
    report(ctx, { code: 'KT108', message, range: nodeRange(ctx.parsed, node), fixes });
  }
};

const ignoredWeights: Rule = (ctx) => {
  for (const g of ctx.outline.groups) {
    if (g.strategy !== 'fallback' && g.strategy !== 'cost') continue;
    for (const m of g.models) {
      if (!m.weightPair) continue;
      const removal = removePair(ctx.parsed, m.weightPair);
      report(ctx, {
        code: 'KT109',
        severity: 'warning',
        message: `weight is ignored in ${g.strategy} group ${groupLabel(g)}: ${g.strategy === 'fallback' ? 'models are tried in order' : 'the cheapest model that fits is chosen'}. Remove it, or use strategy: weighted.`,
        range: nodeRange(ctx.parsed, m.weightPair.key as Node),
        fixes: removal ? [{ title: 'Remove weight', edits: [removal] }] : undefined,
      });
    }
  }
};

const baseUrls: Rule = (ctx) => {
  for (const t of ctx.outline.targets) {
    if (!t.providerMap) continue;
    if (t.baseUrl === undefined) {
      if (t.type === 'mock' || t.baseUrlNode) continue;
      const edit = appendToMap(ctx.parsed, t.providerMap, ['base_url: https://']);
      report(ctx, {
        code: 'KT002',
        message: `Missing required key "base_url" in provider target "${t.id ?? `#${t.index + 1}`}". Add the provider's API URL (e.g. \`base_url: https://api.openai.com/v1\`).`,
        range: nodeRange(ctx.parsed, t.providerPair?.key as Node | undefined),
        fixes: edit ? [{ title: 'Add base_url', edits: [edit] }] : undefined,
      });
      continue;
    }
    checkBaseUrl(ctx, t);
  }
};

function checkBaseUrl(ctx: RuleContext, t: LocatedTarget): void {
  const raw = t.baseUrl ?? '';
  const node = t.baseUrlNode;
  if (node && typeof node.value !== 'string') return; // KT002 already says base_url must be text
  if (t.type === 'mock' && /^mock:/i.test(raw)) return;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    report(ctx, {
      code: 'KT111',
      message: `base_url "${raw}" of target "${t.id ?? `#${t.index + 1}`}" is not an absolute http(s) URL. Use a full URL such as https://api.openai.com/v1${t.type === 'mock' ? ' (or mock://NAME for a mock target)' : ''}.`,
      range: nodeRange(ctx.parsed, node),
    });
    return;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    const secure = raw.replace(/^http:/i, 'https:');
    report(ctx, {
      code: 'KT114',
      severity: 'warning',
      message: `base_url of target "${t.id ?? `#${t.index + 1}`}" uses plain http:// to ${url.hostname}: the API key and prompts would cross the network unencrypted. Use https://.`,
      range: nodeRange(ctx.parsed, node),
      fixes: node ? [{ title: 'Use https://', edits: [replaceNode(ctx.parsed, node, secure)] }] : undefined,
    });
  }
}

const emptyGroups: Rule = (ctx) => {
  for (const g of ctx.outline.groups) {
    if (!g.modelsPair || !isSeq(g.modelsPair.value) || g.modelsPair.value.items.length > 0) continue;
    report(ctx, {
      code: 'KT112',
      message: `Model group ${groupLabel(g)} has no models. Add at least one \`- provider: … model: …\` entry, or remove the group.`,
      range: nodeRange(ctx.parsed, g.modelsPair.key as Node),
    });
  }
};

const unsetEnv: Rule = (ctx) => {
  if (!ctx.options.checkEnv) return;
  const env = ctx.options.env ?? process.env;
  for (const t of ctx.outline.targets) {
    if (!t.keyEnv || !t.keyEnvNode || env[t.keyEnv] !== undefined) continue;
    report(ctx, {
      code: 'KT113',
      severity: 'warning',
      message: `Environment variable ${t.keyEnv} (key of target "${t.id ?? `#${t.index + 1}`}") is not set. Export it, or put \`${t.keyEnv}=…\` in a .env file beside the config.`,
      range: nodeRange(ctx.parsed, t.keyEnvNode),
    });
  }
};

const mixedKinds: Rule = (ctx) => {
  for (const g of ctx.outline.groups) {
    const chat: LocatedModel[] = [];
    const embedding: LocatedModel[] = [];
    for (const m of g.models) {
      const kind = m.model ? knownModel(m.model)?.kind : undefined;
      if (kind === 'chat') chat.push(m);
      else if (kind === 'embedding') embedding.push(m);
    }
    if (chat.length === 0 || embedding.length === 0) continue;
    const names = (ms: LocatedModel[]) => quoteList(ms.map((m) => m.model ?? '?'));
    report(ctx, {
      code: 'KT116',
      severity: 'warning',
      message: `Model group ${groupLabel(g)} mixes chat models (${names(chat)}) and embedding models (${names(embedding)}): a chat request routed to an embedding model fails, and so does an embeddings request routed to a chat model. Move the embedding models to a group of their own and send /v1/embeddings requests to that group.`,
      range: groupRange(ctx, g),
      related: [...chat, ...embedding].map((m) => ({ range: modelRange(ctx, m), message: `${modelLabel(m)} is a known ${chat.includes(m) ? 'chat' : 'embedding'} model` })),
    });
  }
};

const RULES: Rule[] = [
  unknownProvider, weightsSum, duplicateGroups, missingSecret, duplicateTargets, fallbackTimeouts,
  costGroups, policyChain, ignoredWeights, baseUrls, emptyGroups, unsetEnv, mixedKinds,
];

export function checkRules(parsed: ParsedPolicy, outline: PolicyOutline, options: RuleOptions): PolicyDiagnostic[] {
  const ctx: RuleContext = { parsed, outline, options, out: [] };
  if (!outline.root || !isMap(outline.root)) return ctx.out;
  for (const rule of RULES) rule(ctx);
  return ctx.out;
}
