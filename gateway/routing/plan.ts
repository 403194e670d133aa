// Strategy decisions as pure functions: given a group and a request, the order in which models are tried.
import { knownModel } from '../policy/known-models';
import type { GroupModel, ModelGroup } from '../policy/types';
import type { ChatRequest, EmbeddingsRequest } from '../providers/provider';
import { rendezvousRank } from './affinity';
import type { LatencyBoard } from './latency';
import { costUsd, embeddingInputTokens, estimatePromptTokens, requestedCompletionTokens } from './tokens';

/** A group's model as the gateway runs it; `lastResort` marks the Ollama fallback appended at start. */
export interface RoutedModel extends GroupModel {
  lastResort?: boolean;
}

export type RoutedGroup = Omit<ModelGroup, 'models'> & { models: RoutedModel[] };

export interface ModelFacts {
  inputPer1k?: number;
  outputPer1k?: number;
  contextWindow?: number;
}

export interface SkippedModel { provider: string; model: string; reason: string }

export interface RoutePlan {
  order: RoutedModel[];
  skipped: SkippedModel[];
  /** Set when the request must not be sent at all (e.g. over budget). */
  blocked?: { status: number; code: string; message: string };
  /** Estimate for the first model in `order`, when prices are known. */
  estimatedCostUsd: number | null;
  promptTokens?: number;
}

export interface PlanContext {
  sessionKey?: string;
  latency: LatencyBoard;
  random?: () => number;
  facts?: (model: RoutedModel) => ModelFacts | undefined;
  /** Share of latency-group requests sent to a non-best model to keep estimates fresh. */
  exploration?: number;
}

export const modelKey = (m: Pick<GroupModel, 'provider' | 'model'>): string => `${m.provider}/${m.model}`;

/** Share of latency-group requests that explore a slower model when the context sets none. */
export const DEFAULT_EXPLORATION = 0.05;

/** List price and context window of a well-known model: what cost routing uses when the config sets none. */
export function knownModelFacts(m: Pick<GroupModel, 'model'>): ModelFacts | undefined {
  const known = knownModel(m.model);
  return known ? { inputPer1k: known.inputPer1k, outputPer1k: known.outputPer1k, contextWindow: known.contextWindow } : undefined;
}

/** The tokens a request needs of a model, for cost routing. */
export interface TokenDemand {
  /** Prompt tokens as `model` counts them, and what must fit its context window: the whole prompt, or the longest embeddings input. */
  prompt(model: string): { total: number; longest: number };
  completion: number;
}

export function chatDemand(request: ChatRequest): TokenDemand {
  return {
    prompt(model) {
      const total = estimatePromptTokens(request, model);
      return { total, longest: total };
    },
    completion: requestedCompletionTokens(request),
  };
}

function embeddingDemand(request: EmbeddingsRequest): TokenDemand {
  return {
    prompt(model) {
      const each = embeddingInputTokens(request.input, model);
      let total = 0;
      let longest = 0;
      for (const n of each) {
        total += n;
        if (n > longest) longest = n;
      }
      return { total, longest };
    },
    completion: 0,
  };
}

export function planRoute(group: RoutedGroup, request: ChatRequest, ctx: PlanContext): RoutePlan {
  return planFor(group, request, undefined, ctx);
}

/** planRoute for an embeddings request: the same strategies, costed on input tokens alone. */
export function planEmbeddingRoute(group: RoutedGroup, request: EmbeddingsRequest, ctx: PlanContext): RoutePlan {
  return planFor(group, undefined, request, ctx);
}

/** Exactly one of `chat` and `embeddings` is set; the token demand is built only by cost groups. */
function planFor(group: RoutedGroup, chat: ChatRequest | undefined, embeddings: EmbeddingsRequest | undefined, ctx: PlanContext): RoutePlan {
  // Plain loops, no closures: this runs before every upstream request, usually on a cold CPU cache.
  const regular: RoutedModel[] = [];
  const lastResort: RoutedModel[] = [];
  for (const m of group.models) (m.lastResort ? lastResort : regular).push(m);
  const random = ctx.random ?? Math.random;
  let plan: RoutePlan;
  switch (group.strategy) {
    case 'fallback':
      plan = { order: regular, skipped: [], estimatedCostUsd: null };
      break;
    case 'cost':
      plan = planCost(group, regular, chat ? chatDemand(chat) : embeddingDemand(embeddings!), ctx);
      break;
    case 'latency':
      plan = { order: planLatency(regular, ctx.latency, random, ctx.exploration ?? DEFAULT_EXPLORATION), skipped: [], estimatedCostUsd: null };
      break;
    default:
      plan = { order: planWeighted(group, regular, random, ctx.sessionKey), skipped: [], estimatedCostUsd: null };
  }
  if (!plan.blocked && lastResort.length > 0) plan.order = plan.order.concat(lastResort);
  return plan;
}

function weightOf(m: RoutedModel, count: number): number {
  return m.weight ?? (count === 1 ? 100 : 0);
}

/** Each model's share (0–1) of a weighted group's random draw; the Ollama last resort takes none. */
export function weightShares(models: readonly RoutedModel[]): number[] {
  const regular = models.filter((m) => !m.lastResort);
  let total = 0;
  for (const m of regular) total += weightOf(m, regular.length);
  return models.map((m) => {
    if (m.lastResort) return 0;
    // All weights zero: the draw is skipped and the first model is always picked.
    if (total <= 0) return regular.indexOf(m) === 0 ? 1 : 0;
    return weightOf(m, regular.length) / total;
  });
}

