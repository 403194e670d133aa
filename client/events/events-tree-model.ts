// The Routing Events tree as plain data: events grouped by model group, newest first, with attempts as
// children and a per-group summary per tag (the guide's A/B comparison at a glance). The editor edge only
// turns these nodes into TreeItems.
import { API_ROUTE, type Attempt, type DecisionEvent } from '../../gateway/events/decision-event';

export type EventIcon = 'allowed' | 'fell-back' | 'blocked' | 'error';
export type AttemptIcon = 'success' | 'failed' | 'skipped';

export type EventsNode =
  | { kind: 'group'; id: string; group: string; label: string; description: string }
  | { kind: 'summary'; id: string; group: string; label: string; description: string }
  | { kind: 'tag-summary'; id: string; group: string; label: string; description: string; tag: string }
  | { kind: 'event'; id: string; eventId: string; label: string; description: string; tooltip: string; icon: EventIcon; hasAttempts: boolean }
  | { kind: 'attempt'; id: string; eventId: string; label: string; description: string; icon: AttemptIcon };

export const NO_GROUP = '(direct model)';
export const ACCESS_GROUP = '(access)';
export const UNTAGGED = '(untagged)';

export function eventIcon(e: DecisionEvent): EventIcon {
  if (e.decision === 'blocked') return 'blocked';
  if (e.decision === 'error') return 'error';
  return e.fallback_count > 0 ? 'fell-back' : 'allowed';
}

export function groupOf(e: DecisionEvent): string {
  if (e.kind === 'access') return ACCESS_GROUP;
  return e.model_group ?? NO_GROUP;
}

export function costOf(e: DecisionEvent): number {
  return e.actual_cost_usd ?? e.estimated_cost_usd ?? 0;
}

export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.0001) return `$${usd.toExponential(1)}`;
  return `$${usd.toFixed(usd < 0.01 ? 5 : 4).replace(/0+$/, '').replace(/\.$/, '')}`;
}

function clock(ts: string): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toTimeString().slice(0, 8);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function eventLabel(e: DecisionEvent): string {
  if (e.kind === 'access') return `${e.path ?? 'access'}`;
  return e.resolved_model ?? e.model ?? '(no model)';
}

export function eventDescription(e: DecisionEvent): string {
  const parts: string[] = [];
  if (e.kind === 'access') {
    parts.push(e.decision, `HTTP ${e.http_status}`);
  } else {
    if (e.decision !== 'allowed') parts.push(e.decision);
    parts.push(`${Math.round(e.latency_ms)} ms`);
    if (e.fallback_count > 0) parts.push(plural(e.fallback_count, 'fallback'));
    parts.push(`${e.tokens.total} tok`);
    parts.push(formatCost(costOf(e)));
    if (e.tag) parts.push(`#${e.tag}`);
    // Chat is the default; other inbound APIs are named (Anthropic Messages, Responses, embeddings).
    if (e.api && e.api !== 'chat') parts.push(e.api);
  }
  parts.push(clock(e.ts));
  return parts.join(' · ');
}

/** The route a request event came in on; events from before `api` was recorded were chat. */
export function apiRoute(e: DecisionEvent): string {
  return API_ROUTE[e.api ?? 'chat'] ?? e.api ?? 'chat';
}

export function eventTooltip(e: DecisionEvent): string {
  const lines = [
    `${e.decision.toUpperCase()} ${e.model ?? ''} → ${e.provider ?? '-'}/${e.resolved_model ?? '-'}`,
    `group: ${e.model_group ?? '-'} (${e.strategy ?? '-'})${e.tag ? `, tag ${e.tag}` : ''}, via ${apiRoute(e)}`,
    `latency ${Math.round(e.latency_ms)} ms${e.ttft_ms !== null ? `, first token ${Math.round(e.ttft_ms)} ms` : ''}, ${plural(e.fallback_count, 'fallback')}`,
    `tokens ${e.tokens.prompt} + ${e.tokens.completion} = ${e.tokens.total}, cost ${formatCost(costOf(e))}${e.actual_cost_usd === null ? ' (estimated)' : ''}`,
    `HTTP ${e.http_status}${e.reason ? `: ${e.reason}` : ''}`,
    `${e.ts} · ${e.id}`,
  ];
  return lines.join('\n');
}

function attemptIcon(a: Attempt): AttemptIcon {
  if (a.outcome === 'success') return 'success';
  if (a.outcome === 'skipped') return 'skipped';
  return 'failed';
}

export interface TagSummary {
  tag: string;
  count: number;
  avgLatencyMs: number;
  totalCostUsd: number;
}

/** Per-tag figures for a list of events, tags sorted by name (untagged last). */
export function summarizeByTag(events: readonly DecisionEvent[]): TagSummary[] {
  const byTag = new Map<string, { count: number; latency: number; cost: number }>();
  for (const e of events) {
    const tag = e.tag ?? UNTAGGED;
    const s = byTag.get(tag) ?? { count: 0, latency: 0, cost: 0 };
    s.count++;
    s.latency += e.latency_ms;
    s.cost += costOf(e);
    byTag.set(tag, s);
  }
  return [...byTag.entries()]
    .sort(([a], [b]) => (a === UNTAGGED ? 1 : b === UNTAGGED ? -1 : a.localeCompare(b)))
    .map(([tag, s]) => ({ tag, count: s.count, avgLatencyMs: s.latency / s.count, totalCostUsd: s.cost }));
}

export class EventsTreeModel {
  /** Newest first. */
  private events: DecisionEvent[] = [];
  private byId = new Map<string, DecisionEvent>();
  private tagFilter: string | undefined;

  constructor(private maxItems: number) {}

