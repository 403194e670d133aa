// The routing dashboard's data: decision events folded into time buckets (at most `maxBuckets`, so 10,000
// events draw as fast as 100) and per-group / per-tag cost. Pure: the webview only draws what this returns.
import type { DecisionEvent } from '../../gateway/events/decision-event';
import { percentile } from '../../gateway/events/stats';

export interface ModelSeries {
  /** `provider/model`, or "other" for the models past the busiest `maxSeries`. */
  model: string;
  requests: number[];
  p50: Array<number | null>;
  p95: Array<number | null>;
}

export interface CostRow {
  key: string;
  requests: number;
  usd: number;
}

export interface DashboardData {
  /** Bucket starts, seconds since the epoch (uPlot's x axis). */
  times: number[];
  bucketSeconds: number;
  models: ModelSeries[];
  fallbacks: number[];
  errors: number[];
  costByGroup: CostRow[];
  costByTag: CostRow[];
  requests: number;
  totalUsd: number;
}

export interface SeriesOptions {
  maxBuckets?: number;
  maxSeries?: number;
}

const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];
export const OTHER_MODELS = 'other';
export const UNTAGGED_COST = '(untagged)';

export function dashboardSeries(events: readonly DecisionEvent[], options: SeriesOptions = {}): DashboardData {
  const maxBuckets = options.maxBuckets ?? 120;
  const maxSeries = options.maxSeries ?? 8;
  const requests = events.filter((e) => e.kind === 'request' && Number.isFinite(Date.parse(e.ts)));
  const empty: DashboardData = { times: [], bucketSeconds: 1, models: [], fallbacks: [], errors: [], costByGroup: [], costByTag: [], requests: 0, totalUsd: 0 };
  if (!requests.length) return empty;

  const at = requests.map((e) => Date.parse(e.ts) / 1000);
  let min = Infinity;
  let max = -Infinity;
  for (const t of at) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const span = Math.max(1, max - min);
  const step = STEPS_S.find((s) => span / s <= maxBuckets) ?? Math.ceil(span / maxBuckets);
  const first = Math.floor(min / step) * step;
  const count = Math.floor((max - first) / step) + 1;
  const times = Array.from({ length: count }, (_, i) => first + i * step);

  // The busiest models get their own series; the rest share one, so the legend stays readable.
  const perModel = new Map<string, number>();
  const modelOf = (e: DecisionEvent) => (e.provider && e.resolved_model ? `${e.provider}/${e.resolved_model}` : e.decision === 'error' ? '(failed)' : '(none)');
  for (const e of requests) perModel.set(modelOf(e), (perModel.get(modelOf(e)) ?? 0) + 1);
  const ranked = [...perModel].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([m]) => m);
  const named = new Set(ranked.length > maxSeries ? ranked.slice(0, maxSeries - 1) : ranked);
  const seriesNames = [...named, ...(ranked.length > named.size ? [OTHER_MODELS] : [])];
  const index = new Map(seriesNames.map((m, i) => [m, i]));

  const latencies = seriesNames.map(() => Array.from({ length: count }, () => [] as number[]));
  const counts = seriesNames.map(() => new Array<number>(count).fill(0));
  const fallbacks = new Array<number>(count).fill(0);
  const errors = new Array<number>(count).fill(0);
  const groups = new Map<string, CostRow>();
  const tags = new Map<string, CostRow>();
  let totalUsd = 0;
  requests.forEach((e, i) => {
    const bucket = Math.floor((at[i]! - first) / step);
    const m = index.get(named.has(modelOf(e)) ? modelOf(e) : OTHER_MODELS)!;
    counts[m]![bucket]!++;
    latencies[m]![bucket]!.push(e.latency_ms);
    if (e.fallback_count > 0) fallbacks[bucket]!++;
    if (e.decision === 'error') errors[bucket]!++;
    const usd = e.actual_cost_usd ?? e.estimated_cost_usd ?? 0;
    totalUsd += usd;
    addCost(groups, e.model_group ?? e.model ?? '(direct model)', usd);
    addCost(tags, e.tag ?? UNTAGGED_COST, usd);
  });

  const models = seriesNames.map((model, m) => ({
    model,
    requests: counts[m]!,
    p50: latencies[m]!.map((l) => quantile(l, 0.5)),
    p95: latencies[m]!.map((l) => quantile(l, 0.95)),
  }));
  const byCost = (rows: Map<string, CostRow>) => [...rows.values()].sort((a, b) => b.usd - a.usd || b.requests - a.requests || a.key.localeCompare(b.key));
  return { times, bucketSeconds: step, models, fallbacks, errors, costByGroup: byCost(groups), costByTag: byCost(tags), requests: requests.length, totalUsd };
}

function addCost(rows: Map<string, CostRow>, key: string, usd: number): void {
  const row = rows.get(key);
  if (row) {
    row.requests++;
    row.usd += usd;
  } else {
    rows.set(key, { key, requests: 1, usd });
  }
}

/** Nearest-rank percentile (as `kt events stats`), null for an empty bucket so the line has a gap. */
function quantile(values: number[], q: number): number | null {
  return values.length ? percentile(values.sort((a, b) => a - b), q * 100) : null;
}
