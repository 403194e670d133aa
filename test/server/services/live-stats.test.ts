import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveCodeLenses, liveInlayHints } from '../../../server/services/live-lenses';
import { describeFigures, formatUsd, LiveStats } from '../../../server/services/live-stats';
import { viewOf } from '../../../server/services/view';
import { sampleEvent } from '../../events/fixtures/sample-events';
import { fixture } from '../support/caret';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const TEXT = fixture('policy-config.yaml');
const WHOLE = { start: { line: 0, character: 0 }, end: { line: 10_000, character: 0 } };

test('group figures: requests, nearest-rank p50, error and fallback rates, cost (actual, else estimated)', () => {
  const stats = new LiveStats();
  stats.add([
    sampleEvent({ ts: at(10), latency_ms: 100, actual_cost_usd: 0.001 }),
    sampleEvent({ ts: at(9), latency_ms: 300, actual_cost_usd: null, estimated_cost_usd: 0.002 }),
    sampleEvent({ ts: at(8), latency_ms: 200, fallback_count: 1, provider: 'anthropic', resolved_model: 'claude-3-5-haiku', actual_cost_usd: 0.003 }),
    sampleEvent({ ts: at(7), latency_ms: 900, decision: 'error', provider: null, resolved_model: null, actual_cost_usd: null, estimated_cost_usd: null }),
  ]);
  const group = stats.group('fast-chat', NOW)!;
  assert.equal(group.requests, 4);
  assert.equal(group.p50_latency_ms, 200);
  assert.equal(group.error_rate_pct, 25);
  assert.equal(group.fallback_rate_pct, 25);
  assert.ok(Math.abs(group.cost_usd! - 0.006) < 1e-12);
  assert.deepEqual(group.tags, []);
  assert.equal(stats.line('fast-chat', 'openai', 'gpt-4o-mini', NOW)!.requests, 2);
  assert.equal(stats.line('fast-chat', 'anthropic', 'claude-3-5-haiku', NOW)!.requests, 1);
  assert.equal(stats.group('reliable-chat', NOW), undefined);
});

test('only requests inside the window count, and the window can change', () => {
  const stats = new LiveStats(60_000);
  stats.add([sampleEvent({ ts: at(120) }), sampleEvent({ ts: at(30) }), sampleEvent({ ts: at(5) })]);
  assert.equal(stats.group('fast-chat', NOW)!.requests, 2);
  stats.setWindow(10 * 60_000);
  assert.equal(stats.group('fast-chat', NOW)!.requests, 3);
  assert.equal(stats.group('fast-chat', NOW + 11 * 60_000), undefined);
});

test('access events, direct-model calls and unparseable timestamps are not a group\'s', () => {
  const stats = new LiveStats();
  const before = stats.version;
  stats.add([
    sampleEvent({ ts: at(1), kind: 'access', model_group: null }),
    sampleEvent({ ts: at(1), model_group: null, model: 'gpt-4o' }),
    sampleEvent({ ts: 'yesterday' }),
  ]);
  assert.equal(stats.size, 0);
  assert.equal(stats.version, before, 'nothing added, nothing to refresh');
});

test('tags are reported per arm, side by side', () => {
  const stats = new LiveStats();
  stats.add([
    sampleEvent({ ts: at(3), tag: 'b', latency_ms: 400 }),
    sampleEvent({ ts: at(2), tag: 'a', latency_ms: 100 }),
    sampleEvent({ ts: at(1), tag: 'a', latency_ms: 120 }),
  ]);
  const { tags } = stats.group('fast-chat', NOW)!;
  assert.deepEqual(tags.map((t) => [t.tag, t.requests, t.p50_latency_ms]), [['a', 2, 100], ['b', 1, 400]]);
});

test('a late backfill is merged in time order and figures are recomputed', () => {
  const stats = new LiveStats(60_000);
  stats.add([sampleEvent({ ts: at(5), latency_ms: 50 })]);
  assert.equal(stats.group('fast-chat', NOW)!.p50_latency_ms, 50);
  stats.add([sampleEvent({ ts: at(20), latency_ms: 10 }), sampleEvent({ ts: at(90), latency_ms: 5 })]);
  const group = stats.group('fast-chat', NOW)!;
  assert.equal(group.requests, 2);
  assert.equal(group.p50_latency_ms, 10);
});

test('figures read as one short line; zero rates are left out', () => {
  assert.equal(describeFigures({ requests: 42, p50_latency_ms: 310.4, error_rate_pct: 2.4, fallback_rate_pct: 0, cost_usd: 0.012345 }), '42 req · p50 310 ms · 2.4% err · $0.0123');
  assert.equal(describeFigures({ requests: 1, p50_latency_ms: 12_345, error_rate_pct: 0, fallback_rate_pct: 50, cost_usd: null }), '1 req · p50 12.3 s · 50% fell back');
  assert.equal(formatUsd(1.5), '$1.50');
  assert.equal(formatUsd(0.0000004), '<$0.000001');
});

