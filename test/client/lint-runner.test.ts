import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runPolicyLint } from '../../client/policy/lint-runner';

const root = join(__dirname, '..', '..');
const ktScript = join(root, 'dist', 'kt.js');
const kt = { runtime: process.execPath, ktScript, env: process.env };

test('Lint Policy Config reads the real `kt policy lint --format json` report (KT101 with its range)', { skip: !existsSync(ktScript) && 'dist/kt.js not built (npm run build)' }, async () => {
  const report = await runPolicyLint(kt, join(root, 'test', 'e2e', 'fixtures', 'policy-config.broken.yaml'));
  assert.equal(report.errorCount, 1);
  const [d] = report.diagnostics;
  assert.equal(d!.code, 'KT101');
  assert.equal(d!.severity, 'error');
  assert.match(d!.message, /Unknown provider in model group "fast-chat": "primray"/);
  assert.deepEqual(d!.range, { start: { line: 35, character: 18 }, end: { line: 35, character: 25 } });
});

test('a file that does not exist is a readable error, not a crash', { skip: !existsSync(ktScript) && 'dist/kt.js not built (npm run build)' }, async () => {
  await assert.rejects(runPolicyLint(kt, join(root, 'no-such-policy-config.yaml')), (err: Error) => {
    assert.match(err.message, /cannot read .*no-such-policy-config\.yaml/);
    assert.doesNotMatch(err.message, /at .*\.js:\d+/);
    return true;
  });
});
