// `kt route explain` and the editor's group hover: what the gateway would do with a request, read off the
// same planner the gateway runs (planRoute and its helpers), without sending anything.
import { needsApiKey } from '../policy/provider-type';
import type { PolicyConfig, Strategy } from '../policy/types';
import type { ChatRequest } from '../providers/provider';
import { sessionKey } from './affinity';
import { LatencyBoard } from './latency';
import {
  DEFAULT_EXPLORATION, chatDemand, costEstimates, knownModelFacts, modelKey, overBudget, planRoute, weightShares,
  type PlanContext, type RoutePlan, type RoutedGroup, type RoutedModel,
} from './plan';
import { routedConfig, type OllamaFallback } from './routed-config';
import { requestedCompletionTokens } from './tokens';

export interface ExplainOptions {
  /** The requested `model`: a model group name. */
  model: string;
  /** The request to explain; a one-message default when absent. */
  request?: ChatRequest;
  /** The `x-session-id` header the request would carry. */
  sessionId?: string;
  /** Where keys are looked up (process env plus the config's .env); only set-ness is reported. */
  env: Readonly<Record<string, string | undefined>>;
  /** Moving averages for latency groups, and where they came from (e.g. "42 events in .kt"). */
  latency?: { board: LatencyBoard; source: string };
  /** The gateway's --ollama-fallback: an Ollama model appended as every group's last resort. */
  ollamaFallback?: OllamaFallback;
  /** A seeded draw: with it, random choices are made as the gateway would make them with that draw. */
  random?: () => number;
  facts?: PlanContext['facts'];
}

export interface ExplainedModel {
  id: string;
  provider: string;
  model: string;
  tag: string | null;
  timeout_ms: number | null;
  /** Appended by --ollama-fallback: tried after every other model, whatever the strategy. */
  last_resort: boolean;
  weight: number | null;
  /** Weighted groups: percent of the draw. */
  share_pct: number | null;
  /** Cost groups: the estimate for this request. */
  estimate: {
    prompt_tokens: number;
    completion_tokens: number;
    input_per_1k_usd: number | null;
    output_per_1k_usd: number | null;
    context_window: number | null;
    cost_usd: number | null;
  } | null;
  /** Latency groups: the moving average the planner sorts by; null when cold (no sample yet). */
  latency: { ewma_ms: number; samples: number } | null;
  /** Why the planner passes over this model for this request. */
  skipped: string | null;
  /** The env var holding the target's key, and whether it is set (never its value). */
  key: { env: string | null; set: boolean } | null;
}

export interface RouteExplanation {
  model: string;
  group: string;
  strategy: Strategy;
  /** The strategy in words. */
  summary: string;
  request: { default: boolean; messages: number; completion_tokens: number; max_tokens_set: boolean; user: string | null };
  session: { affinity: boolean; key: string | null; from: 'x-session-id' | 'user' | 'first user message' | null };
  models: ExplainedModel[];
  /** The order models are tried in; null when a random draw decides and no seed was given. */
  order: string[] | null;
  /** The model that serves the request unless it fails; null as for `order`, or when blocked. */
  pick: string | null;
  pick_reason: string;
  /** What makes the gateway leave a model for the next one. */
  moves_on: string;
  blocked: { code: string; message: string } | null;
  /** Keys the route needs that are not set: those attempts fail at once and routing moves on. */
  missing_keys: Array<{ target: string; env: string | null; models: string[] }>;
  notes: string[];
}

export interface ExplainError {
  error: 'not_a_group';
  message: string;
}

/** Mirrors UpstreamError.retryable and runAttempts: the failures that move on to the next model. */
export const MOVES_ON =
  'A retryable failure moves on to the next model: a timeout (timeout_ms bounds connect plus time to first byte), a connection error, HTTP 408, 409, 429, 5xx or 529. Other 4xx answers are returned as they are. A stream moves on only until its first byte reached the client.';

export const DEFAULT_REQUEST_TEXT = 'Hello';

export function defaultRequest(model: string): ChatRequest {
  return { model, messages: [{ role: 'user', content: DEFAULT_REQUEST_TEXT }] };
}

