import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCESS_GROUP, EventsTreeModel, NO_GROUP, UNTAGGED, eventIcon, formatCost, summarizeByTag, type EventsNode } from '../../client/events/events-tree-model';
import { decisionEvent } from './fixtures/events';

const labels = (nodes: EventsNode[]) => nodes.map((n) => n.label);

test('events are grouped by model group (alphabetical, special groups last), newest first, with a summary first', () => {
  const m = new EventsTreeModel(100);
  const e1 = decisionEvent({ model_group: 'reliable-chat', model: 'reliable-chat', strategy: 'fallback' });
  const e2 = decisionEvent();
  const e3 = decisionEvent({ model_group: null, model: 'gpt-4o', resolved_model: 'gpt-4o' });
  const e4 = decisionEvent({ kind: 'access', model: null, model_group: null, path: '/v1/models', decision: 'blocked', http_status: 401 });
  const e5 = decisionEvent();
  m.add([e1, e2, e3, e4, e5]);
  const groups = m.children();
  assert.deepEqual(labels(groups), ['fast-chat', 'reliable-chat', ACCESS_GROUP, NO_GROUP]);
  assert.equal(groups[0]!.description, '2 events');
  const fast = m.children(groups[0]);
  assert.deepEqual(fast.map((n) => n.kind), ['summary', 'event', 'event']);
  assert.deepEqual(fast.slice(1).map((n) => (n as { eventId: string }).eventId), [e5.id, e2.id]);
  // Access events have no summary (no model, tokens or cost).
  assert.deepEqual(m.children(groups[2]).map((n) => n.kind), ['event']);
  assert.equal(m.children(groups[2])[0]!.label, '/v1/models');
});

