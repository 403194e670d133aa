// The audit-logger policy as the gateway applies it: access events and a hash chain that verifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { verifyAuditChain } from '../../gateway/events/audit';
import { startFakeOpenAI, FAKE_OPENAI_KEY } from '../fakes';
import { startTestGateway, hello, target } from './harness';

const config = `providers:
  targets:
    - id: local
      provider:
        type: mock
        base_url: mock://local
policies:
  chain:
    - audit-logger
policy:
  audit-logger:
    immutable: true
    retention_days: 30
    log_all_access: true
model_groups:
  - name: chat
    models:
      - provider: local
        model: mock-model
`;

test('log_all_access records model listings, events reads and auth failures; the chain verifies', async () => {
  const gw = await startTestGateway(config);
  try {
    await gw.client.chat.completions.create({ model: 'chat', messages: hello });
    assert.equal((await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${gw.key}` } })).status, 200);
    assert.equal((await fetch(`${gw.url}/v1/models?token=secret-in-query`)).status, 401);
    assert.equal((await fetch(`${gw.url}/kt/v1/events?limit=5`, { headers: { authorization: `Bearer ${gw.key}` } })).status, 200);

    const events = gw.events();
    assert.deepEqual(events.map((e) => [e.kind, e.path ?? e.model, e.http_status, e.decision]), [
      ['request', 'chat', 200, 'allowed'],
      ['access', 'GET /v1/models', 200, 'allowed'],
      ['access', 'GET /v1/models', 401, 'blocked'],
      ['access', 'GET /kt/v1/events', 200, 'allowed'],
    ]);
    assert.equal(events[1].key_id, 'test');
    assert.equal(events[2].key_id, null);
    assert.ok(events.every((e) => typeof e.hash === 'string' && typeof e.prev_hash === 'string'), 'immutable: every record is chained');
    assert.ok(!JSON.stringify(events).includes('secret-in-query'), 'query strings stay out of the log');
    const verdict = verifyAuditChain(join(gw.dir, '.kt'));
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
  } finally {
    await gw.close();
  }
});

test('a burst of 200 concurrent requests leaves 200 events, one per answer, in a chain that verifies', async () => {
  const upstream = await startFakeOpenAI();
  const gw = await startTestGateway(`providers:
  targets:
${target('openai', upstream.baseUrl)}policies:
  chain:
    - audit-logger
policy:
  audit-logger:
    immutable: true
model_groups:
  - name: chat
    models:
      - provider: openai
        model: gpt-4o-mini
`, { env: { OPENAI_KEY: FAKE_OPENAI_KEY } });
  try {
    const count = 200;
    // Half streamed, half not, all in flight at once: their appends interleave in the one log.
    const ids = await Promise.all(Array.from({ length: count }, async (_, i) => {
      if (i % 2 === 0) {
        const { data, response } = await gw.client.chat.completions.create({ model: 'chat', messages: hello }).withResponse();
        assert.ok(data.choices[0].message.content);
        return response.headers.get('x-kt-event-id');
      }
      const { data: stream, response } = await gw.client.chat.completions.create({ model: 'chat', messages: hello, stream: true }).withResponse();
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.ok(text);
      return response.headers.get('x-kt-event-id');
    }));
    const events = gw.events();
    assert.equal(events.length, count);
    assert.deepEqual(events.map((e) => e.id).sort(), ids.sort());
    assert.equal(new Set(ids).size, count);
    assert.equal(events.filter((e) => e.stream).length, count / 2);
    const verdict = verifyAuditChain(join(gw.dir, '.kt'));
    assert.deepEqual(verdict.ok && [verdict.records, verdict.headChecked], [count, true], JSON.stringify(verdict));
  } finally {
    await gw.close();
    await upstream.close();
  }
});
