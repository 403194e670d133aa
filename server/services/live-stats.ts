// What the running gateway's recent decision events say about each model group and model line:
// requests, p50 latency, error and fallback rate and cost over a sliding window. Pure: events in, figures out.
import type { DecisionEvent } from '../../gateway/events/decision-event';
import { baselineArm, compareValues, percentile, type ArmComparison } from '../../gateway/events/stats';

export interface LiveFigures {
  requests: number;
  p50_latency_ms: number;
  /** 0–100. */
  error_rate_pct: number;
  /** 0–100: share of requests that needed at least one fallback. */
  fallback_rate_pct: number;
  /** Actual cost where known, else the estimate; null when no request had a price. */
  cost_usd: number | null;
}

export interface GroupLiveStats extends LiveFigures {
  /** Per A/B tag, in tag order; empty when no request of the group carried a tag. */
  tags: Array<{ tag: string } & LiveFigures>;
  /** With two or more arms: each against the baseline (as `kt events stats --by tag`), latency then cost. */
  comparisons: ArmComparison[];
}

interface Sample {
  at: number;
  tag: string | null;
  latency: number;
  /** Only allowed requests enter an A/B comparison: a block or an error has no comparable latency or cost. */
  allowed: boolean;
  error: boolean;
  fellBack: boolean;
  cost: number | null;
  /** Actual cost only, as `kt events stats` compares arms. */
  actual: number | null;
}

/** The samples of one group or one model line, oldest first, with the figures of the last window asked. */
interface Bucket {
  samples: Sample[];
  cached?: { lo: number; hi: number; value: GroupLiveStats };
}

export const DEFAULT_WINDOW_MS = 15 * 60_000;
const MAX_SAMPLES = 50_000;

export function lineKey(group: string, provider: string, model: string): string {
  return `${group}\u0000${provider}/${model}`;
}

// Figures are kept per bucket and recomputed only for the buckets a new event landed in or whose window
// moved past an old sample: after one event, a whole file of lenses costs one group's recomputation.
export class LiveStats {
  private readonly groups = new Map<string, Bucket>();
  private readonly lines = new Map<string, Bucket>();
  private total = 0;
  private changes = 0;

  constructor(private windowMs = DEFAULT_WINDOW_MS) {}

  /** Bumped on every change: callers refresh their views when it moves. */
  get version(): number {
    return this.changes;
  }

  get size(): number {
    return this.total;
  }

  setWindow(ms: number): void {
    if (ms === this.windowMs || !(ms > 0)) return;
    this.windowMs = ms;
    this.changes++;
  }

  get window(): number {
    return this.windowMs;
  }

  /** Adds request events that were routed through a group; access events and direct-model calls are not a group's. */
  add(events: readonly DecisionEvent[]): void {
    let added = 0;
    for (const event of events) {
      // Events come from another process: skip what is not a request event rather than fail on it.
      if (!event || typeof event !== 'object' || event.kind !== 'request' || typeof event.model_group !== 'string' || typeof event.latency_ms !== 'number') continue;
      const at = Date.parse(event.ts);
      if (!Number.isFinite(at)) continue;
      const sample: Sample = {
        at,
        tag: typeof event.tag === 'string' ? event.tag : null,
        latency: event.latency_ms,
        allowed: event.decision === 'allowed',
        error: event.decision === 'error',
        fellBack: event.fallback_count > 0,
        cost: event.actual_cost_usd ?? event.estimated_cost_usd ?? null,
        actual: typeof event.actual_cost_usd === 'number' ? event.actual_cost_usd : null,
      };
      insert(this.groups, event.model_group, sample);
      if (event.provider && event.resolved_model) insert(this.lines, lineKey(event.model_group, event.provider, event.resolved_model), sample);
      added++;
    }
    if (!added) return;
    this.total += added;
    if (this.total > MAX_SAMPLES) this.evictOldest();
    this.changes++;
  }

  clear(): void {
    if (!this.total) return;
    this.groups.clear();
    this.lines.clear();
    this.total = 0;
    this.changes++;
  }

  group(name: string, now = Date.now()): GroupLiveStats | undefined {
    return this.figuresOf(this.groups.get(name), now);
  }

  line(group: string, provider: string, model: string, now = Date.now()): LiveFigures | undefined {
    return this.figuresOf(this.lines.get(lineKey(group, provider, model)), now);
  }

