// "Try it" against a real gateway: the sample request is routed through the group and names its event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tryGroup } from '../../client/events/try-it';
import { startTestGateway } from '../gateway/harness';

const config = `providers:
  targets:
    - id: local
      provider:
        type: mock
        base_url: mock://local
model_groups:
  - name: chat
    models:
      - provider: local
        model: mock-model
`;

test('a try of a group returns the reply, the serving model and the id of the event it left', async () => {
  const gw = await startTestGateway(config);
  try {
    const result = await tryGroup(gw.url, gw.key, 'chat', 'Hi there');
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.provider, 'local');
    assert.equal(result.model, 'mock-model');
    assert.ok(result.reply.length > 0);
    const events = gw.events();
    assert.equal(events.length, 1);
    assert.equal(result.eventId, events[0]!.id);
    assert.equal(events[0]!.model_group, 'chat');
  } finally {
    await gw.close();
  }
});

test('an unknown group and a wrong key come back as messages, not throws', async () => {
  const gw = await startTestGateway(config);
  try {
    const unknown = await tryGroup(gw.url, gw.key, 'nope', 'Hi');
    assert.equal(unknown.ok, false);
    if (!unknown.ok) {
      assert.equal(unknown.status, 404);
      assert.match(unknown.message, /nope/);
    }
    const denied = await tryGroup(gw.url, 'kt_gk_wrong', 'chat', 'Hi');
    assert.equal(denied.ok, false);
    if (!denied.ok) assert.equal(denied.status, 401);
  } finally {
    await gw.close();
  }
  const down = await tryGroup(gw.url, gw.key, 'chat', 'Hi', 2000);
  assert.equal(down.ok, false);
  if (!down.ok) assert.match(down.message, /did not answer/);
});
