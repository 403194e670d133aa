import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { run as keysCli } from '../../gateway/cli/keys';
import { run as eventsCli } from '../../gateway/cli/events';
import { run as auditCli } from '../../gateway/cli/audit';
import { EventLog } from '../../gateway/events/event-log';
import { KeyStore, allows, type KeyRecord } from '../../gateway/keys/key-store';
import { blockedEvent, sampleEvent } from '../events/fixtures/sample-events';
import { capture } from '../events/fixtures/cli-io';
import { startEventsServer } from '../events/fixtures/events-server';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('canary: after creating keys and recording their use, no plain key is in any file or output but dev-key', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-canary-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const outputs: string[] = [];
  const cli = async (run: typeof keysCli, argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const c = capture({ env });
    const code = await run(argv, c.io);
    outputs.push(c.stdout(), c.stderr());
    return { code, out: c.stdout() };
  };

  const store = new KeyStore(stateDir);
  const devKey = store.ensureDevKey() as string;
  const appKey = (await cli(keysCli, ['create', '--name', 'app', '--groups', 'fast-chat', '--state-dir', stateDir])).out.trim();
  const adminKey = (await cli(keysCli, ['create', '--name', 'ops', '--admin', '--state-dir', stateDir])).out.trim();
  // The one place a key is meant to appear is create's own stdout; every output from here on is checked.
  outputs.length = 0;

  // What the gateway does per request: authenticate, check scope, record the decision by key name.
  const log = new EventLog({ stateDir, immutable: true });
  for (const [key, group] of [[appKey, 'fast-chat'], [appKey, 'premium-chat'], [adminKey, 'premium-chat'], [devKey, 'fast-chat']]) {
    const record = store.authenticate(`Bearer ${key}`) as KeyRecord;
    const allowed = allows(record, { group, model: group });
    log.append(allowed === true
      ? sampleEvent({ key_id: record.name, model: group, model_group: group })
      : blockedEvent({ key_id: record.name, model: group, model_group: group, reason: allowed }));
  }
  await cli(keysCli, ['revoke', 'app', '--state-dir', stateDir]);
  const server = await startEventsServer(log, { adminKey });
  t.after(() => server.close());
  await cli(keysCli, ['list', '--state-dir', stateDir]);
  await cli(keysCli, ['list', '--state-dir', stateDir, '--output', 'json']);
  await cli(eventsCli, ['tail', '--state-dir', stateDir, '--output', 'json']);
  await cli(eventsCli, ['tail', '--state-dir', stateDir]);
  await cli(eventsCli, ['stats', '--state-dir', stateDir, '--by', 'model']);
  await cli(eventsCli, ['tail', '--gateway', server.url, '--output', 'json'], { KT_GATEWAY_KEY: adminKey });
  await cli(eventsCli, ['tail', '--gateway', server.url], { KT_GATEWAY_KEY: appKey });
  await cli(auditCli, ['verify', '--state-dir', stateDir]);
  log.close();

  assert.ok(outputs.join('').includes("key 'app' may not use model group 'premium-chat'"), 'the scope block was recorded');
  for (const key of [devKey, appKey, adminKey]) {
    const secret = key.slice('kt_gk_'.length);
    for (const file of filesUnder(stateDir)) {
      if (relative(stateDir, file) === 'dev-key') continue;
      assert.equal(readFileSync(file, 'utf8').includes(secret), false, `${relative(stateDir, file)} holds a plain key`);
    }
    outputs.forEach((output, index) => assert.equal(output.includes(secret), false, `output #${index} shows a plain key`));
  }
  assert.equal(readFileSync(join(stateDir, 'dev-key'), 'utf8').trim(), devKey);
});