  private figuresOf(bucket: Bucket | undefined, now: number): GroupLiveStats | undefined {
    if (!bucket) return undefined;
    const lo = lowerBound(bucket.samples, now - this.windowMs);
    const hi = lowerBound(bucket.samples, now + 1);
    if (hi <= lo) return undefined;
    const cached = bucket.cached;
    if (cached && cached.lo === lo && cached.hi === hi) return cached.value;
    const window = bucket.samples.slice(lo, hi);
    const byTag = new Map<string, Sample[]>();
    for (const s of window) if (s.tag) push(byTag, s.tag, s);
    const tags = [...byTag].sort(([a], [b]) => a.localeCompare(b)).map(([tag, tagged]) => ({ tag, ...figures(tagged) }));
    const value = { ...figures(window), tags, comparisons: compareTags(byTag) };
    bucket.cached = { lo, hi, value };
    return value;
  }

  /** Drops the oldest tenth of the samples once there are too many (a gateway under load for hours). */
  private evictOldest(): void {
    const all: number[] = [];
    for (const bucket of this.groups.values()) for (const s of bucket.samples) all.push(s.at);
    all.sort((a, b) => a - b);
    const cutoff = all[Math.floor(MAX_SAMPLES * 0.1) + (all.length - MAX_SAMPLES)]!;
    for (const buckets of [this.groups, this.lines]) {
      for (const [key, bucket] of buckets) {
        const keep = lowerBound(bucket.samples, cutoff);
        if (keep === 0) continue;
        bucket.samples.splice(0, keep);
        bucket.cached = undefined;
        if (!bucket.samples.length) buckets.delete(key);
      }
    }
    this.total = 0;
    for (const bucket of this.groups.values()) this.total += bucket.samples.length;
  }
}

function compareTags(byTag: Map<string, Sample[]>): ArmComparison[] {
  if (byTag.size < 2) return [];
  const allowed = new Map([...byTag].map(([tag, samples]) => [tag, samples.filter((s) => s.allowed)]));
  const baseline = baselineArm([...allowed.keys()], new Map([...allowed].map(([tag, samples]) => [tag, samples.length])))!;
  const out: ArmComparison[] = [];
  for (const arm of [...allowed.keys()].filter((tag) => tag !== baseline).sort()) {
    const a = allowed.get(baseline)!;
    const b = allowed.get(arm)!;
    out.push(compareValues('latency_ms', baseline, a.map((s) => s.latency), arm, b.map((s) => s.latency)));
    const cost = (samples: Sample[]) => samples.flatMap((s) => (s.actual === null ? [] : [s.actual]));
    out.push(compareValues('cost_usd', baseline, cost(a), arm, cost(b)));
  }
  return out;
}

/** Appends in time order; a backfill after a reconnect may bring older events, which are sorted in. */
function insert(buckets: Map<string, Bucket>, key: string, sample: Sample): void {
  let bucket = buckets.get(key);
  if (!bucket) buckets.set(key, (bucket = { samples: [] }));
  const samples = bucket.samples;
  if (!samples.length || samples[samples.length - 1]!.at <= sample.at) samples.push(sample);
  else samples.splice(lowerBound(samples, sample.at + 1), 0, sample);
  bucket.cached = undefined;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function lowerBound(samples: readonly Sample[], at: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (samples[mid]!.at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function figures(samples: readonly Sample[]): LiveFigures {
  const latencies = samples.map((s) => s.latency).sort((a, b) => a - b);
  let errors = 0;
  let fellBack = 0;
  let cost = 0;
  let priced = 0;
  for (const s of samples) {
    if (s.error) errors++;
    if (s.fellBack) fellBack++;
    if (s.cost !== null) {
      cost += s.cost;
      priced++;
    }
  }
  const pct = (n: number) => Math.round((n / samples.length) * 1000) / 10;
  return {
    requests: samples.length,
    p50_latency_ms: percentile(latencies, 50),
    error_rate_pct: pct(errors),
    fallback_rate_pct: pct(fellBack),
    cost_usd: priced ? cost : null,
  };
}

/** `42 req · p50 310 ms · 2.4% err · 7.1% fell back · $0.0123`: zero rates are left out to keep it short. */
export function describeFigures(f: LiveFigures, options: { rates?: boolean } = {}): string {
  const parts = [`${f.requests} req`, `p50 ${formatMs(f.p50_latency_ms)}`];
  if (options.rates !== false) {
    if (f.error_rate_pct > 0) parts.push(`${f.error_rate_pct}% err`);
    if (f.fallback_rate_pct > 0) parts.push(`${f.fallback_rate_pct}% fell back`);
  }
  if (f.cost_usd !== null) parts.push(formatUsd(f.cost_usd));
  return parts.join(' · ');
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.000001) return '<$0.000001';
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${Number(usd.toPrecision(3))}`;
}

export function formatWindow(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes >= 60 && minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}
