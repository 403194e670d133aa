import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../../gateway/events/event-log';
import { verifyAuditChain, type AuditBreak } from '../../gateway/events/audit';
import { recordHash } from '../../gateway/events/hash-chain';
import { sampleEvent } from './fixtures/sample-events';

const DAY1 = 'events-2025-04-01.jsonl';
const DAY2 = 'events-2025-04-02.jsonl';

/** Six chained records: three on each of two days. */
function chainedLog(t: { after: (fn: () => void) => void }): { stateDir: string; file: (name: string) => string } {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-audit-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  let now = new Date('2025-04-01T08:00:00Z');
  const log = new EventLog({ stateDir, immutable: true, now: () => now });
  for (let i = 1; i <= 6; i++) {
    if (i === 4) now = new Date('2025-04-02T08:00:00Z');
    log.append(sampleEvent({ id: `evt_${i}` }));
  }
  log.close();
  return { stateDir, file: (name) => join(stateDir, 'events', name) };
}

function editLines(path: string, edit: (lines: string[]) => string[]): void {
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  writeFileSync(path, edit(lines).map((l) => `${l}\n`).join(''));
}

function expectBreak(stateDir: string): AuditBreak {
  const result = verifyAuditChain(stateDir);
  assert.equal(result.ok, false, 'the chain should be broken');
  return result as AuditBreak;
}

test('an untouched chain verifies, across day files', (t) => {
  const { stateDir } = chainedLog(t);
  const result = verifyAuditChain(stateDir);
  assert.deepEqual(result, {
    ok: true, records: 6, files: [DAY1, DAY2], unchained: 0, lastId: 'evt_6', headChecked: true,
    replicas: [{ replica: null, records: 6, files: [DAY1, DAY2], unchained: 0, lastId: 'evt_6', headChecked: true }],
  });
});

test('an edited line is named as edited', (t) => {
  const { stateDir, file } = chainedLog(t);
  editLines(file(DAY1), (lines) => lines.map((l, i) => (i === 1 ? l.replace('"latency_ms":125', '"latency_ms":12') : l)));
  const result = expectBreak(stateDir);
  assert.deepEqual([result.problem, result.file, result.line, result.id], ['edited', DAY1, 2, 'evt_2']);
  assert.match(result.message, /events-2025-04-01\.jsonl line 2 \(id evt_2\): edited/);
});

test('a deleted line is named as removed, at the record after the gap', (t) => {
  const { stateDir, file } = chainedLog(t);
  editLines(file(DAY2), (lines) => lines.filter((_, i) => i !== 1));
  const result = expectBreak(stateDir);
  assert.deepEqual([result.problem, result.file, result.line, result.id], ['removed', DAY2, 2, 'evt_6']);
  assert.match(result.message, /missing after evt_4/);
});

test('deleting the very first record or a whole day file is caught', (t) => {
  const first = chainedLog(t);
  editLines(first.file(DAY1), (lines) => lines.slice(1));
  assert.deepEqual(Object.values(expectBreak(first.stateDir)).slice(1, 5), ['removed', DAY1, 1, 'evt_2']);
  const second = chainedLog(t);
  unlinkSync(second.file(DAY1));
  assert.deepEqual(Object.values(expectBreak(second.stateDir)).slice(1, 5), ['removed', DAY2, 1, 'evt_4']);
});

test('two swapped lines are named as reordered', (t) => {
  const { stateDir, file } = chainedLog(t);
  editLines(file(DAY1), ([a, b, c]) => [a, c, b]);
  const result = expectBreak(stateDir);
  assert.deepEqual([result.problem, result.file, result.line, result.id], ['reordered', DAY1, 2, 'evt_3']);
  assert.match(result.message, /belongs after evt_2 at events-2025-04-01\.jsonl line 3/);
});

test('a file truncated mid-record is named as truncated', (t) => {
  const { stateDir, file } = chainedLog(t);
  const text = readFileSync(file(DAY2), 'utf8');
  writeFileSync(file(DAY2), text.slice(0, text.length - 30));
  const result = expectBreak(stateDir);
  assert.deepEqual([result.problem, result.file, result.line], ['truncated', DAY2, 3]);
  assert.match(result.message, /half record/);
});

