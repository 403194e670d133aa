import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidEnvName, keyEnvNames, parseLintReport, providerKeyEnv } from '../../client/policy/policy-files';
import { eventAsCurl } from '../../client/events/event-curl';
import { decisionEvent } from './fixtures/events';

test('keyEnvNames lists every secret_key_ref.env of a config once, in order', () => {
  const text = readFileSync(join(__dirname, 'fixtures', 'keys.policy.yaml'), 'utf8');
  assert.deepEqual(keyEnvNames(text), ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OLLAMA_DUMMY_KEY']);
  assert.deepEqual(keyEnvNames('model_groups: [\n'), []);
  assert.deepEqual(keyEnvNames(''), []);
});

test('isValidEnvName accepts portable env names only', () => {
  assert.ok(isValidEnvName('OPENAI_API_KEY'));
  assert.ok(!isValidEnvName('1KEY'));
  assert.ok(!isValidEnvName('MY-KEY'));
  assert.ok(!isValidEnvName(''));
});

test('parseLintReport reads kt policy lint --format json and explains output that is not JSON', () => {
  const json = JSON.stringify({
    file: 'policy-config.yaml',
    diagnostics: [{ code: 'KT101', severity: 'error', message: 'Unknown provider in model group: "opneai"', range: { start: { line: 6, character: 16 }, end: { line: 6, character: 22 } } }],
    errorCount: 1,
    warningCount: 0,
  });
  const report = parseLintReport(json);
  assert.equal(report.errorCount, 1);
  assert.equal(report.diagnostics[0]!.code, 'KT101');
  assert.equal(report.diagnostics[0]!.range.start.line, 6);
  assert.throws(() => parseLintReport('Error: unknown flag --format\n'), /did not print JSON: Error: unknown flag --format/);
  assert.throws(() => parseLintReport('{"file":"x"}'), /without a "diagnostics" list/);
});

test('eventAsCurl replays the request shape with the key from $KT_GATEWAY_KEY, never the key itself', () => {
  const curl = eventAsCurl(decisionEvent({ model: "it's-group", session_id: 'conv-1', stream: true }), 'http://127.0.0.1:41002/');
  assert.match(curl, /curl -sN 'http:\/\/127\.0\.0\.1:41002\/v1\/chat\/completions'/);
  assert.match(curl, /Authorization: Bearer \$KT_GATEWAY_KEY/);
  assert.match(curl, /-H 'x-session-id: conv-1'/);
  assert.match(curl, /"model":"it'\\''s-group"/);
  assert.match(curl, /"stream":true/);
  assert.doesNotMatch(curl, /kt_gk_/);
});

test('eventAsCurl replays an event on the route it came in on', () => {
  const messages = eventAsCurl(decisionEvent({ api: 'messages', model: 'fast-chat' }), 'http://127.0.0.1:41002');
  assert.match(messages, /'http:\/\/127\.0\.0\.1:41002\/v1\/messages'/);
  assert.match(messages, /"max_tokens":1024/);
  const responses = eventAsCurl(decisionEvent({ api: 'responses', model: 'fast-chat', stream: true }), 'http://127.0.0.1:41002');
  assert.match(responses, /curl -sN 'http:\/\/127\.0\.0\.1:41002\/v1\/responses'/);
  assert.match(responses, /\{"model":"fast-chat","input":"Hello","stream":true\}/);
  const embeddings = eventAsCurl(decisionEvent({ api: 'embeddings', model: 'embed' }), 'http://h');
  assert.match(embeddings, /'http:\/\/h\/v1\/embeddings'/);
  assert.match(embeddings, /\{"model":"embed","input":"Hello"\}/);
  assert.match(eventAsCurl(decisionEvent({ api: undefined }), 'http://h'), /\/v1\/chat\/completions/, 'events from before api was recorded are chat');
});

test('providerKeyEnv passes only the stored keys the config names, and nothing for a config that does not parse', async () => {
  const text = readFileSync(join(__dirname, 'fixtures', 'keys.policy.yaml'), 'utf8');
  const store = new Map([
    ['OPENAI_API_KEY', 'sk-openai-canary'],
    ['UNRELATED_KEY', 'sk-not-named-by-the-config'],
  ]);
  const lookup = async (name: string) => store.get(name);
  assert.deepEqual(await providerKeyEnv(text, lookup), { OPENAI_API_KEY: 'sk-openai-canary' });
  assert.deepEqual(await providerKeyEnv('providers: [\n  - {', lookup), {});
});