test('code lenses: Try it on every group while a gateway runs, figures when live stats are on, nothing when stopped', () => {
  const view = viewOf(TEXT);
  const stats = new LiveStats();
  stats.add([sampleEvent({ ts: at(2), latency_ms: 250 }), sampleEvent({ ts: at(1), tag: 'a' })]);
  assert.deepEqual(liveCodeLenses(view, { stats, gatewayRunning: false, liveStats: true, now: NOW }), []);

  const lenses = liveCodeLenses(view, { stats, gatewayRunning: true, liveStats: true, now: NOW });
  const titles = lenses.map((l) => l.command!.title);
  assert.deepEqual(titles.filter((t) => t.includes('Try it')).length, 3);
  assert.ok(titles.includes('2 req · p50 125 ms · $0.000042 · last 15 min'), titles.join('\n'));
  assert.ok(titles.includes('A/B a: 1 req · p50 125 ms · $0.000021'), titles.join('\n'));
  assert.equal(titles.filter((t) => t === 'no requests in the last 15 min').length, 2);
  const fastChatLine = TEXT.split('\n').indexOf('  - name: fast-chat');
  assert.ok(lenses.filter((l) => l.range.start.line === fastChatLine).length === 3);
  assert.deepEqual(lenses.find((l) => l.command!.title.includes('Try it'))!.command!.arguments, ['fast-chat']);

  const off = liveCodeLenses(view, { stats, gatewayRunning: true, liveStats: false, now: NOW });
  assert.deepEqual(off.map((l) => l.command!.title), ['$(play) Try it', '$(play) Try it', '$(play) Try it']);
});

test('inlay hints sit at the end of the model line the gateway served, only inside the asked range', () => {
  const view = viewOf(TEXT);
  const stats = new LiveStats();
  stats.add([
    sampleEvent({ ts: at(2), latency_ms: 250 }),
    sampleEvent({ ts: at(1), model_group: 'reliable-chat', provider: 'local-ollama', resolved_model: 'llama3.1', latency_ms: 900, fallback_count: 1, actual_cost_usd: null, estimated_cost_usd: null }),
  ]);
  const lines = TEXT.split('\n');
  const hints = liveInlayHints(view, WHOLE, { stats, gatewayRunning: true, liveStats: true, now: NOW });
  assert.deepEqual(hints.map((h) => [lines[h.position.line].trim(), h.position.character === lines[h.position.line].length, h.label]), [
    ['model: gpt-4o-mini', true, '1 req · p50 250 ms · $0.000021'],
    ['model: llama3.1', true, '1 req · p50 900 ms · 100% fell back'],
  ]);
  const firstOnly = { start: { line: 0, character: 0 }, end: { line: lines.indexOf('  - name: reliable-chat'), character: 0 } };
  assert.equal(liveInlayHints(view, firstOnly, { stats, gatewayRunning: true, liveStats: true, now: NOW }).length, 1);
  assert.deepEqual(liveInlayHints(view, WHOLE, { stats, gatewayRunning: true, liveStats: false, now: NOW }), []);
});

test('a long-running gateway: the oldest samples go once there are more than 50,000, the newest stay', () => {
  const stats = new LiveStats(24 * 60 * 60_000);
  const events = Array.from({ length: 50_001 }, (_, i) => sampleEvent({ ts: new Date(NOW - (50_001 - i) * 1000).toISOString(), latency_ms: i }));
  stats.add(events);
  assert.ok(stats.size <= 45_001 && stats.size >= 45_000, `kept ${stats.size}`);
  const group = stats.group('fast-chat', NOW)!;
  assert.equal(group.requests, stats.size);
  assert.equal(stats.line('fast-chat', 'openai', 'gpt-4o-mini', NOW)!.requests, stats.size);
  assert.equal(group.p50_latency_ms, 50_000 - Math.floor(stats.size / 2), 'the median of the newest samples');
});

test('two A/B arms get a 95% interval for latency and cost, or "too few requests to tell"', () => {
  const view = viewOf(TEXT);
  const few = new LiveStats();
  few.add([sampleEvent({ ts: at(3), tag: 'control' }), sampleEvent({ ts: at(2), tag: 'experiment' })]);
  const fewTitles = liveCodeLenses(view, { stats: few, gatewayRunning: true, liveStats: true, now: NOW }).map((l) => l.command!.title);
  assert.ok(fewTitles.includes('experiment vs control: too few requests to tell (1 and 1; 20 each needed)'), fewTitles.join('\n'));

  const many = new LiveStats();
  const events = [];
  for (let i = 0; i < 30; i++) {
    events.push(sampleEvent({ ts: at(100 - i), tag: 'control', latency_ms: 100 + (i % 5), actual_cost_usd: 0.001 + (i % 3) * 1e-5 }));
    events.push(sampleEvent({ ts: at(100 - i), tag: 'experiment', latency_ms: 200 + (i % 5), actual_cost_usd: 0.001 + (i % 3) * 1e-5 }));
  }
  many.add(events);
  const [latency, cost] = many.group('fast-chat', NOW)!.comparisons;
  assert.equal(latency!.metric, 'latency_ms');
  assert.ok(latency!.ci95![0] > 95 && latency!.ci95![1] < 105, `interval ${latency!.ci95}`);
  assert.ok(cost!.ci95![0] <= 0 && cost!.ci95![1] >= 0);
  const titles = liveCodeLenses(view, { stats: many, gatewayRunning: true, liveStats: true, now: NOW }).map((l) => l.command!.title);
  const line = titles.find((t) => t.startsWith('experiment vs control:'))!;
  assert.match(line, /^experiment vs control: latency: slower by \d+(\.\d)? ms to \d+(\.\d)? ms; cost: no difference shown \(95% CI\)$/);
});
