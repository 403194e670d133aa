// `kt events stats`: the guide's A/B comparison (latency, tokens, block rate…) per tag, model, provider or inbound API.
import type { DecisionEvent } from './decision-event';

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
