// The gateway's Prometheus registry: one per Gateway (several run in one test process), fed with decision events.
import { Counter, Histogram, Registry } from 'prom-client';
import type { DecisionEvent } from '../events/decision-event';
import { METRICS, metricUpdates, type LabelVocabulary } from './metrics';

/** How long events wait to be applied at most, and how many: bounds both staleness and memory. */
const APPLY_DELAY_MS = 100;
const MAX_PENDING = 1024;

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();
  private pending: DecisionEvent[] = [];
  private scheduled = false;

  /** `vocabulary` is read when events are applied, so a hot reload's new names count from then on. */
  constructor(private readonly vocabulary: () => LabelVocabulary) {
    for (const [name, spec] of Object.entries(METRICS)) {
      const common = { name, help: spec.help, labelNames: [...spec.labelNames], registers: [this.registry] };
      if (spec.type === 'counter') this.counters.set(name, new Counter(common));
      else this.histograms.set(name, new Histogram({ ...common, buckets: [...(spec.buckets ?? [])] }));
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Queues the event. Queued events are applied in one batch a little later (or at the next scrape), so
   * back-to-back requests do not each pay for the metric updates between answer and next request.
   */
  observe(event: DecisionEvent): void {
    this.pending.push(event);
    if (this.pending.length >= MAX_PENDING) return this.apply();
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => this.apply(), APPLY_DELAY_MS).unref();
  }

  /** Prometheus text format, with every event recorded so far. */
  async render(): Promise<string> {
    this.apply();
    return this.registry.metrics();
  }

  private apply(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    const vocabulary = this.vocabulary();
    for (const event of events) {
      for (const u of metricUpdates(event, vocabulary)) {
        if ('inc' in u) this.counters.get(u.metric)!.inc(u.labels, u.inc);
        else this.histograms.get(u.metric)!.observe(u.labels, u.observe);
      }
    }
  }
}