test('each event shows model, icon kind, latency, fallbacks, tokens and cost; attempts are its children', () => {
  const m = new EventsTreeModel(10);
  const fellBack = decisionEvent({
    model_group: 'reliable-chat',
    resolved_model: 'claude-sonnet-4',
    provider: 'anthropic',
    fallback_count: 1,
    latency_ms: 812.4,
    tokens: { prompt: 12, completion: 30, total: 42 },
    actual_cost_usd: 0.00123,
    tag: 'experiment',
    attempts: [
      { provider: 'openai', model: 'gpt-4o', outcome: 'timeout', status: null, error: 'no first byte within 5000 ms', latency_ms: 5000 },
      { provider: 'anthropic', model: 'claude-sonnet-4', outcome: 'success', status: 200, error: null, latency_ms: 800 },
    ],
  });
  m.add([fellBack]);
  const [group] = m.children();
  const event = m.children(group).find((n) => n.kind === 'event')!;
  assert.equal(event.label, 'claude-sonnet-4');
  assert.ok(event.kind === 'event' && event.icon === 'fell-back' && event.hasAttempts);
  assert.match(event.description, /^812 ms · 1 fallback · 42 tok · \$0\.00123 · #experiment · \d\d:\d\d:\d\d$/);
  assert.match((event as { tooltip: string }).tooltip, /^ALLOWED fast-chat → anthropic\/claude-sonnet-4\n/);
  const attempts = m.children(event);
  assert.deepEqual(labels(attempts), ['1. openai/gpt-4o', '2. anthropic/claude-sonnet-4']);
  assert.equal(attempts[0]!.description, 'timeout · 5000 ms · no first byte within 5000 ms');
  assert.ok(attempts[0]!.kind === 'attempt' && attempts[0]!.icon === 'failed');
  assert.ok(attempts[1]!.kind === 'attempt' && attempts[1]!.icon === 'success');
});

test('icon kinds: allowed, fell back, blocked, error', () => {
  assert.equal(eventIcon(decisionEvent()), 'allowed');
  assert.equal(eventIcon(decisionEvent({ fallback_count: 2 })), 'fell-back');
  assert.equal(eventIcon(decisionEvent({ decision: 'blocked', http_status: 400 })), 'blocked');
  assert.equal(eventIcon(decisionEvent({ decision: 'error', http_status: 502, fallback_count: 2 })), 'error');
});

test('the group summary compares tags: count, average latency and total cost (actual, else estimated)', () => {
  const events = [
    decisionEvent({ model_group: 'chat-experiment', tag: 'control', latency_ms: 100, actual_cost_usd: 0.001 }),
    decisionEvent({ model_group: 'chat-experiment', tag: 'control', latency_ms: 300, actual_cost_usd: 0.003 }),
    decisionEvent({ model_group: 'chat-experiment', tag: 'experiment', latency_ms: 50, actual_cost_usd: null, estimated_cost_usd: 0.002 }),
    decisionEvent({ model_group: 'chat-experiment', tag: null, latency_ms: 10, actual_cost_usd: null, estimated_cost_usd: null }),
  ];
  assert.deepEqual(summarizeByTag(events), [
    { tag: 'control', count: 2, avgLatencyMs: 200, totalCostUsd: 0.004 },
    { tag: 'experiment', count: 1, avgLatencyMs: 50, totalCostUsd: 0.002 },
    { tag: UNTAGGED, count: 1, avgLatencyMs: 10, totalCostUsd: 0 },
  ]);
  const m = new EventsTreeModel(10);
  m.add(events);
  const [group] = m.children();
  const summary = m.children(group)[0]!;
  assert.equal(summary.kind, 'summary');
  assert.equal(summary.description, '4 requests · avg 115 ms · $0.006 · 0 fell back');
  const rows = m.children(summary);
  assert.deepEqual(labels(rows), ['control', 'experiment', UNTAGGED]);
  assert.equal(rows[0]!.description, '2 requests · avg 200 ms · $0.004');
});

test('the most recent maxItems events are kept, duplicates by id ignored, and late backfill sorted in', () => {
  const m = new EventsTreeModel(3);
  const es = [decisionEvent(), decisionEvent(), decisionEvent(), decisionEvent(), decisionEvent()];
  m.add([es[0]!, es[1]!, es[3]!]);
  m.add([es[2]!, es[3]!]); // es[2] is older than es[3]: backfill arriving late
  m.add([es[4]!]);
  assert.equal(m.size, 3);
  const ids = m.children(m.children()[0]).filter((n) => n.kind === 'event').map((n) => (n as { eventId: string }).eventId);
  assert.deepEqual(ids, [es[4]!.id, es[3]!.id, es[2]!.id]);
  assert.equal(m.get(es[0]!.id), undefined);
  m.setMaxItems(1);
  assert.equal(m.size, 1);
  m.clear();
  assert.equal(m.size, 0);
  assert.deepEqual(m.children(), []);
});

test('filtering by tag shows only that tag (or untagged), in groups and summaries', () => {
  const m = new EventsTreeModel(10);
  m.add([
    decisionEvent({ model_group: 'ab', tag: 'control' }),
    decisionEvent({ model_group: 'ab', tag: 'experiment' }),
    decisionEvent({ model_group: 'other', tag: null }),
  ]);
  assert.deepEqual(m.tags(), [UNTAGGED, 'control', 'experiment'].sort());
  m.setTagFilter('control');
  assert.deepEqual(labels(m.children()), ['ab']);
  const ab = m.children()[0]!;
  assert.equal(ab.description, '1 event');
  assert.deepEqual(labels(m.children(m.children(ab)[0])), ['control']);
  m.setTagFilter(UNTAGGED);
  assert.deepEqual(labels(m.children()), ['other']);
  m.setTagFilter(undefined);
  assert.equal(m.children().length, 2);
});

test('formatCost keeps small costs readable', () => {
  assert.equal(formatCost(0), '$0');
  assert.equal(formatCost(0.0123), '$0.0123');
  assert.equal(formatCost(0.00123), '$0.00123');
  assert.equal(formatCost(0.00001), '$1.0e-5');
  assert.equal(formatCost(2.5), '$2.5');
});

test('every node knows its parent, so an event can be revealed; filtered-out events have no node', () => {
  const m = new EventsTreeModel(100);
  const tagged = decisionEvent({ tag: 'a' });
  const other = decisionEvent({ model_group: 'reliable-chat', model: 'reliable-chat', tag: 'b' });
  m.add([tagged, other]);
  const node = m.eventNodeOf(tagged.id)!;
  assert.equal(node.kind, 'event');
  const group = m.parentOf(node)!;
  assert.deepEqual([group.kind, group.label], ['group', tagged.model_group]);
  assert.equal(m.parentOf(group), undefined);
  const [summary, ...events] = m.children(group);
  assert.equal(m.parentOf(summary!)!.id, group.id);
  const tagNode = m.children(summary)[0]!;
  assert.equal(m.parentOf(tagNode)!.id, summary!.id);
  const attempt = m.children(events.find((e) => e.id === node.id))[0]!;
  assert.equal(m.parentOf(attempt)!.id, node.id);
  m.setTagFilter('b');
  assert.equal(m.eventNodeOf(tagged.id), undefined);
  assert.equal(m.eventNodeOf(other.id)!.id, `event:${other.id}`);
  assert.equal(m.eventNodeOf('evt_missing'), undefined);
});

test('an event names its inbound API when it is not chat, and its tooltip the route', async () => {
  const { eventDescription, eventTooltip } = await import('../../client/events/events-tree-model');
  const chat = decisionEvent();
  const messages = decisionEvent({ api: 'messages' });
  const embeddings = decisionEvent({ api: 'embeddings' });
  assert.ok(!eventDescription(chat).includes('chat'));
  assert.match(eventDescription(messages), / · messages · /);
  assert.match(eventDescription(embeddings), / · embeddings · /);
  assert.match(eventTooltip(chat), /via \/v1\/chat\/completions/);
  assert.match(eventTooltip(messages), /via \/v1\/messages/);
});
