// Counts what keeps a Node process alive (sockets, servers, timers) and the process's own listeners,
// so a test can show that a gateway left nothing behind once it was closed.

export type ResourceCounts = Record<string, number>;

/** Active handles and requests by type, plus one `listeners:<event>` entry per process event. */
export function countResources(): ResourceCounts {
  const counts: ResourceCounts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  for (const name of process.eventNames()) {
    if (typeof name === 'string') counts[`listeners:${name}`] = process.listenerCount(name);
  }
  return counts;
}

/** Entries of `now` above `baseline`: what was left behind. */
export function leftBehind(baseline: ResourceCounts, now: ResourceCounts): ResourceCounts {
  const extra: ResourceCounts = {};
  for (const [type, n] of Object.entries(now)) if (n > (baseline[type] ?? 0)) extra[type] = n - (baseline[type] ?? 0);
  return extra;
}

/**
 * Waits until nothing is left above the baseline (closing sockets finish on later ticks), and returns
 * what is still there after `timeoutMs`: an empty object when everything was released.
 */
export async function settledLeftovers(baseline: ResourceCounts, timeoutMs = 3000): Promise<ResourceCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const extra = leftBehind(baseline, countResources());
    if (Object.keys(extra).length === 0 || Date.now() > deadline) return extra;
    await new Promise((r) => setTimeout(r, 20));
  }
}
