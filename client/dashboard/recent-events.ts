// The last N decision events the dashboard draws from, oldest first, each once (the feed and a
// backfill can both deliver an event).
import type { DecisionEvent } from '../../gateway/events/decision-event';

export class RecentEvents {
  private events: DecisionEvent[] = [];
  private readonly ids = new Set<string>();
  private changes = 0;

  constructor(readonly capacity = 10_000) {}

  get version(): number {
    return this.changes;
  }

  add(events: readonly DecisionEvent[]): void {
    const fresh = events.filter((e) => e && typeof e.id === 'string' && !this.ids.has(e.id));
    if (!fresh.length) return;
    for (const e of fresh) this.ids.add(e.id);
    const last = this.events[this.events.length - 1];
    this.events.push(...fresh);
    // A backfill brings older events after live ones: keep time order.
    if (last && fresh.some((e) => e.ts < last.ts)) this.events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    if (this.events.length > this.capacity) {
      for (const e of this.events.splice(0, this.events.length - this.capacity)) this.ids.delete(e.id);
    }
    this.changes++;
  }

  clear(): void {
    this.events = [];
    this.ids.clear();
    this.changes++;
  }

  all(): readonly DecisionEvent[] {
    return this.events;
  }
}
