import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, newEventId } from '../../gateway/events/event-log';
import { verifyAuditChain } from '../../gateway/events/audit';
import { parseFilters } from '../../gateway/events/filter';
import type { DecisionEvent } from '../../gateway/events/decision-event';
import { fallbackEvent, sampleEvent } from './fixtures/sample-events';

function tempState(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-events-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function readLines(stateDir: string): string[] {
  const dir = join(stateDir, 'events');
  return readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean));
}

test('N concurrent appends leave N whole JSON lines and a chain that verifies', async (t) => {
  const stateDir = tempState(t);
  const log = new EventLog({ stateDir, immutable: true });
  const n = 200;
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    await new Promise((resolve) => setTimeout(resolve, i % 7));
    log.append(sampleEvent({ id: newEventId(), latency_ms: i }));
  }));
  log.close();
  const lines = readLines(stateDir);
  assert.equal(lines.length, n);
  const latencies = new Set(lines.map((line) => (JSON.parse(line) as DecisionEvent).latency_ms));
  assert.equal(latencies.size, n);
  const result = verifyAuditChain(stateDir);
  assert.equal(result.ok, true, JSON.stringify(result));
  if (result.ok) assert.equal(result.records, n);
});

test('the day file follows the UTC day and the chain continues across files and reopen', (t) => {
  const stateDir = tempState(t);
  let now = new Date('2025-03-01T23:59:59.900Z');
  const log = new EventLog({ stateDir, immutable: true, now: () => now });
  log.append(sampleEvent());
  now = new Date('2025-03-02T00:00:00.100Z');
  log.append(sampleEvent());
  log.close();
  assert.deepEqual(readdirSync(join(stateDir, 'events')).sort(), ['chain-head.log', 'events-2025-03-01.jsonl', 'events-2025-03-02.jsonl']);
  const reopened = new EventLog({ stateDir, immutable: true, now: () => now });
  const third = reopened.append(sampleEvent());
  reopened.close();
  const second = JSON.parse(readLines(stateDir)[1]) as DecisionEvent;
  assert.equal(third.prev_hash, second.hash);
  assert.equal(verifyAuditChain(stateDir).ok, true);
});

test('files are owner-only and records without immutable carry no hashes', (t) => {
  const stateDir = tempState(t);
  const log = new EventLog({ stateDir });
  const stored = log.append(sampleEvent());
  log.close();
  assert.equal(stored.hash, undefined);
  const [file] = readdirSync(join(stateDir, 'events'));
  assert.equal(statSync(join(stateDir, 'events', file)).mode & 0o777, 0o600);
  assert.equal(JSON.parse(readLines(stateDir)[0]).prev_hash, undefined);
});

test('query returns newest first, filters, and stops at the limit without reading older days', (t) => {
  const stateDir = tempState(t);
  let now = new Date('2025-03-01T10:00:00Z');
  const log = new EventLog({ stateDir, now: () => now });
  for (let i = 0; i < 5; i++) log.append(sampleEvent({ id: `evt_a${i}` }));
  now = new Date('2025-03-02T10:00:00Z');
  for (let i = 0; i < 5; i++) log.append(i % 2 ? fallbackEvent({ id: `evt_b${i}` }) : sampleEvent({ id: `evt_b${i}` }));
  log.close();
  // A corrupt line in the older day is only noticed if the query reads that file.
  appendFileSync(join(stateDir, 'events', 'events-2025-03-01.jsonl'), 'garbage\n');
  const warnings: string[] = [];
  const reader = new EventLog({ stateDir, onWarning: (m) => warnings.push(m) });
  assert.deepEqual(reader.query({ limit: 3 }).map((e) => e.id), ['evt_b4', 'evt_b3', 'evt_b2']);
  assert.deepEqual(warnings, []);
  const filters = parseFilters(['model=reliable-chat']);
  assert.ok(Array.isArray(filters));
  assert.deepEqual(reader.query({ filters, limit: 5 }).map((e) => e.id), ['evt_b3', 'evt_b1']);
  // Only two matches exist, so this query had to read the older day too, and skipped its corrupt line.
  assert.equal(warnings.length, 1);
  assert.equal(reader.query({ limit: 8 }).map((e) => e.id).join(','), 'evt_b4,evt_b3,evt_b2,evt_b1,evt_b0,evt_a4,evt_a3,evt_a2');
});

