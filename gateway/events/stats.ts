// `kt events stats`: the guide's A/B comparison (latency, tokens, block rate…) per tag, model, provider or inbound API.
import type { DecisionEvent } from './decision-event';
import { sampleOf, welchInterval } from './welch';

export const STATS_DIMENSIONS = ['tag', 'model', 'resolved_model', 'provider', 'api'] as const;
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];

export interface BucketStats {
  /** The tag, group-or-model, resolved model, provider or API; null when the events have none. */
  key: string | null;
  count: number;
  p50_latency_ms: number;
  p95_latency_ms: number;
  avg_tokens: number;
  /** Percentages, 0–100, as the guide's jq computes block_rate. */
  block_rate_pct: number;
  error_rate_pct: number;
  /** Share of events that needed at least one fallback. */
  fallback_rate_pct: number;
  /** Sum of actual_cost_usd; null when no event in the bucket had a price. */
  total_cost_usd: number | null;
}

export function bucketKey(event: DecisionEvent, by: StatsDimension): string | null {
  switch (by) {
    case 'tag': return event.tag;
    case 'model': return event.model_group ?? event.model;
    case 'resolved_model': return event.resolved_model;
    case 'provider': return event.provider;
    case 'api': return event.api ?? (event.kind === 'request' ? 'chat' : null); // events from before api was recorded are chat
  }
}

/** Buckets, largest first; ties by key, with the no-value bucket last. */
export function computeStats(events: readonly DecisionEvent[], by: StatsDimension): BucketStats[] {
  const buckets = new Map<string | null, DecisionEvent[]>();
  for (const event of events) {
    const key = bucketKey(event, by);
    const bucket = buckets.get(key);
    if (bucket) bucket.push(event);
    else buckets.set(key, [event]);
  }
  return [...buckets].map(([key, bucket]) => summarize(key, bucket)).sort(
    (a, b) => b.count - a.count || Number(a.key === null) - Number(b.key === null) || (a.key ?? '').localeCompare(b.key ?? ''),
  );
}

function summarize(key: string | null, events: DecisionEvent[]): BucketStats {
  const latencies = events.map((event) => event.latency_ms).sort((a, b) => a - b);
  const priced = events.filter((event) => typeof event.actual_cost_usd === 'number');
  const share = (predicate: (event: DecisionEvent) => boolean) => round((events.filter(predicate).length / events.length) * 100, 2);
  return {
    key,
    count: events.length,
    p50_latency_ms: percentile(latencies, 50),
    p95_latency_ms: percentile(latencies, 95),
    avg_tokens: round(events.reduce((sum, event) => sum + (event.tokens?.total ?? 0), 0) / events.length, 1),
    block_rate_pct: share((event) => event.decision === 'blocked'),
    error_rate_pct: share((event) => event.decision === 'error'),
    fallback_rate_pct: share((event) => event.fallback_count > 0),
    total_cost_usd: priced.length ? round(priced.reduce((sum, event) => sum + (event.actual_cost_usd ?? 0), 0), 8) : null,
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Below this many requests in an arm, an A/B difference is reported as too few to tell. */
export const MIN_ARM_REQUESTS = 20;

export type ArmMetric = 'latency_ms' | 'cost_usd';

/** One arm against the baseline arm, for one metric, over allowed requests. */
export interface ArmComparison {
  metric: ArmMetric;
  baseline: string;
  arm: string;
  baseline_n: number;
  arm_n: number;
  baseline_mean: number | null;
  arm_mean: number | null;
  /** mean(arm) − mean(baseline) and its 95% Welch t interval; null with too few requests. */
  difference: number | null;
  ci95: [number, number] | null;
  verdict: string;
}

const METRIC_VALUE: Record<ArmMetric, (event: DecisionEvent) => number | null> = {
  latency_ms: (event) => event.latency_ms,
  cost_usd: (event) => (typeof event.actual_cost_usd === 'number' ? event.actual_cost_usd : null),
};

/** The arm the others are compared with: one tagged "control" if there is one, else the largest. */
export function baselineArm(arms: readonly string[], counts: ReadonlyMap<string, number>): string | undefined {
  if (arms.includes('control')) return 'control';
  return [...arms].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a.localeCompare(b))[0];
}

/**
 * Each tagged arm against the baseline, for latency and cost per request. Only allowed requests count:
 * a block or an error has no comparable latency or cost. Untagged requests are in no arm.
 */
export function compareArms(events: readonly DecisionEvent[]): ArmComparison[] {
  const arms = new Map<string, DecisionEvent[]>();
  for (const event of events) {
    if (event.tag === null || event.decision !== 'allowed') continue;
    const arm = arms.get(event.tag);
    if (arm) arm.push(event);
    else arms.set(event.tag, [event]);
  }
  const names = [...arms.keys()];
  const baseline = baselineArm(names, new Map(names.map((n) => [n, arms.get(n)!.length])));
  if (baseline === undefined) return [];
  const out: ArmComparison[] = [];
  for (const arm of names.filter((n) => n !== baseline).sort()) {
    for (const metric of ['latency_ms', 'cost_usd'] as const) {
      const values = (name: string) => arms.get(name)!.map(METRIC_VALUE[metric]).filter((v): v is number => v !== null);
      out.push(compareValues(metric, baseline, values(baseline), arm, values(arm)));
    }
  }
  return out;
}

/** One metric of one arm against the baseline: the Welch interval of the difference, or too few to tell. */
export function compareValues(metric: ArmMetric, baseline: string, a: readonly number[], arm: string, b: readonly number[]): ArmComparison {
  const sa = sampleOf(a);
  const sb = sampleOf(b);
  const digits = metric === 'latency_ms' ? 2 : 10;
  const base = {
    metric, baseline, arm, baseline_n: sa.n, arm_n: sb.n,
    baseline_mean: sa.n ? round(sa.mean, digits) : null, arm_mean: sb.n ? round(sb.mean, digits) : null,
  };
  if (sa.n < MIN_ARM_REQUESTS || sb.n < MIN_ARM_REQUESTS) {
    const what = metric === 'cost_usd' ? 'priced requests' : 'requests';
    return { ...base, difference: null, ci95: null, verdict: `too few requests to tell (${baseline}: ${sa.n}, ${arm}: ${sb.n} ${what}; needs ${MIN_ARM_REQUESTS} per arm)` };
  }
  const ci = welchInterval(sa, sb);
  const [low, high] = [round(ci.low, digits), round(ci.high, digits)];
  const unit = (v: number) => (metric === 'latency_ms' ? `${+Math.abs(v).toFixed(1)} ms` : `$${+Math.abs(v).toPrecision(3)}`);
  let verdict: string;
  if (ci.low > 0) verdict = `${arm} is ${metric === 'latency_ms' ? 'slower' : 'more expensive'} by ${unit(ci.low)} to ${unit(ci.high)} per request`;
  else if (ci.high < 0) verdict = `${arm} is ${metric === 'latency_ms' ? 'faster' : 'cheaper'} by ${unit(ci.high)} to ${unit(ci.low)} per request`;
  else verdict = 'no difference shown: the interval includes 0';
  return { ...base, difference: round(ci.difference, digits), ci95: [low, high], verdict };
}