test('the last lines cut off the newest file are named as truncated, with how many are missing', (t) => {
  for (const cut of [1, 2]) {
    const { stateDir, file } = chainedLog(t);
    // What is left is a shorter chain that holds on its own: only the head shows the end is gone.
    editLines(file(DAY2), (lines) => lines.slice(0, 3 - cut));
    const result = expectBreak(stateDir);
    assert.deepEqual([result.problem, result.file, result.line], ['truncated', DAY2, 4 - cut]);
    assert.match(result.message, new RegExp(`events-2025-04-02\\.jsonl ends after ${3 - cut} records but the chain head \\(chain-head\\.log\\) says it held 3: ${cut} events? missing at the end`));
  }
});

test('the newest file deleted whole is named, with its events missing', (t) => {
  const { stateDir, file } = chainedLog(t);
  unlinkSync(file(DAY2));
  const result = expectBreak(stateDir);
  assert.deepEqual([result.problem, result.file], ['truncated', DAY2]);
  assert.match(result.message, /events-2025-04-02\.jsonl is gone: .* 3 events missing at the end/);
});

test('the end cut and new records appended by a restarted gateway still fail verify', (t) => {
  const { stateDir, file } = chainedLog(t);
  editLines(file(DAY2), (lines) => lines.slice(0, 1));
  const warnings: string[] = [];
  const log = new EventLog({ stateDir, immutable: true, now: () => new Date('2025-04-02T09:00:00Z'), onWarning: (m) => warnings.push(m) });
  log.append(sampleEvent({ id: 'evt_7' }));
  log.append(sampleEvent({ id: 'evt_8' }));
  log.close();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /the event log was cut: .*2 events missing/);
  // The new records link to the lost evt_6, so the gap shows where it is.
  const result = expectBreak(stateDir);
  assert.deepEqual([result.problem, result.file, result.line, result.id], ['removed', DAY2, 2, 'evt_7']);
});

test('a head behind the file (killed between a record and its head) is not reported, and the log carries on', (t) => {
  const { stateDir } = chainedLog(t);
  // The state a SIGKILL leaves between the write of evt_6 and the write of its head.
  const headFile = join(stateDir, 'events', 'chain-head.log');
  editLines(headFile, (lines) => lines.slice(0, -1));
  assert.equal(JSON.parse(readFileSync(headFile, 'utf8').trim().split('\n').pop()!).count, 2);
  const result = verifyAuditChain(stateDir);
  assert.equal(result.ok, true, JSON.stringify(result));
  const warnings: string[] = [];
  const log = new EventLog({ stateDir, immutable: true, now: () => new Date('2025-04-02T09:00:00Z'), onWarning: (m) => warnings.push(m) });
  log.append(sampleEvent({ id: 'evt_7' }));
  log.close();
  assert.deepEqual(warnings, []);
  const after = verifyAuditChain(stateDir);
  assert.equal(after.ok, true);
  if (after.ok) assert.deepEqual([after.records, after.files, after.unchained, after.lastId, after.headChecked], [7, [DAY1, DAY2], 0, 'evt_7', true]);
  // The head caught up: now cutting evt_7 is reported.
  editLines(join(stateDir, 'events', DAY2), (lines) => lines.slice(0, 3));
  assert.match(expectBreak(stateDir).message, /1 event missing at the end/);
});

test('an edited record whose hash was recomputed is still caught at the next link', (t) => {
  const { stateDir, file } = chainedLog(t);
  // A forger who re-hashes the edited record breaks the link from its successor instead.
  editLines(file(DAY1), (lines) => lines.map((l, i) => {
    if (i !== 0) return l;
    const record = JSON.parse(l);
    record.decision = 'blocked';
    return JSON.stringify({ ...record, hash: recordHash(record) });
  }));
  const result = expectBreak(stateDir);
  assert.deepEqual([result.problem, result.line, result.id], ['removed', 2, 'evt_2']);
  assert.match(result.message, /previous record was edited and re-hashed/);
});

test('a log without a chain or without files says what to do', (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-audit-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  assert.match(expectBreak(stateDir).message, /no event log .*--state-dir/);
  const log = new EventLog({ stateDir });
  log.append(sampleEvent());
  log.close();
  const result = expectBreak(stateDir);
  assert.equal(result.problem, 'unchained');
  assert.match(result.message, /immutable: true/);
});