function planWeighted(group: RoutedGroup, models: RoutedModel[], random: () => number, session?: string): RoutedModel[] {
  if (group.session_affinity && session) {
    const ranked = rendezvousRank(session, models, modelKey, (m) => weightOf(m, models.length));
    return ranked;
  }
  const n = models.length;
  if (n <= 1) return models.slice();
  let total = 0;
  for (const m of models) total += weightOf(m, n);
  let pick = 0;
  if (total > 0) {
    let r = random() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= weightOf(models[i], n);
      if (r < 0) {
        pick = i;
        break;
      }
    }
  }
  // Retryable failures move on to the group's other models, heaviest first.
  const rest = models.filter((_, i) => i !== pick).sort((a, b) => weightOf(b, n) - weightOf(a, n));
  return [models[pick], ...rest];
}

function planLatency(models: RoutedModel[], board: LatencyBoard, random: () => number, exploration: number): RoutedModel[] {
  const cold = models.filter((m) => !board.get(modelKey(m)));
  const warm = models.filter((m) => board.get(modelKey(m))).sort((a, b) => board.get(modelKey(a))!.ewmaMs - board.get(modelKey(b))!.ewmaMs);
  // Every model is tried while it has no sample; afterwards a small share explores a slower one.
  if (cold.length === 0 && warm.length > 1 && random() < exploration) {
    const i = 1 + Math.floor(random() * (warm.length - 1));
    return [warm[i], ...warm.filter((_, j) => j !== i)];
  }
  return [...cold, ...warm];
}

/** What a cost group knows about one model for a request, before the budget is applied. */
export interface CostEstimate {
  model: RoutedModel;
  promptTokens: number;
  completionTokens: number;
  inputPer1k?: number;
  outputPer1k?: number;
  contextWindow?: number;
  /** null when the model is out before pricing (context window, no price). */
  costUsd: number | null;
  /** Why the model cannot take the request regardless of budget. */
  excluded?: string;
}

/** Per-model estimates in group order: the numbers planCost decides on, also shown by `kt route explain`. */
export function costEstimates(models: readonly RoutedModel[], demand: TokenDemand, facts?: PlanContext['facts']): CostEstimate[] {
  const completion = demand.completion;
  const out: CostEstimate[] = [];
  for (const m of models) {
    const known = facts?.(m);
    const perIn = m.cost_per_1k_input ?? known?.inputPer1k;
    // Nothing is generated for embeddings, so an output price is not needed.
    const perOut = m.cost_per_1k_output ?? known?.outputPer1k ?? (completion === 0 ? 0 : undefined);
    const { total: prompt, longest } = demand.prompt(m.model);
    const window = m.max_input_tokens ?? known?.contextWindow;
    const estimate: CostEstimate = { model: m, promptTokens: prompt, completionTokens: completion, inputPer1k: perIn, outputPer1k: perOut, contextWindow: window, costUsd: null };
    if (window !== undefined && longest > window) estimate.excluded = `${longest === prompt ? 'prompt' : 'an input'} of ~${longest} tokens exceeds max_input_tokens ${window}`;
    else if (perIn === undefined || perOut === undefined) estimate.excluded = 'no price configured or known';
    else estimate.costUsd = costUsd(prompt, completion, perIn, perOut);
    out.push(estimate);
  }
  return out;
}

export function overBudget(costUsd: number, budget: number | undefined): string {
  return `estimated $${costUsd.toFixed(6)} exceeds budget $${budget}`;
}

function planCost(group: RoutedGroup, models: RoutedModel[], demand: TokenDemand, ctx: PlanContext): RoutePlan {
  const completion = demand.completion;
  const skipped: SkippedModel[] = [];
  const priced: Array<{ m: RoutedModel; cost: number; prompt: number }> = [];
  for (const e of costEstimates(models, demand, ctx.facts)) {
    if (e.excluded !== undefined || e.costUsd === null) {
      skipped.push({ provider: e.model.provider, model: e.model.model, reason: e.excluded ?? 'no price configured or known' });
      continue;
    }
    priced.push({ m: e.model, cost: e.costUsd, prompt: e.promptTokens });
  }
  priced.sort((a, b) => a.cost - b.cost);
  const budget = group.budget_per_request_usd;
  const within = budget === undefined ? priced : priced.filter((p) => p.cost <= budget);
  for (const p of priced) {
    if (!within.includes(p)) skipped.push({ provider: p.m.provider, model: p.m.model, reason: overBudget(p.cost, budget) });
  }
  if (within.length === 0) {
    const cheapest = priced[0];
    const message = cheapest
      ? `Request blocked by cost group "${group.name}": the cheapest model that fits (${modelKey(cheapest.m)}) is estimated at $${cheapest.cost.toFixed(6)} for ~${cheapest.prompt} prompt + ${completion} completion tokens, over the budget of $${budget}. ${completion ? 'Shorten the prompt, lower max_tokens' : 'Send less input'}, or raise budget_per_request_usd.`
      : `Request blocked by cost group "${group.name}": no model can take it (${skipped.map((s) => `${s.provider}/${s.model}: ${s.reason}`).join('; ')}).`;
    return { order: [], skipped, blocked: { status: 400, code: 'budget_exceeded', message }, estimatedCostUsd: cheapest?.cost ?? null, promptTokens: cheapest?.prompt };
  }
  return { order: within.map((p) => p.m), skipped, estimatedCostUsd: within[0].cost, promptTokens: within[0].prompt };
}