function summaryOf(group: RoutedGroup): string {
  switch (group.strategy) {
    case 'fallback':
      return 'Fallback: models are tried in the order listed; the first one that answers serves the request.';
    case 'cost':
      return `Cost: the model with the lowest estimated cost for this request that fits its context window and the budget of $${group.budget_per_request_usd} per request; the others follow cheapest first.`;
    case 'latency':
      return `Latency: the model with the lowest moving-average time to first byte; models with no sample yet go first. Once every model has one, ${DEFAULT_EXPLORATION * 100}% of requests go to a slower one to keep the averages fresh.`;
    default:
      return group.session_affinity
        ? 'Weighted with session affinity: each session (x-session-id header, else the request\'s user, else its first user message) always lands on the same model; sessions spread in proportion to the weights (weighted rendezvous hashing).'
        : 'Weighted: each request goes to one model drawn at random in proportion to its weight; after a retryable failure the others follow, heaviest first.';
  }
}

function sessionFrom(request: ChatRequest, header: string | undefined): RouteExplanation['session']['from'] {
  if (header && header.trim()) return 'x-session-id';
  if (typeof request.user === 'string' && request.user) return 'user';
  return request.messages?.some((m) => m.role === 'user') ? 'first user message' : null;
}

/** Whether planRoute would consume its random draw for this group and board. */
function drawDecides(group: RoutedGroup, regular: RoutedModel[], session: string | undefined): boolean {
  if (group.strategy === 'weighted') return !(group.session_affinity && session) && regular.length > 1 && weightShares(regular).filter((s) => s > 0).length > 1;
  if (group.strategy === 'latency') return regular.length > 1;
  return false;
}

export function explainRoute(config: PolicyConfig, options: ExplainOptions): RouteExplanation | ExplainError {
  const routed = routedConfig(config, options.ollamaFallback);
  const group = routed.groups.find((g) => g.name === options.model);
  if (!group) {
    const names = config.groups.map((g) => g.name);
    return {
      error: 'not_a_group',
      message: `"${options.model}" is not a model group of this config${names.length ? ` (groups: ${names.join(', ')})` : ' (it has none)'}. A "<provider-id>/<model>" or physical model name is sent directly to its target, without routing.`,
    };
  }
  const isDefault = options.request === undefined;
  const request = options.request ?? defaultRequest(options.model);
  const facts = options.facts ?? knownModelFacts;
  const board = options.latency?.board ?? new LatencyBoard();
  // As the chat handler derives it: affinity groups key by header, user or first message.
  const session = group.session_affinity ? sessionKey(request, options.sessionId) : options.sessionId?.trim() || undefined;
  const regular = group.models.filter((m) => !m.lastResort);
  const draws = drawDecides(group, regular, session);
  const random = draws ? options.random : undefined;
  const undecided = draws && random === undefined && group.strategy === 'weighted';
  const plan = planRoute(group, request, { sessionKey: session, latency: board, facts, random: random ?? (() => 0.5), exploration: random ? undefined : 0 });
  // A latency group's preference: the order of the requests that do not explore.
  const preferred = group.strategy === 'latency' && random ? planRoute(group, request, { latency: board, exploration: 0 }).order[0] : plan.order[0];

  const shares = group.strategy === 'weighted' ? weightShares(group.models) : [];
  const estimates = group.strategy === 'cost' ? costEstimates(regular, chatDemand(request), facts) : [];
  const targets = new Map(routed.targets.map((t) => [t.id, t]));
  const models: ExplainedModel[] = group.models.map((m, i) => {
    const target = targets.get(m.provider);
    const e = estimates.find((x) => x.model === m);
    const sample = board.get(modelKey(m));
    // By the model itself, not its name: a group may list one provider/model twice with different prices.
    const skipped = !e || plan.order.includes(m) ? undefined : e.excluded ?? (e.costUsd !== null ? overBudget(e.costUsd, group.budget_per_request_usd) : undefined);
    const keyNeeded = target ? needsApiKey(target.type) : false;
    return {
      id: modelKey(m),
      provider: m.provider,
      model: m.model,
      tag: m.tag ?? null,
      timeout_ms: m.timeout_ms ?? null,
      last_resort: m.lastResort === true,
      weight: m.weight ?? null,
      share_pct: group.strategy === 'weighted' ? round(shares[i] * 100, 2) : null,
      estimate: e
        ? {
            prompt_tokens: e.promptTokens,
            completion_tokens: e.completionTokens,
            input_per_1k_usd: e.inputPer1k ?? null,
            output_per_1k_usd: e.outputPer1k ?? null,
            context_window: e.contextWindow ?? null,
            cost_usd: e.costUsd === null ? null : round(e.costUsd, 8),
          }
        : null,
      latency: group.strategy === 'latency' && sample ? { ewma_ms: round(sample.ewmaMs, 1), samples: sample.samples } : null,
      skipped: skipped ?? null,
      key: keyNeeded ? { env: target?.keyEnv ?? null, set: !!(target?.keyEnv && options.env[target.keyEnv]) } : null,
    };
  });

  const order = undecided ? null : plan.order.map(modelKey);
  const pick = order && !plan.blocked ? order[0] ?? null : null;
  const tried = order ?? regular.map(modelKey);
  const missing = new Map<string, { target: string; env: string | null; models: string[] }>();
  for (const m of models) {
    if (!m.key || m.key.set || !tried.includes(m.id) || plan.blocked) continue;
    const entry = missing.get(m.provider) ?? { target: m.provider, env: m.key.env, models: [] };
    entry.models.push(m.id);
    missing.set(m.provider, entry);
  }

  const notes: string[] = [];
  if (group.strategy === 'latency') {
    notes.push(options.latency ? `Latency samples: ${options.latency.source}. A running gateway keeps its own averages in memory since it started; they match these when it served the same requests.` : 'No latency samples given (kt route explain --state-dir DIR reads them from the event log): every model is cold, so they go in the order listed until each has one.');
  }
  if (missing.size) notes.push('A target whose key is not set fails at once with an error naming the variable, and routing moves on to the next model.');
  const completion = requestedCompletionTokens(request);
  const limit = request.max_completion_tokens ?? request.max_tokens;
  const reason = pickReason(group, plan.blocked, pick, undecided, random !== undefined, models, session, preferred ? modelKey(preferred) : null);

  return {
    model: options.model,
    group: group.name,
    strategy: group.strategy,
    summary: summaryOf(group),
    request: {
      default: isDefault,
      messages: request.messages?.length ?? 0,
      completion_tokens: completion,
      max_tokens_set: typeof limit === 'number' && limit > 0,
      user: typeof request.user === 'string' ? request.user : null,
    },
    session: { affinity: group.session_affinity, key: group.session_affinity ? session ?? null : null, from: group.session_affinity ? sessionFrom(request, options.sessionId) : null },
    models,
    order,
    pick,
    pick_reason: reason,
    moves_on: MOVES_ON,
    blocked: plan.blocked ? { code: plan.blocked.code, message: plan.blocked.message } : null,
    missing_keys: [...missing.values()],
    notes,
  };
}

