import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStateDir } from '../../gateway/state-dir';

test('--state-dir wins, else .kt beside the config, else .kt in the working folder', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kt-state-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'conf'));
  assert.equal(resolveStateDir({ stateDir: 'custom', config: 'conf/policy-config.yaml', cwd: root }), join(root, 'custom'));
  assert.equal(resolveStateDir({ config: 'conf/policy-config.yaml', cwd: root }), join(root, 'conf', '.kt'));
  assert.equal(resolveStateDir({ cwd: root }), join(root, '.kt'));
  for (const dir of ['custom', 'conf/.kt', '.kt']) assert.equal(statSync(join(root, dir)).mode & 0o777, 0o700, dir);
  assert.equal(resolveStateDir({ stateDir: '/abs/elsewhere', cwd: root, create: false }), '/abs/elsewhere');
  assert.equal(existsSync('/abs/elsewhere'), false);
});
