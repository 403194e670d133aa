import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore, allows, hashKey, type KeyRecord } from '../../gateway/keys/key-store';

function tempStore(t: { after: (fn: () => void) => void }): KeyStore {
  const dir = mkdtempSync(join(tmpdir(), 'kt-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new KeyStore(dir);
}

function created(result: ReturnType<KeyStore['create']>): { key: string; record: KeyRecord } {
  if ('error' in result) throw new Error(result.error);
  return result;
}

test('create returns a kt_gk_ key once and stores only its hash, owner-only', (t) => {
  const store = tempStore(t);
  const { key, record } = created(store.create({ name: 'ci', groups: ['fast-chat', ' premium-chat '] }));
  assert.match(key, /^kt_gk_[0-9A-Za-z]{40}$/);
  assert.deepEqual(record.groups, ['fast-chat', 'premium-chat']);
  assert.equal(record.admin, false);
  assert.equal(record.hash, hashKey(key));
  assert.equal(record.prefix, key.slice(0, 12));
  const text = readFileSync(store.path, 'utf8');
  assert.equal(text.includes(key), false);
  assert.equal(text.includes(key.slice(12)), false);
  assert.equal(statSync(store.path).mode & 0o777, 0o600);
  assert.notEqual(created(store.create({ name: 'other' })).key, key);
});

test('names must be unique and well-formed', (t) => {
  const store = tempStore(t);
  created(store.create({ name: 'ci' }));
  const duplicate = store.create({ name: 'ci' });
  assert.ok('error' in duplicate);
  assert.match(duplicate.error, /already exists \(names stay taken after a revoke\): pick another name/);
  const bad = store.create({ name: 'has space' });
  assert.ok('error' in bad);
  assert.match(bad.error, /invalid key name/);
});

test('authenticate: missing, unknown, revoked and valid keys', (t) => {
  const store = tempStore(t);
  const { key } = created(store.create({ name: 'app', admin: true }));
  assert.deepEqual(store.authenticate(undefined), { error: 'missing' });
  assert.deepEqual(store.authenticate(''), { error: 'missing' });
  assert.deepEqual(store.authenticate(`Basic ${key}`), { error: 'missing' });
  assert.deepEqual(store.authenticate(`Bearer ${key}x`), { error: 'unknown' });
  assert.deepEqual(store.authenticate('Bearer kt_gk_nope'), { error: 'unknown' });
  const ok = store.authenticate(`bearer  ${key}`);
  assert.ok(!('error' in ok));
  assert.equal(ok.name, 'app');
  // The second time the token is served from the cache of authenticated tokens: same answer.
  assert.equal(store.authenticate(`Bearer ${key}`), ok);
  assert.equal(store.authenticate(`bearer  ${key}`), ok);
  assert.deepEqual(store.authenticate(`Bearer ${key}x`), { error: 'unknown' });
  const revoked = store.revoke('app');
  assert.ok(!('error' in revoked) && revoked.revoked);
  assert.deepEqual(store.authenticate(`Bearer ${key}`), { error: 'revoked' });
  assert.deepEqual(store.authenticate(`bearer  ${key}`), { error: 'revoked' }, 'the header cached as first sent sees the revoke too');
});

test('a running gateway sees keys created and revoked by another process', async (t) => {
  const gateway = tempStore(t);
  t.after(() => gateway.close());
  const cli = new KeyStore(gateway.stateDir);
  assert.deepEqual(gateway.authenticate('Bearer kt_gk_x'), { error: 'unknown' });
  const { key } = created(cli.create({ name: 'late' }));
  assert.equal((gateway.authenticate(`Bearer ${key}`) as KeyRecord).name, 'late', 'a new key works at once');
  cli.revoke('late');
  // A revoke reaches the gateway through the folder watch (or its once-a-second stat).
  const deadline = Date.now() + 3000;
  while (!('error' in gateway.authenticate(`Bearer ${key}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(gateway.authenticate(`Bearer ${key}`), { error: 'revoked' });
});

test('list never carries secrets; revoke of an unknown name is an error value', (t) => {
  const store = tempStore(t);
  const { key } = created(store.create({ name: 'a' }));
  created(store.create({ name: 'b', groups: ['fast-chat'] }));
  const listed = store.list();
  assert.deepEqual(listed.map((r) => [r.name, r.groups, r.revoked]), [['a', [], null], ['b', ['fast-chat'], null]]);
  assert.equal(JSON.stringify(listed).includes(key), false);
  const missing = store.revoke('zzz');
  assert.ok('error' in missing);
  assert.match(missing.error, /no key named 'zzz'.*kt keys list/);
});

test('allows: unscoped keys may use everything, scoped keys only their groups', (t) => {
  const store = tempStore(t);
  const all = created(store.create({ name: 'all' })).record;
  const scoped = created(store.create({ name: 'scoped', groups: ['fast-chat', 'gpt-4o'] })).record;
  assert.equal(allows(all, { group: 'premium-chat', model: 'premium-chat' }), true);
  assert.equal(allows(scoped, { group: 'fast-chat', model: 'fast-chat' }), true);
  assert.equal(allows(scoped, { group: null, model: 'gpt-4o' }), true);
  assert.equal(allows(scoped, { group: 'premium-chat', model: 'premium-chat' }), "key 'scoped' may not use model group 'premium-chat'; it is limited to: fast-chat, gpt-4o");
  assert.match(String(allows(scoped, { model: 'claude-haiku' })), /may not use model 'claude-haiku'/);
});

test('ensureDevKey creates an admin dev key once and leaves it for the extension', (t) => {
  const store = tempStore(t);
  const key = store.ensureDevKey();
  assert.ok(key);
  assert.equal(readFileSync(store.devKeyPath, 'utf8').trim(), key);
  assert.equal(statSync(store.devKeyPath).mode & 0o777, 0o600);
  const record = store.authenticate(`Bearer ${key}`) as KeyRecord;
  assert.deepEqual([record.name, record.admin, record.groups], ['dev', true, []]);
  assert.equal(store.ensureDevKey(), undefined);
  assert.equal(new KeyStore(store.stateDir).ensureDevKey(), undefined);
});

test('a hand-broken keys.json is reported with what to do', (t) => {
  const store = tempStore(t);
  writeFileSync(store.path, '{ not json');
  assert.throws(() => store.list(), /keys\.json is not valid JSON .*kt keys create/);
});
