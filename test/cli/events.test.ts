import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../gateway/cli/events';
import { EventLog } from '../../gateway/events/event-log';
import type { DecisionEvent } from '../../gateway/events/decision-event';
import { abEvent, blockedEvent, fallbackEvent, sampleEvent } from '../events/fixtures/sample-events';
import { capture } from '../events/fixtures/cli-io';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-cli-events-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Ten events: the guide's fallback, A/B and cost examples plus a block. */
function seed(stateDir: string): DecisionEvent[] {
  const log = new EventLog({ stateDir });
  const events = [
    sampleEvent(), fallbackEvent(), abEvent('control', { latency_ms: 100 }), abEvent('experiment', { latency_ms: 300 }),
    blockedEvent(), abEvent('control', { latency_ms: 200 }), fallbackEvent({ fallback_count: 2 }),
    abEvent('experiment', { latency_ms: 400, decision: 'error', http_status: 502 }), sampleEvent({ tokens: { prompt: 1000, completion: 500, total: 1500 } }),
    fallbackEvent(),
  ].map((event) => log.append(event));
  log.close();
  return events;
}

async function tail(stateDir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await run(['tail', '--state-dir', stateDir, ...args], c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

const ids = (out: string) => (JSON.parse(out) as DecisionEvent[]).map((e) => e.id);

test('tail --output json prints a newest-first array with the fields the guide\'s jq reads', async (t) => {
  const stateDir = tempDir(t);
  const events = seed(stateDir);
  const { code, out, err } = await tail(stateDir, '--filter', 'model=reliable-chat', '--limit', '5', '--output', 'json');
  assert.equal(code, 0, err);
  const printed = JSON.parse(out) as DecisionEvent[];
  assert.deepEqual(printed.map((e) => e.id), [events[9].id, events[6].id, events[1].id]);
  assert.deepEqual(printed.map((e) => ({ actual_model: e.resolved_model, fallbacks: e.fallback_count })), [
    { actual_model: 'claude-sonnet-4', fallbacks: 1 }, { actual_model: 'claude-sonnet-4', fallbacks: 2 }, { actual_model: 'claude-sonnet-4', fallbacks: 1 },
  ]);
  for (const event of printed) for (const field of ['latency_ms', 'tokens', 'decision', 'estimated_cost_usd', 'actual_cost_usd']) assert.ok(field in event);
});

test('tail: default limit 20, --limit, and each kind of filter', async (t) => {
  const stateDir = tempDir(t);
  const events = seed(stateDir);
  const idsOf = (...indexes: number[]) => indexes.map((i) => events[i].id);
  assert.deepEqual(ids((await tail(stateDir, '--output', 'json')).out), idsOf(9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
  assert.deepEqual(ids((await tail(stateDir, '--output', 'json', '--limit', '2')).out), idsOf(9, 8));
  const cases: Array<[string[], number[]]> = [
    [['tag=control'], [5, 2]],
    [['tag=experiment'], [7, 3]],
    [['decision=blocked'], [4]],
    [['decision!=allowed'], [7, 4]],
    [['provider=anthropic'], [9, 7, 6, 3, 1]],
    [['resolved_model=gpt-4o'], [5, 2]],
    [['tokens.total>1000'], [8]],
    [['latency_ms<150'], [8, 4, 2, 0]],
    [['attempts.outcome=timeout'], [9, 6, 1]],
    [['fallback_count>=2'], [6]],
    [['model=chat-experiment', 'provider=openai'], [5, 2]],
    [['key_id=ci'], [4]],
  ];
  for (const [filters, expected] of cases) {
    const { out } = await tail(stateDir, '--output', 'json', ...filters.flatMap((f) => ['--filter', f]));
    assert.deepEqual(ids(out), idsOf(...expected), filters.join(' '));
  }
});

test('tail --output table lists aligned columns, oldest at the top', async (t) => {
  const stateDir = tempDir(t);
  seed(stateDir);
  const { code, out } = await tail(stateDir, '--limit', '3');
  assert.equal(code, 0);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^TIME +MODEL +RESOLVED +PROVIDER +TAG +DECISION +FALLBACKS +LATENCY +TOKENS +COST$/);
  assert.match(lines[1], /chat-experiment +claude-sonnet-4 +anthropic +experiment +error 502 +0 +400 ms +50 +\$0\.000021$/);
  assert.match(lines[2], /fast-chat +gpt-4o-mini +openai +- +allowed +0 +125 ms +1500/);
  assert.match(lines[3], /reliable-chat +claude-sonnet-4 +anthropic +- +allowed +1 +5910 ms +300 +\$0\.0033$/);
  // Right-aligned columns end at the same place on every line.
  const latencyEnd = lines[0].indexOf('LATENCY') + 'LATENCY'.length;
  for (const line of lines.slice(1)) assert.equal(line.slice(latencyEnd - 3, latencyEnd), ' ms');
});

test('tail with nothing to show: [] for json, a hint for people', async (t) => {
  const stateDir = tempDir(t);
  assert.equal((await tail(stateDir, '--output', 'json')).out, '[]\n');
  assert.match((await tail(stateDir)).out, /No events in .*events yet: start the gateway/);
  seed(stateDir);
  assert.match((await tail(stateDir, '--filter', 'tag=nope')).out, /No events match --filter "tag=nope"/);
});

test('--config finds the .kt folder beside the config file', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'project'));
  writeFileSync(join(root, 'project', 'policy-config.yaml'), 'pack: {}\n');
  seed(join(root, 'project', '.kt'));
  const c = capture({ cwd: root });
  assert.equal(await run(['tail', '--config', 'project/policy-config.yaml', '--output', 'json'], c.io), 0);
  assert.equal(ids(c.stdout()).length, 10);
});

