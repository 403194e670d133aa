// Live DecisionEvents from a running gateway: a backfill from GET /kt/v1/events, then the SSE stream
// GET /kt/v1/events/stream, reconnecting with backoff while the feed is open. Uses the runtime's fetch
// (no bundled HTTP client: it halves the extension bundle).
import type { DecisionEvent } from '../../gateway/events/decision-event';
import { parseSse } from '../../gateway/providers/sse';

export interface EventFeedOptions {
  baseUrl: string;
  /** Admin gateway key; sent only as the Authorization header. */
  key: string;
  backfill: number;
  onEvents: (events: DecisionEvent[]) => void;
  /** Connection problems worth a line in the log (never includes the key). */
  onProblem?: (message: string) => void;
  onConnected?: () => void;
  reconnectMs?: (attempt: number) => number;
}

/** The newest `limit` events, oldest first; throws with the HTTP status in the message when refused. */
export async function fetchRecentEvents(baseUrl: string, key: string, limit: number, signal?: AbortSignal): Promise<DecisionEvent[]> {
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}/kt/v1/events?limit=${limit}`, { headers: { authorization: `Bearer ${key}` }, signal });
  if (res.status !== 200) {
    await res.arrayBuffer().catch(() => undefined);
    throw new Error(`HTTP ${res.status}${res.status === 401 || res.status === 403 ? ' (the key is not an admin key)' : ''}`);
  }
  const body = (await res.json()) as { data?: DecisionEvent[] };
  // The API lists newest first.
  return [...(body.data ?? [])].reverse();
}

export class EventFeed {
  private abort = new AbortController();
  private closed = false;
  private readonly seen = new Set<string>();

  constructor(private readonly opts: EventFeedOptions) {}

  /** Starts the backfill and the stream; returns once the backfill is delivered (or failed). */
  async open(): Promise<void> {
    await this.backfill();
    void this.streamLoop();
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.opts.key}` };
  }

  private deliver(events: DecisionEvent[]): void {
    const fresh = events.filter((e) => e && typeof e.id === 'string' && !this.seen.has(e.id));
    for (const e of fresh) this.seen.add(e.id);
    if (this.seen.size > 10_000) this.seen.clear();
    if (fresh.length) this.opts.onEvents(fresh);
  }

  async backfill(): Promise<void> {
    try {
      // Oldest first, like the stream.
      this.deliver(await fetchRecentEvents(this.opts.baseUrl, this.opts.key, this.opts.backfill, this.abort.signal));
    } catch (err) {
      if (!this.closed) this.opts.onProblem?.(`events backfill${/^HTTP/.test((err as Error).message) ? ':' : ' failed:'} ${(err as Error).message}`);
    }
  }

  private async streamLoop(): Promise<void> {
    const base = this.opts.baseUrl.replace(/\/$/, '');
    let attempt = 0;
    let connections = 0;
    while (!this.closed) {
      try {
        const res = await fetch(`${base}/kt/v1/events/stream`, {
          headers: { ...this.headers(), accept: 'text/event-stream' },
          signal: this.abort.signal,
        });
        if (res.status !== 200 || !res.body) {
          await res.arrayBuffer().catch(() => undefined);
          this.opts.onProblem?.(`events stream: HTTP ${res.status}`);
        } else {
          // Subscribed first, then backfilled: nothing published while we were away is missed
          // (duplicates are dropped by id).
          if (connections++ > 0) void this.backfill();
          attempt = 0;
          this.opts.onConnected?.();
          // One SSE parser for the whole project: the providers' (split lines, CRLF, split UTF-8).
          for await (const message of parseSse(res.body)) {
            try {
              this.deliver([JSON.parse(message.data) as DecisionEvent]);
            } catch {
              this.opts.onProblem?.('events stream: skipped a message that is not JSON');
            }
          }
        }
      } catch (err) {
        if (this.closed) return;
        this.opts.onProblem?.(`events stream: ${(err as Error).message}`);
      }
      if (this.closed) return;
      const delay = (this.opts.reconnectMs ?? ((n) => Math.min(5_000, 250 * 2 ** n)))(attempt++);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