test('a half-written last line is skipped with a warning, and the next append starts a fresh line', (t) => {
  const stateDir = tempState(t);
  const now = () => new Date('2025-03-01T10:00:00Z');
  const log = new EventLog({ stateDir, now });
  log.append(sampleEvent({ id: 'evt_whole' }));
  log.close();
  const file = join(stateDir, 'events', 'events-2025-03-01.jsonl');
  appendFileSync(file, JSON.stringify(sampleEvent({ id: 'evt_torn' })).slice(0, 40));
  const warnings: string[] = [];
  const reader = new EventLog({ stateDir, now, onWarning: (m) => warnings.push(m) });
  assert.deepEqual(reader.query({ limit: 10 }).map((e) => e.id), ['evt_whole']);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /events-2025-03-01\.jsonl/);
  reader.append(sampleEvent({ id: 'evt_after' }));
  reader.close();
  assert.deepEqual(reader.query({ limit: 10 }).map((e) => e.id), ['evt_after', 'evt_whole']);
});

test('retention purges day files older than retention_days on open and when the day changes', (t) => {
  const stateDir = tempState(t);
  const dir = join(stateDir, 'events');
  let now = new Date('2025-03-01T10:00:00Z');
  const writer = new EventLog({ stateDir, now: () => now });
  for (const day of ['2025-02-20', '2025-02-27', '2025-02-28', '2025-03-01']) {
    now = new Date(`${day}T10:00:00Z`);
    writer.append(sampleEvent({ id: `evt_${day}` }));
  }
  writer.close();
  now = new Date('2025-03-01T10:00:00Z');
  const log = new EventLog({ stateDir, retentionDays: 2, now: () => now });
  assert.deepEqual(readdirSync(dir).sort(), ['events-2025-02-27.jsonl', 'events-2025-02-28.jsonl', 'events-2025-03-01.jsonl']);
  log.append(sampleEvent());
  now = new Date('2025-03-02T00:00:01Z');
  log.append(sampleEvent());
  log.close();
  assert.deepEqual(readdirSync(dir).sort(), ['events-2025-02-28.jsonl', 'events-2025-03-01.jsonl', 'events-2025-03-02.jsonl']);
  assert.deepEqual(log.purge(0), ['events-2025-02-28.jsonl', 'events-2025-03-01.jsonl']);
});

test('after a purge of chained files the chain still verifies from its anchor', (t) => {
  const stateDir = tempState(t);
  let now = new Date('2025-03-01T10:00:00Z');
  const log = new EventLog({ stateDir, immutable: true, now: () => now });
  log.append(sampleEvent());
  now = new Date('2025-03-05T10:00:00Z');
  log.append(sampleEvent());
  log.append(sampleEvent());
  assert.deepEqual(log.purge(1), ['events-2025-03-01.jsonl']);
  log.append(sampleEvent());
  log.close();
  const result = verifyAuditChain(stateDir);
  assert.equal(result.ok, true, JSON.stringify(result));
  // Removing the first remaining record is still caught: it no longer links to the anchor.
  const file = join(stateDir, 'events', 'events-2025-03-05.jsonl');
  writeFileSync(file, readFileSync(file, 'utf8').split('\n').slice(1).join('\n'));
  const broken = verifyAuditChain(stateDir);
  assert.equal(broken.ok, false);
  if (!broken.ok) assert.equal(broken.problem, 'removed');
});

test('subscribers see each stored record until they unsubscribe', (t) => {
  const stateDir = tempState(t);
  const log = new EventLog({ stateDir, immutable: true });
  const seen: DecisionEvent[] = [];
  const unsubscribe = log.subscribe((event) => seen.push(event));
  const first = log.append(sampleEvent());
  unsubscribe();
  log.append(sampleEvent());
  log.close();
  assert.equal(seen.length, 1);
  assert.equal(seen[0].hash, first.hash);
  assert.ok(first.hash);
});

test('event ids are unique, prefixed and sort by creation time', () => {
  const ids = [newEventId(1_700_000_000_000), newEventId(1_700_000_000_000), newEventId(1_700_000_000_001), newEventId(1_800_000_000_000)];
  for (const id of ids) assert.match(id, /^evt_[0-9a-z]{12}[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(Array.from({ length: 1000 }, () => newEventId())).size, 1000);
});