test('usage mistakes exit 2 with one line and a pointer to --help', async (t) => {
  const stateDir = tempDir(t);
  const cases: Array<[string[], RegExp]> = [
    [['tail', '--limt', '5'], /unknown option '--limt' \(did you mean --limit\?\)/],
    [['tail', '--limit', '0'], /--limit must be a whole number from 1 to 10000, got '0'/],
    [['tail', '--limit', 'many'], /--limit must be a whole number/],
    [['tail', '--output', 'yaml'], /--output must be one of table, json/],
    [['tail', '--filter', 'reliable-chat'], /bad filter 'reliable-chat'/],
    [['tail', '--filter', 'modle=x'], /unknown field 'modle'/],
    [['tail', '--key', 'kt_gk_x'], /--key only applies with --gateway/],
    [['tail', 'extra'], /unexpected argument 'extra'/],
    [['stats', '--by', 'color'], /--by must be one of tag, model, resolved_model, provider/],
    [['tops'], /unknown command 'tops'/],
  ];
  for (const [argv, message] of cases) {
    const c = capture({ cwd: stateDir });
    assert.equal(await run(argv, c.io), 2, argv.join(' '));
    assert.match(c.stderr(), message);
    assert.match(c.stderr(), /--help/);
    assert.equal(c.stderr().trimEnd().split('\n').length, 1, c.stderr());
    assert.equal(c.stdout(), '');
  }
});

test('--help documents each command, including JSON Lines for --follow', async () => {
  for (const argv of [['--help'], ['tail', '--help'], ['stats', '-h']]) {
    const c = capture();
    assert.equal(await run(argv, c.io), 0);
    assert.match(c.stdout(), /^Usage: kt events/);
  }
  const c = capture();
  await run(['tail', '--help'], c.io);
  assert.match(c.stdout(), /--follow[\s\S]*one JSON object per line/);
});

test('stats --output json per bucket, for every --by, with filters', async (t) => {
  const stateDir = tempDir(t);
  seed(stateDir);
  const stats = async (...args: string[]) => {
    const c = capture();
    assert.equal(await run(['stats', '--state-dir', stateDir, '--output', 'json', ...args], c.io), 0, c.stderr());
    return JSON.parse(c.stdout());
  };
  const byTag = await stats('--by', 'tag', '--filter', 'model=chat-experiment');
  assert.equal(byTag.by, 'tag');
  assert.equal(byTag.events, 4);
  assert.deepEqual(byTag.buckets.map((b: any) => [b.key, b.count, b.p50_latency_ms, b.p95_latency_ms, b.error_rate_pct]), [
    ['control', 2, 100, 200, 0], ['experiment', 2, 300, 400, 50],
  ]);
  const byModel = await stats();
  assert.equal(byModel.by, 'model');
  assert.deepEqual(byModel.buckets.map((b: any) => [b.key, b.count]), [['chat-experiment', 4], ['reliable-chat', 3], ['fast-chat', 2], ['premium-chat', 1]]);
  assert.equal(byModel.buckets[1].fallback_rate_pct, 100);
  assert.equal(byModel.buckets[1].total_cost_usd, 0.0099);
  assert.equal(byModel.buckets[3].block_rate_pct, 100);
  assert.deepEqual((await stats('--by', 'provider')).buckets.map((b: any) => b.key), ['anthropic', 'openai', null]);
  assert.deepEqual((await stats('--by', 'resolved_model', '--limit', '2')).buckets.map((b: any) => [b.key, b.count]), [['claude-sonnet-4', 1], ['gpt-4o-mini', 1]]);
});

