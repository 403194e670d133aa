import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamError } from '../../gateway/providers/provider';
import { anthropic } from '../../gateway/providers/anthropic';
import { azureOpenAI } from '../../gateway/providers/azure-openai';
import { openai } from '../../gateway/providers/openai';
import { createDispatcher, openAIErrorShape, parseRetryAfter, redact, routeFor } from '../../gateway/providers/upstream';
import { startFakeAnthropic, startFakeAzure, startFakeOpenAI, type FakeBehavior } from '../fakes';
import { attempt, chat, collect, upstreamFailure } from './attempt';
import { closedPort } from '../support/closed-port';

test('parseRetryAfter: ms header wins, seconds, HTTP date, junk ignored', () => {
  assert.equal(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }), 250);
  assert.equal(parseRetryAfter({ 'retry-after': '2' }), 2000);
  assert.equal(parseRetryAfter({ 'retry-after': '0.5' }), 500);
  const date = new Date(Date.now() + 30_000).toUTCString();
  const ms = parseRetryAfter({ 'retry-after': date })!;
  assert.ok(ms > 25_000 && ms <= 30_000, String(ms));
  assert.equal(parseRetryAfter({ 'retry-after': 'soon' }), undefined);
  assert.equal(parseRetryAfter({ 'retry-after-ms': '' }), undefined);
  assert.equal(parseRetryAfter({}), undefined);
});

test('routeFor joins paths and keeps or adds query parameters', () => {
  assert.deepEqual(routeFor('https://api.openai.com/v1', 'chat/completions'), { origin: 'https://api.openai.com', path: '/v1/chat/completions' });
  assert.deepEqual(routeFor('http://h:8080/v1/', '/chat/completions'), { origin: 'http://h:8080', path: '/v1/chat/completions' });
  assert.equal(routeFor('https://x/a?api-version=1', 'b', { 'api-version': '2' }).path, '/a/b?api-version=1');
});

test('redact scrubs every occurrence of the key but leaves placeholders alone', () => {
  assert.equal(redact('key sk-abcdef123 and sk-abcdef123', 'sk-abcdef123'), 'key *** and ***');
  assert.equal(redact('Bearer abc', 'abc'), 'Bearer abc'); // too short to be a real key
  assert.equal(redact('nothing here', undefined), 'nothing here');
});

test('openAIErrorShape normalises OpenAI, Azure and native Ollama error payloads', () => {
  assert.deepEqual(openAIErrorShape({ error: { message: 'm', type: 't', param: 'p', code: 'c' } }, 400), { error: { message: 'm', type: 't', param: 'p', code: 'c' } });
  assert.deepEqual(openAIErrorShape({ error: { code: 'DeploymentNotFound', message: 'gone' } }, 404), { error: { message: 'gone', type: 'not_found_error', param: null, code: 'DeploymentNotFound' } });
  assert.deepEqual(openAIErrorShape({ error: 'model "x" not found' }, 404), { error: { message: 'model "x" not found', type: 'not_found_error', param: null, code: null } });
  assert.equal(openAIErrorShape(null, 502).error.type, 'server_error');
});

test('createDispatcher: clear errors for bad base URLs; mock targets get an idle dispatcher', async () => {
  assert.throws(() => createDispatcher('not a url'), /not a valid URL/);
  assert.throws(() => createDispatcher('ftp://x'), /must start with http/);
  const d = createDispatcher({ id: 'm', type: 'mock', baseUrl: 'mock://local' });
  await d.close();
});

test('connection refused maps to connect for every HTTP provider', async () => {
  const base = `http://127.0.0.1:${await closedPort()}`;
  for (const [provider, path] of [[openai, '/v1'], [azureOpenAI, '/openai/deployments/gpt-4o/'], [anthropic, '/v1']] as const) {
    const ctx = attempt({ type: provider.type, baseUrl: base + path }, { model: 'm', key: 'some-key-123456' });
    try {
      const err = await upstreamFailure(provider.stream(chat(), ctx));
      assert.equal(err.kind, 'connect', provider.type);
      assert.equal(err.retryable, true);
    } finally { await ctx.close(); }
  }
});

test('no key value appears in any error message, across providers and failure modes', async () => {
  // Each fake is set to echo the key back in its error text, the worst case for a leak.
  const key = 'sk-secret-value-0123456789';
  const fakes = [
    { fake: await startFakeOpenAI({ key }), provider: openai },
    { fake: await startFakeAzure({ key }), provider: azureOpenAI },
    { fake: await startFakeAnthropic({ key }), provider: anthropic },
  ];
  const behaviours: FakeBehavior[] = [
    { failStatus: 400, errorMessage: `invalid key ${key}` },
    { failStatus: 429, errorMessage: `slow down ${key}` },
    { failStatus: 500, errorMessage: `oops ${key}` },
    { malformedJson: true },
    { wrongContentType: true },
    { reset: 'before-headers' },
    { reset: 'mid-body' },
    { garbageSseLine: true },
    { streamErrorAfterChunks: 1 },
  ];
  try {
    let checked = 0;
    for (const { fake, provider } of fakes) {
      const wrong = attempt({ type: provider.type, baseUrl: fake.baseUrl }, { model: 'gpt-4o', key: key + '-wrong' });
      const ctx = attempt({ type: provider.type, baseUrl: fake.baseUrl }, { model: 'gpt-4o', key });
      try {
        const errors: UpstreamError[] = [await upstreamFailure(provider.complete(chat(), wrong))];
        for (const b of behaviours) {
          fake.setBehavior(b);
          errors.push(await upstreamFailure(provider.complete(chat(), ctx)).catch((e) => e));
          errors.push(await upstreamFailure(provider.stream(chat('a b c'), ctx).then(collect)).catch((e) => e));
        }
        for (const err of errors) {
          if (!(err instanceof UpstreamError)) continue; // some modes do not fail both ways
          checked++;
          const text = `${err.message} ${JSON.stringify(err.body ?? {})} ${err.stack ?? ''}`;
          assert.ok(!text.includes(key), `${provider.type}: ${err.message}`);
        }
      } finally { await wrong.close(); await ctx.close(); }
    }
    assert.ok(checked >= 30, `checked ${checked} errors`);
  } finally {
    for (const { fake } of fakes) await fake.close();
  }
});
