import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../gateway/cli/events';
import { EventLog } from '../../gateway/events/event-log';
import { blockedEvent, fallbackEvent, sampleEvent } from '../events/fixtures/sample-events';
import { capture } from '../events/fixtures/cli-io';
import { startEventsServer } from '../events/fixtures/events-server';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-follow-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('--follow on the state dir prints the newest events, then each new one as it is written', async (t) => {
  const stateDir = tempDir(t);
  let now = new Date('2025-05-01T23:59:59Z');
  const log = new EventLog({ stateDir, now: () => now });
  const old = [sampleEvent(), fallbackEvent(), sampleEvent()].map((e) => log.append(e));
  const stop = new AbortController();
  const c = capture({ signal: stop.signal });
  const done = run(['tail', '--state-dir', stateDir, '--follow', '--output', 'json', '--limit', '2'], c.io);
  await c.waitFor(old[2].id);
  const initial = c.stdout().trimEnd().split('\n').map((line) => JSON.parse(line).id);
  assert.deepEqual(initial, [old[1].id, old[2].id], 'the newest two, oldest first, one object per line');

  const fresh = log.append(fallbackEvent());
  // How fast is a benchmark figure (bench/events-delivery.mjs), not an assertion on a shared machine.
  await c.waitFor(fresh.id);

  // Midnight UTC: the log moves to a new day file and the follower moves with it.
  now = new Date('2025-05-02T00:00:01Z');
  const nextDay = log.append(blockedEvent());
  await c.waitFor(nextDay.id);
  stop.abort();
  assert.equal(await done, 0);
  log.close();
  const lines = c.stdout().trimEnd().split('\n').map((line) => JSON.parse(line).id);
  assert.deepEqual(lines, [old[1].id, old[2].id, fresh.id, nextDay.id]);
});

test('--follow with a filter and table output prints matching rows under a header', async (t) => {
  const stateDir = tempDir(t);
  const log = new EventLog({ stateDir });
  const stop = new AbortController();
  const c = capture({ signal: stop.signal });
  const done = run(['tail', '--state-dir', stateDir, '--follow', '--filter', 'decision=blocked'], c.io);
  await c.waitFor('TIME');
  log.append(sampleEvent());
  log.append(blockedEvent());
  await c.waitFor('blocked 403');
  stop.abort();
  assert.equal(await done, 0);
  log.close();
  const lines = c.stdout().trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^TIME +MODEL +RESOLVED/);
  assert.match(lines[1], /premium-chat .* blocked 403/);
});

test('--follow against a gateway streams each new event over SSE', async (t) => {
  const stateDir = tempDir(t);
  const log = new EventLog({ stateDir });
  const first = log.append(sampleEvent());
  const key = 'kt_gk_followtestkey0000000000000000000000';
  const server = await startEventsServer(log, { adminKey: key });
  t.after(() => server.close());
  const stop = new AbortController();
  const c = capture({ signal: stop.signal, env: { KT_GATEWAY_KEY: key } });
  const done = run(['tail', '--gateway', server.url, '--follow', '--output', 'json'], c.io);
  await c.waitFor(first.id);
  const fresh = log.append(fallbackEvent());
  // How fast is a benchmark figure (bench/events-delivery.mjs), not an assertion on a shared machine.
  await c.waitFor(fresh.id);
  stop.abort();
  assert.equal(await done, 0, c.stderr());
  log.close();
  assert.deepEqual(c.stdout().trimEnd().split('\n').map((line) => JSON.parse(line).id), [first.id, fresh.id]);
});

test('--follow against a gateway that stops exits 1 saying so', async (t) => {
  const stateDir = tempDir(t);
  const log = new EventLog({ stateDir });
  const key = 'kt_gk_followtestkey0000000000000000000000';
  const server = await startEventsServer(log, { adminKey: key });
  const c = capture({ env: { KT_GATEWAY_KEY: key } });
  const done = run(['tail', '--gateway', server.url, '--follow'], c.io);
  await c.waitFor('TIME');
  await server.close();
  assert.equal(await done, 1);
  assert.match(c.stderr(), /closed the event stream/);
  log.close();
});