  setMaxItems(n: number): void {
    this.maxItems = Math.max(1, Math.floor(n));
    this.trim();
  }

  /** Adds events in any order; they are kept newest first by `ts`; duplicates by id are ignored. */
  add(events: readonly DecisionEvent[]): void {
    for (const e of events) {
      if (this.byId.has(e.id)) continue;
      this.byId.set(e.id, e);
      // Newest first by timestamp: a backfill may deliver older events after live ones.
      let i = 0;
      while (i < this.events.length && this.events[i]!.ts > e.ts) i++;
      this.events.splice(i, 0, e);
    }
    this.trim();
  }

  private trim(): void {
    while (this.events.length > this.maxItems) this.byId.delete(this.events.pop()!.id);
  }

  clear(): void {
    this.events = [];
    this.byId.clear();
  }

  get size(): number {
    return this.events.length;
  }

  /** Every kept event, oldest first. */
  all(): DecisionEvent[] {
    return [...this.events].reverse();
  }

  get(id: string): DecisionEvent | undefined {
    return this.byId.get(id);
  }

  get filter(): string | undefined {
    return this.tagFilter;
  }

  /** Shows only events with this tag; `undefined` shows all. UNTAGGED selects events without a tag. */
  setTagFilter(tag: string | undefined): void {
    this.tagFilter = tag;
  }

  /** Every tag seen, for the filter quick pick. */
  tags(): string[] {
    return [...new Set(this.events.map((e) => e.tag ?? UNTAGGED))].sort();
  }

  private visible(): DecisionEvent[] {
    const f = this.tagFilter;
    if (f === undefined) return this.events;
    return this.events.filter((e) => (e.tag ?? UNTAGGED) === f);
  }

  children(node?: EventsNode): EventsNode[] {
    if (!node) return this.groups();
    switch (node.kind) {
      case 'group': {
        const events = this.visible().filter((e) => groupOf(e) === node.group);
        const requests = events.filter((e) => e.kind !== 'access');
        const summary: EventsNode[] = requests.length
          ? [{ kind: 'summary', id: `summary:${node.group}`, group: node.group, label: 'Summary', description: summaryLine(requests) }]
          : [];
        return [...summary, ...events.map(eventNode)];
      }
      case 'summary': {
        const events = this.visible().filter((e) => groupOf(e) === node.group && e.kind !== 'access');
        return summarizeByTag(events).map((s) => ({
          kind: 'tag-summary',
          id: `tag:${node.group}:${s.tag}`,
          group: node.group,
          tag: s.tag,
          label: s.tag,
          description: `${plural(s.count, 'request')} · avg ${Math.round(s.avgLatencyMs)} ms · ${formatCost(s.totalCostUsd)}`,
        }));
      }
      case 'event': {
        const e = this.byId.get(node.eventId);
        if (!e) return [];
        return e.attempts.map((a, i) => ({
          kind: 'attempt',
          id: `attempt:${e.id}:${i}`,
          eventId: e.id,
          label: `${i + 1}. ${a.provider}/${a.model}`,
          description: [a.outcome, a.status !== null ? `HTTP ${a.status}` : undefined, `${Math.round(a.latency_ms)} ms`, a.error ?? undefined]
            .filter(Boolean)
            .join(' · '),
          icon: attemptIcon(a),
        }));
      }
      default:
        return [];
    }
  }

  /** The tree node of an event, when it is kept and passes the tag filter (for reveal). */
  eventNodeOf(id: string): EventsNode | undefined {
    const e = this.byId.get(id);
    if (!e || !this.visible().includes(e)) return undefined;
    return eventNode(e);
  }

  /** The node's parent; reveal in the editor walks up with it. */
  parentOf(node: EventsNode): EventsNode | undefined {
    switch (node.kind) {
      case 'group':
        return undefined;
      case 'summary':
        return this.groupNode(node.group);
      case 'tag-summary':
        return this.children(this.groupNode(node.group)).find((n) => n.kind === 'summary');
      case 'event': {
        const e = this.byId.get(node.eventId);
        return e ? this.groupNode(groupOf(e)) : undefined;
      }
      case 'attempt':
        return this.eventNodeOf(node.eventId);
    }
  }

  private groupNode(group: string): EventsNode | undefined {
    return this.groups().find((g) => g.kind === 'group' && g.group === group);
  }

  private groups(): EventsNode[] {
    const order: string[] = [];
    const counts = new Map<string, number>();
    for (const e of this.visible()) {
      const g = groupOf(e);
      if (!counts.has(g)) order.push(g);
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    // Stable alphabetical order so groups do not jump around as events arrive; special groups last.
    order.sort((a, b) => (a.startsWith('(') === b.startsWith('(') ? a.localeCompare(b) : a.startsWith('(') ? 1 : -1));
    return order.map((g) => ({
      kind: 'group',
      id: `group:${g}`,
      group: g,
      label: g,
      description: plural(counts.get(g)!, 'event'),
    }));
  }
}

function summaryLine(events: readonly DecisionEvent[]): string {
  const latency = events.reduce((s, e) => s + e.latency_ms, 0) / events.length;
  const cost = events.reduce((s, e) => s + costOf(e), 0);
  const fellBack = events.filter((e) => e.fallback_count > 0).length;
  return `${plural(events.length, 'request')} · avg ${Math.round(latency)} ms · ${formatCost(cost)} · ${fellBack} fell back`;
}

function eventNode(e: DecisionEvent): EventsNode {
  return {
    kind: 'event',
    id: `event:${e.id}`,
    eventId: e.id,
    label: eventLabel(e),
    description: eventDescription(e),
    tooltip: eventTooltip(e),
    icon: eventIcon(e),
    hasAttempts: e.attempts.length > 0,
  };
}