function pickReason(
  group: RoutedGroup, blocked: RoutePlan['blocked'], pick: string | null, undecided: boolean, seeded: boolean,
  models: ExplainedModel[], session: string | undefined, preferred: string | null,
): string {
  if (blocked) return `Blocked: ${blocked.message}`;
  if (undecided) return `Decided per request by a random draw (${models.filter((m) => (m.share_pct ?? 0) > 0).map((m) => `${m.id} ${m.share_pct}%`).join(', ')}); pass a seed to see one draw.`;
  if (!pick) return 'No model can be tried.';
  const m = models.find((x) => x.id === pick);
  switch (group.strategy) {
    case 'weighted': {
      const tag = m?.tag ? ` (tag ${m.tag})` : '';
      if (group.session_affinity && session) return `Session affinity: this session always lands on ${pick}${tag}.`;
      return seeded ? `This seed's draw picks ${pick}${tag}.` : `${pick}${tag} is the only model with weight.`;
    }
    case 'fallback':
      return `${pick} is first in the chain.`;
    case 'cost':
      return `${pick} is the cheapest model that fits (~${usd(m?.estimate?.cost_usd ?? null)}).`;
    case 'latency': {
      if (!m?.latency) return `${pick} has no latency sample yet, so it is tried first.`;
      if (pick !== preferred) return `This seed's draw explores: ${pick} (${m.latency.ewma_ms} ms) instead of the fastest, ${preferred}, as ${DEFAULT_EXPLORATION * 100}% of requests do.`;
      return `${pick} has the lowest moving-average time to first byte (${m.latency.ewma_ms} ms); ${100 - DEFAULT_EXPLORATION * 100}% of requests go to it, the rest explore a slower model.`;
    }
  }
  return `${pick}.`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

// --- Rendering: one layout, as plain text for the terminal or markdown for the editor ---

export type ExplainFormat = 'text' | 'markdown';

const LAST_RESORT = ' (last resort, added by --ollama-fallback)';

const SESSION_FROM = { 'x-session-id': 'the x-session-id header', user: "the request's user", 'first user message': 'a hash of the first user message' } as const;

function usd(n: number | null): string {
  return n === null ? '—' : `$${+n.toFixed(8)}`;
}

export function renderExplanation(e: RouteExplanation, format: ExplainFormat): string {
  const md = format === 'markdown';
  const code = (s: string) => (md ? `\`${s.replace(/`/g, "'")}\`` : s);
  const bold = (s: string) => (md ? `**${s}**` : s);
  const table = (head: string[], rows: string[][]): string[] => {
    if (md) return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`.trimEnd();
    return [line(head), ...rows.map(line)];
  };
  const out: string[] = [];
  out.push(`${bold(e.group)} · model group, strategy ${code(e.strategy)}`, '', e.summary, '');
  if (e.strategy === 'cost' || e.session.affinity) {
    const req = e.request.default
      ? `default request (one user message "${DEFAULT_REQUEST_TEXT}", no max_tokens: ${e.request.completion_tokens} completion tokens assumed)`
      : `${e.request.messages} message${e.request.messages === 1 ? '' : 's'}, ${e.request.completion_tokens} completion tokens${e.request.max_tokens_set ? '' : ' assumed (no max_tokens)'}`;
    out.push(`Request: ${req}.`, '');
  }
  // The strategy ranks the group's own models; the Ollama last resort only ever comes after them.
  const own = e.models.filter((m) => !m.last_resort);
  switch (e.strategy) {
    case 'weighted':
    {
      const tags = own.some((m) => m.tag);
      out.push(...table(['model', 'weight', 'share', ...(tags ? ['tag'] : [])], own.map((m) => [m.id, m.weight === null ? '—' : String(m.weight), `${m.share_pct}%`, ...(tags ? [m.tag ?? '—'] : [])])));
      if (e.session.affinity) out.push('', e.session.key ? `Session key from ${SESSION_FROM[e.session.from ?? 'first user message']}: ${code(e.session.key)}.` : 'No session key (no x-session-id, user or user message): the draw is random.');
      break;
    }
    case 'fallback': {
      e.models.forEach((m, i) => out.push(`${i + 1}. ${code(m.id)} — ${m.timeout_ms !== null ? `timeout ${m.timeout_ms} ms` : 'no timeout_ms: waits as long as the upstream takes'}${m.last_resort ? LAST_RESORT : ''}`));
      const timeouts = e.models.map((m) => m.timeout_ms);
      if (e.models.length > 1 && timeouts.every((t) => t !== null)) out.push('', `Worst case before the last model answers: ${timeouts.reduce((a, t) => a! + t!, 0)} ms of timeouts.`);
      break;
    }
    case 'cost':
      out.push(...table(['model', 'prompt', 'completion', 'per 1k in', 'per 1k out', 'est. cost', 'verdict'], own.map((m) => [
        m.id,
        m.estimate ? `~${m.estimate.prompt_tokens}` : '—',
        m.estimate ? String(m.estimate.completion_tokens) : '—',
        usd(m.estimate?.input_per_1k_usd ?? null),
        usd(m.estimate?.output_per_1k_usd ?? null),
        usd(m.estimate?.cost_usd ?? null),
        m.skipped ? `skipped: ${m.skipped}` : m.id === e.pick ? 'wins' : 'fits',
      ])));
      break;
    case 'latency':
      out.push(...table(['model', 'moving avg TTFB', 'samples'], own.map((m) => [m.id, m.latency ? `${m.latency.ewma_ms} ms` : 'cold', String(m.latency?.samples ?? 0)])));
      break;
  }
  const lastResort = e.strategy !== 'fallback' ? e.models.find((m) => m.last_resort) : undefined;
  if (lastResort) out.push('', `Then ${code(lastResort.id)}${LAST_RESORT}, timeout ${lastResort.timeout_ms} ms.`);
  out.push('');
  if (e.blocked) out.push(`${bold('Blocked')} (${code(e.blocked.code)}): ${e.blocked.message}`);
  else {
    out.push(`${bold('Pick')}: ${e.pick_reason}`);
    // Markdown joins adjacent lines into one paragraph.
    if (e.order && e.order.length > 1) out.push(...(md ? [''] : []), `${bold('Order')}: ${e.order.map(code).join(' → ')}`);
  }
  out.push('', e.moves_on);
  if (e.missing_keys.length) {
    out.push('', `${bold('Keys not set')}: ${e.missing_keys.map((k) => (k.env ? `${code(k.env)} (target ${k.target})` : `target ${k.target} has no secret_key_ref`)).join(', ')}.`);
  }
  for (const note of e.notes) out.push('', note);
  return out.join('\n');
}
