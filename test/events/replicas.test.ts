// Several gateways on one state dir: each replica its own day files, chain and lock; reads cover all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditChain } from '../../gateway/events/audit';
import { dayFileName, dayOfFile, listDayFiles, listReplicas, replicaOfFile } from '../../gateway/events/day-files';
import { EventLog } from '../../gateway/events/event-log';
import { followEventLog } from '../../gateway/events/follow';
import { EventLogLockedError } from '../../gateway/events/writer-lock';
import { sampleEvent } from './fixtures/sample-events';

function stateDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-replicas-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const NOW = new Date('2026-12-04T10:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

test('file names carry the replica id; the unnamed replica keeps the old name', () => {
  assert.equal(dayFileName('2026-12-04'), 'events-2026-12-04.jsonl');
  assert.equal(dayFileName('2026-12-04', 'gw-2'), 'events-gw-2-2026-12-04.jsonl');
  assert.deepEqual([replicaOfFile('events-gw-2-2026-12-04.jsonl'), dayOfFile('events-gw-2-2026-12-04.jsonl')], ['gw-2', '2026-12-04']);
  assert.deepEqual([replicaOfFile('events-2026-12-04.jsonl'), dayOfFile('events-2026-12-04.jsonl')], [null, '2026-12-04']);
  assert.equal(replicaOfFile('events-2026.jsonl'), undefined);
});

test('two replicas write their own files and chains; a query merges them newest first; verify checks each', (t) => {
  const dir = stateDir(t);
  const a = new EventLog({ stateDir: dir, immutable: true, replica: 'a', exclusive: true, now: () => NOW });
  const b = new EventLog({ stateDir: dir, immutable: true, replica: 'b', exclusive: true, now: () => NOW });
  for (let i = 0; i < 10; i++) (i % 3 === 0 ? b : a).append(sampleEvent({ id: `evt_${String(i).padStart(2, '0')}`, ts: at(i * 1000) }));
  const files = readdirSync(join(dir, 'events')).filter((f) => f.endsWith('.jsonl')).sort();
  assert.deepEqual(files, ['events-a-2026-12-04.jsonl', 'events-b-2026-12-04.jsonl']);
  assert.deepEqual(listReplicas(join(dir, 'events')), ['a', 'b']);
  assert.deepEqual(a.query({ limit: 100 }).map((e) => e.id), ['evt_09', 'evt_08', 'evt_07', 'evt_06', 'evt_05', 'evt_04', 'evt_03', 'evt_02', 'evt_01', 'evt_00']);
  assert.deepEqual(b.query({ limit: 3 }).map((e) => e.id), ['evt_09', 'evt_08', 'evt_07']);
  a.close();
  b.close();

  const ok = verifyAuditChain(dir);
  assert.equal(ok.ok, true);
  if (ok.ok) {
    assert.equal(ok.records, 10);
    assert.deepEqual(ok.replicas.map((r) => [r.replica, r.records]), [['a', 6], ['b', 4]]);
  }
  // Each chain is checked on its own: deleting a record of b is named as b's.
  const bFile = join(dir, 'events', 'events-b-2026-12-04.jsonl');
  const lines = readFileSync(bFile, 'utf8').split('\n').filter(Boolean);
  writeFileSync(bFile, [lines[0], ...lines.slice(2)].map((l) => `${l}\n`).join(''));
  const broken = verifyAuditChain(dir);
  assert.equal(broken.ok, false);
  if (!broken.ok) {
    assert.equal(broken.problem, 'removed');
    assert.match(broken.message, /^replica b: events-b-2026-12-04\.jsonl line 2/);
  }
});

test('a restarted replica continues its own chain, not another replica\'s', (t) => {
  const dir = stateDir(t);
  const a = new EventLog({ stateDir: dir, immutable: true, replica: 'a', now: () => NOW });
  const b = new EventLog({ stateDir: dir, immutable: true, replica: 'b', now: () => NOW });
  a.append(sampleEvent({ ts: at(0) }));
  b.append(sampleEvent({ ts: at(1) }));
  a.close();
  const again = new EventLog({ stateDir: dir, immutable: true, replica: 'a', now: () => NOW });
  again.append(sampleEvent({ ts: at(2) }));
  again.close();
  b.close();
  assert.equal(verifyAuditChain(dir).ok, true);
  assert.deepEqual(listDayFiles(join(dir, 'events'), 'a'), ['events-a-2026-12-04.jsonl']);
});

test('the writer lock refuses a second writer of the same replica, and is free again after close', (t) => {
  const dir = stateDir(t);
  const first = new EventLog({ stateDir: dir, exclusive: true });
  assert.throws(() => new EventLog({ stateDir: dir, exclusive: true }), (error: Error) => error instanceof EventLogLockedError && /already writes the events of the unnamed replica/.test(error.message));
  const other = new EventLog({ stateDir: dir, exclusive: true, replica: 'r2' });
  const reader = new EventLog({ stateDir: dir });
  reader.close();
  first.close();
  other.close();
  const again = new EventLog({ stateDir: dir, exclusive: true });
  again.close();
});

test('a lock left by a gateway that died is taken over; a live one names its pid and what to do', (t) => {
  const dir = stateDir(t);
  const events = join(dir, 'events');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  mkdirSync(events, { recursive: true });
  writeFileSync(join(events, 'writer.lock'), JSON.stringify({ pid: deadPid, host: hostname(), started: '2026-12-01T00:00:00Z' }));
  const taken = new EventLog({ stateDir: dir, exclusive: true });
  assert.equal(JSON.parse(readFileSync(join(events, 'writer.lock'), 'utf8')).pid, process.pid);
  taken.close();

  writeFileSync(join(events, 'writer-live.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), started: '2026-12-01T00:00:00Z' }));
  assert.throws(() => new EventLog({ stateDir: dir, exclusive: true, replica: 'live' }), (error: Error) =>
    new RegExp(`another gateway \\(pid ${process.ppid}, since 2026-12-01T00:00:00Z\\) writes the events of replica 'live'.*--replica-id`).test(error.message));
  writeFileSync(join(events, 'writer-far.lock'), JSON.stringify({ pid: 1, host: 'some-other-host', started: '2026-12-01T00:00:00Z' }));
  assert.throws(() => new EventLog({ stateDir: dir, exclusive: true, replica: 'far' }), /on host some-other-host.*if it is gone, delete .*writer-far\.lock/);
});

test('following the log delivers every replica\'s new events, including a replica that starts later', async (t) => {
  const dir = stateDir(t);
  const a = new EventLog({ stateDir: dir, replica: 'a' });
  a.append(sampleEvent({ id: 'evt_before' }));
  const feed = followEventLog(dir, { pollMs: 10 });
  const b = new EventLog({ stateDir: dir, replica: 'b' });
  a.append(sampleEvent({ id: 'evt_a1' }));
  b.append(sampleEvent({ id: 'evt_b1' }));
  const seen: string[] = [];
  for await (const event of feed.events) {
    seen.push(event.id);
    if (seen.length === 2) break;
  }
  feed.close();
  a.close();
  b.close();
  assert.deepEqual(seen.sort(), ['evt_a1', 'evt_b1']);
});
