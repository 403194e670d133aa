import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../gateway/cli/events';
import { EventLog } from '../../gateway/events/event-log';
import type { DecisionEvent } from '../../gateway/events/decision-event';
import { abEvent, fallbackEvent, sampleEvent } from '../events/fixtures/sample-events';
import { capture } from '../events/fixtures/cli-io';
import { startEventsServer } from '../events/fixtures/events-server';

const KEY = 'kt_gk_gatewaytestkey000000000000000000000';

async function setup(t: { after: (fn: () => unknown) => void }) {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-cli-gw-'));
  const log = new EventLog({ stateDir });
  const events = [sampleEvent(), fallbackEvent(), abEvent('control'), abEvent('experiment')].map((e) => log.append(e));
  const server = await startEventsServer(log, { adminKey: KEY });
  t.after(async () => {
    await server.close();
    log.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { stateDir, events, url: server.url };
}

test('tail --gateway with --key, $KT_GATEWAY_KEY or <state>/dev-key', async (t) => {
  const { stateDir, events, url } = await setup(t);
  const viaFlag = capture();
  assert.equal(await run(['tail', '--gateway', url, '--key', KEY, '--output', 'json', '--filter', 'model=reliable-chat'], viaFlag.io), 0, viaFlag.stderr());
  assert.deepEqual((JSON.parse(viaFlag.stdout()) as DecisionEvent[]).map((e) => e.id), [events[1].id]);

  const viaEnv = capture({ env: { KT_GATEWAY_KEY: KEY } });
  assert.equal(await run(['tail', '--gateway', url, '--output', 'json', '--limit', '2'], viaEnv.io), 0, viaEnv.stderr());
  assert.deepEqual((JSON.parse(viaEnv.stdout()) as DecisionEvent[]).map((e) => e.id), [events[3].id, events[2].id]);

  writeFileSync(join(stateDir, 'dev-key'), `${KEY}\n`, { mode: 0o600 });
  const viaDevKey = capture();
  assert.equal(await run(['stats', '--gateway', `${url}/`, '--state-dir', stateDir, '--by', 'tag', '--output', 'json'], viaDevKey.io), 0, viaDevKey.stderr());
  assert.deepEqual(JSON.parse(viaDevKey.stdout()).buckets.map((b: { key: string | null }) => b.key), [null, 'control', 'experiment']);
});

test('gateway failures exit 1 with what to do, and never echo the key', async (t) => {
  const { url, stateDir } = await setup(t);
  const wrongKey = 'kt_gk_wrongkeywrongkeywrongkeywrongkey00';
  const denied = capture();
  assert.equal(await run(['tail', '--gateway', url, '--key', wrongKey], denied.io), 1);
  assert.match(denied.stderr(), /answered 401: missing or unknown gateway key \(pass --key, set KT_GATEWAY_KEY/);
  assert.equal(denied.stderr().includes(wrongKey), false);

  const down = capture();
  assert.equal(await run(['tail', '--gateway', 'http://127.0.0.1:9', '--key', KEY], down.io), 1);
  assert.match(down.stderr(), /cannot reach the gateway at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\): is it running\? Start it with 'kt gateway start'/);

  const notUrl = capture();
  assert.equal(await run(['tail', '--gateway', 'not a url', '--key', KEY], notUrl.io), 1);
  assert.match(notUrl.stderr(), /is not a URL/);

  const noKey = capture({ cwd: stateDir });
  assert.equal(await run(['tail', '--gateway', url], noKey.io), 2);
  assert.match(noKey.stderr(), /no gateway key: pass --key, set KT_GATEWAY_KEY/);
});