test('stats --output table shows one aligned row per bucket and the event count', async (t) => {
  const stateDir = tempDir(t);
  seed(stateDir);
  const c = capture();
  assert.equal(await run(['stats', '--state-dir', stateDir, '--by', 'tag'], c.io), 0);
  const lines = c.stdout().trimEnd().split('\n');
  assert.match(lines[0], /^TAG +COUNT +P50 +P95 +AVG TOKENS +BLOCKED +ERRORS +FALLBACKS +COST$/);
  assert.match(lines[1], /^- +6 +125 ms +5910 ms +408\.3 +16\.67% +0% +50% +\$0\.0099$/);
  assert.match(lines[2], /^control +2 +100 ms +200 ms +50 +0% +0% +0% +\$0\.000042$/);
  assert.match(lines[3], /^experiment +2 +300 ms +400 ms +50 +0% +50% +0% +\$0\.000042$/);
  assert.equal(lines[4], '');
  assert.equal(lines[5], '10 events');
  // Two requests per arm are too few to compare.
  assert.match(lines[7], /^A\/B: each arm against control, allowed requests only, 95% Welch t interval/);
  assert.match(lines[8], /^METRIC +ARM - BASELINE +DIFFERENCE +95% CI +VERDICT$/);
  assert.match(lines[9], /^latency +experiment - control +- +- +too few requests to tell \(control: 2, experiment: 1 requests; needs 20 per arm\)$/);
  assert.match(lines[10], /^cost +experiment - control +- +- +too few requests to tell/);
});

test('stats --by tag compares the arms: difference and 95% interval in JSON and the table', async (t) => {
  const stateDir = tempDir(t);
  const log = new EventLog({ stateDir });
  for (let i = 0; i < 25; i++) {
    log.append(abEvent('control', { latency_ms: 100 + (i % 5) * 10, actual_cost_usd: 0.002 }));
    log.append(abEvent('experiment', { latency_ms: 300 + (i % 5) * 10, actual_cost_usd: 0.002 }));
  }
  log.close();
  const json = capture();
  assert.equal(await run(['stats', '--state-dir', stateDir, '--by', 'tag', '--output', 'json'], json.io), 0, json.stderr());
  const [latency, cost] = JSON.parse(json.stdout()).comparisons;
  assert.deepEqual([latency.metric, latency.baseline, latency.arm, latency.baseline_n, latency.arm_n, latency.difference], ['latency_ms', 'control', 'experiment', 25, 25, 200]);
  assert.ok(latency.ci95[0] > 190 && latency.ci95[1] < 210, String(latency.ci95));
  assert.deepEqual(cost.ci95, [0, 0]);
  assert.equal(cost.verdict, 'no difference shown: the interval includes 0');
  const table = capture();
  assert.equal(await run(['stats', '--state-dir', stateDir, '--by', 'tag'], table.io), 0);
  assert.match(table.stdout(), /\nlatency +experiment - control +\+200 ms +\+19\d\.\d ms to \+20\d\.\d ms +experiment is slower by 19\d\.\d ms to 20\d\.\d ms per request\n/);
  assert.match(table.stdout(), /\ncost +experiment - control +\$0 +\$0 to \$0 +no difference shown/);
  // Other dimensions have no arms: no comparisons key, no A/B section.
  const byModel = capture();
  await run(['stats', '--state-dir', stateDir, '--output', 'json'], byModel.io);
  assert.equal('comparisons' in JSON.parse(byModel.stdout()), false);
});
