// Moving-average time to first byte per model, which latency groups route by.

export interface LatencySample { ewmaMs: number; samples: number }

export class LatencyBoard {
  private readonly byModel = new Map<string, LatencySample>();

  constructor(private readonly alpha = 0.3) {}

  record(modelKey: string, ttfbMs: number): void {
    const current = this.byModel.get(modelKey);
    if (!current) this.byModel.set(modelKey, { ewmaMs: ttfbMs, samples: 1 });
    else {
      current.ewmaMs = current.ewmaMs + this.alpha * (ttfbMs - current.ewmaMs);
      current.samples++;
    }
  }

  /** A failed attempt counts as slow, so a broken model drifts to the back. */
  recordFailure(modelKey: string, elapsedMs: number): void {
    const current = this.byModel.get(modelKey);
    this.record(modelKey, Math.max(elapsedMs, (current?.ewmaMs ?? 0) * 2, 1000));
  }

  get(modelKey: string): LatencySample | undefined {
    return this.byModel.get(modelKey);
  }
}

/**
 * The board a gateway would hold after the attempts of these events (oldest first), recorded as
 * runAttempts records them: a success by its time, a failure as slow, an aborted attempt not at all.
 */
export function replayAttempts(events: Iterable<{ attempts?: ReadonlyArray<{ provider: string; model: string; outcome: string; latency_ms: number }> }>, board = new LatencyBoard()): LatencyBoard {
  for (const event of events) {
    for (const a of event.attempts ?? []) {
      const key = `${a.provider}/${a.model}`;
      if (a.outcome === 'success') board.record(key, a.latency_ms);
      else if (a.outcome === 'error' || a.outcome === 'timeout') board.recordFailure(key, a.latency_ms);
    }
  }
  return board;
}
