import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../gateway/cli/keys';
import { KeyStore, type KeyRecord } from '../../gateway/keys/key-store';
import { capture } from '../events/fixtures/cli-io';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-cli-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function keys(cwd: string, ...argv: string[]) {
  const c = capture({ cwd });
  const code = await run(argv, c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

test('create prints only the key on stdout, once, with hints on stderr', async (t) => {
  const cwd = tempDir(t);
  const created = await keys(cwd, 'create', '--name', 'ci', '--groups', 'fast-chat, premium-chat', '--admin');
  assert.equal(created.code, 0, created.err);
  assert.match(created.out, /^kt_gk_[0-9A-Za-z]{40}\n$/);
  assert.match(created.err, /Created key 'ci' \(groups: fast-chat, premium-chat, admin\)/);
  assert.match(created.err, /only time it is shown/);
  const key = created.out.trim();
  // Default state dir: ./.kt, owner-only folder and file.
  const stateDir = join(cwd, '.kt');
  assert.equal(statSync(stateDir).mode & 0o777, 0o700);
  assert.equal(statSync(join(stateDir, 'keys.json')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(stateDir, 'keys.json'), 'utf8').includes(key), false);
  const record = new KeyStore(stateDir).authenticate(`Bearer ${key}`) as KeyRecord;
  assert.deepEqual([record.name, record.groups, record.admin], ['ci', ['fast-chat', 'premium-chat'], true]);
});

test('list shows names, prefixes and scopes but no secret or hash; revoke marks the key', async (t) => {
  const cwd = tempDir(t);
  const stateDir = join(cwd, 'state');
  const first = (await keys(cwd, 'create', '--name', 'app', '--state-dir', stateDir)).out.trim();
  await keys(cwd, 'create', '--name', 'ci', '--groups', 'fast-chat', '--state-dir', stateDir);
  const table = await keys(cwd, 'list', '--state-dir', stateDir);
  assert.equal(table.code, 0);
  const lines = table.out.trimEnd().split('\n');
  assert.match(lines[0], /^NAME +PREFIX +GROUPS +ADMIN +CREATED +STATUS$/);
  assert.match(lines[1], new RegExp(`^app +${first.slice(0, 12)}… +\\(all\\) +no +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +active$`));
  assert.match(lines[2], /^ci +kt_gk_\w{6}… +fast-chat +no +.* active$/);
  assert.equal(table.out.includes(first), false);

  const revoked = await keys(cwd, 'revoke', 'app', '--state-dir', stateDir);
  assert.equal(revoked.code, 0);
  assert.match(revoked.out, /Revoked key 'app' \(kt_gk_\w{6}…\)\. Requests using it now get 401/);
  assert.match((await keys(cwd, 'revoke', 'app', '--state-dir', stateDir)).out, /already revoked on \d{4}-/);
  const json = await keys(cwd, 'list', '--state-dir', stateDir, '--output', 'json');
  const listed = JSON.parse(json.out) as Array<Record<string, unknown>>;
  assert.deepEqual(listed.map((k) => [k.name, k.revoked !== null]), [['app', true], ['ci', false]]);
  assert.equal(listed.some((k) => 'hash' in k), false);
  assert.deepEqual(new KeyStore(stateDir).authenticate(`Bearer ${first}`), { error: 'revoked' });
});

test('mistakes: duplicate name and unknown key exit 1, usage errors exit 2', async (t) => {
  const cwd = tempDir(t);
  await keys(cwd, 'create', '--name', 'ci');
  const duplicate = await keys(cwd, 'create', '--name', 'ci');
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.err, /a key named 'ci' already exists/);
  assert.equal(duplicate.out, '');
  const unknown = await keys(cwd, 'revoke', 'nobody');
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no key named 'nobody'/);
  for (const [argv, message] of [
    [['create'], /--name NAME is required/],
    [['create', '--name', 'x', '--grups', 'a'], /unknown option '--grups' \(did you mean --groups\?\)/],
    [['revoke'], /say which key/],
    [['revoke', 'a', 'b'], /unexpected argument 'b'/],
    [['rotate'], /unknown command 'rotate'/],
  ] as Array<[string[], RegExp]>) {
    const result = await keys(cwd, ...argv);
    assert.equal(result.code, 2, argv.join(' '));
    assert.match(result.err, message);
  }
});

test('list on a folder without keys says how to make one, and creates nothing', async (t) => {
  const cwd = tempDir(t);
  const result = await keys(cwd, 'list');
  assert.equal(result.code, 0);
  assert.match(result.out, /No keys in .*kt keys create --name NAME/);
  assert.equal(existsSync(join(cwd, '.kt')), false);
  for (const argv of [['--help'], ['create', '--help'], ['list', '-h'], ['revoke', '--help']]) {
    const help = await keys(cwd, ...argv);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: kt keys/);
  }
});

test('create --write-dev-key rotates the key the extension reads', async (t) => {
  const cwd = tempDir(t);
  const stateDir = join(cwd, '.kt');
  const first = new KeyStore(stateDir).ensureDevKey() as string;
  assert.equal((await keys(cwd, 'revoke', 'dev')).code, 0);
  const rotated = await keys(cwd, 'create', '--name', 'dev-2', '--admin', '--write-dev-key');
  assert.equal(rotated.code, 0, rotated.err);
  const key = rotated.out.trim();
  assert.notEqual(key, first);
  assert.equal(readFileSync(join(stateDir, 'dev-key'), 'utf8').trim(), key);
  assert.equal(statSync(join(stateDir, 'dev-key')).mode & 0o777, 0o600);
  assert.match(rotated.err, /dev-key/);
});
