// Live routing stats over a real LSP connection: events in by notification, lenses and hints out,
// refreshes throttled.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CodeLensRequest, DidOpenTextDocumentNotification, InlayHintRequest } from 'vscode-languageserver-protocol/node';
import { LIVE_EVENTS_NOTIFICATION, LIVE_STATE_NOTIFICATION, type LiveStateParams } from '../../server/protocol';
import { sampleEvent } from '../events/fixtures/sample-events';
import { fixture } from './support/caret';
import { startServer, type PolicyServerClient } from './support/server-process';

const URI = 'file:///ws/live/policy-config.yaml';
const TEXT = fixture('policy-config.yaml');
let client: PolicyServerClient;

before(async () => {
  ({ client } = await startServer({ initializationOptions: { debounceMs: 0 }, liveRefresh: true }));
  await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: URI, languageId: 'yaml', version: 1, text: TEXT } });
});
after(async () => {
  await client?.stop();
});

const state = (params: LiveStateParams) => client.connection.sendNotification(LIVE_STATE_NOTIFICATION, params);
const lenses = async () => (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: URI } })) ?? [];
const hints = async () => (await client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri: URI }, range: { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } } })) ?? [];

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('the server advertises code lenses and inlay hints', async () => {
  const { client: other, initialized } = await startServer();
  try {
    assert.deepEqual(initialized.capabilities.codeLensProvider, { resolveProvider: false });
    assert.equal(initialized.capabilities.inlayHintProvider, true);
  } finally {
    await other.stop();
  }
});

test('no gateway: no lenses and no hints; running: Try it, then figures from forwarded events', async () => {
  assert.deepEqual(await lenses(), []);
  await state({ gatewayRunning: true, liveStats: true, windowMinutes: 5 });
  const empty = await until('lenses while running', async () => { const l = await lenses(); return l.length ? l : undefined; });
  assert.ok(empty.some((l) => l.command?.title === 'no requests in the last 5 min'));

  const now = Date.now();
  const events = Array.from({ length: 10 }, (_, i) => sampleEvent({ ts: new Date(now - 1000 + i).toISOString(), latency_ms: 100 + i }));
  const refreshesBefore = client.refreshes.length;
  // Ten notifications in a burst: the server asks the editor to refresh a few times at most, not ten.
  for (const event of events) await client.connection.sendNotification(LIVE_EVENTS_NOTIFICATION, { events: [event] });
  const titles = await until('a lens with 10 requests', async () => {
    const t = (await lenses()).map((l) => l.command?.title ?? '');
    return t.some((x) => x.startsWith('10 req')) ? t : undefined;
  });
  assert.ok(titles.includes('10 req · p50 104 ms · $0.00021 · last 5 min'), titles.join('\n'));
  const hint = (await hints()).find((h) => String(h.label).startsWith('10 req'));
  assert.ok(hint, 'an inlay hint on the served model line');
  assert.equal(TEXT.split('\n')[hint.position.line].trim(), 'model: gpt-4o-mini');
  await until('a refresh request', async () => (client.refreshes.length > refreshesBefore ? true : undefined));
  await new Promise((r) => setTimeout(r, 700));
  const sent = client.refreshes.length - refreshesBefore;
  // Unthrottled it would be 20 (a code lens and an inlay refresh per event); throttled it is one pair per 500 ms.
  assert.ok(sent >= 2 && sent <= 6, `code lens + inlay refreshes after a burst of 10: ${sent}`);
});

test('turning live stats off keeps Try it; stopping the gateway drops everything', async () => {
  await state({ gatewayRunning: true, liveStats: false, windowMinutes: 5 });
  assert.ok((await lenses()).every((l) => l.command?.title === '$(play) Try it'));
  assert.deepEqual(await hints(), []);
  await state({ gatewayRunning: false, liveStats: true, windowMinutes: 5 });
  assert.deepEqual(await lenses(), []);
  await state({ gatewayRunning: true, liveStats: true, windowMinutes: 5 });
  assert.ok((await lenses()).some((l) => l.command?.title === 'no requests in the last 5 min'), 'the events of the stopped gateway are gone');
});

test('a malformed notification is ignored and the server keeps answering', async () => {
  await client.connection.sendNotification(LIVE_EVENTS_NOTIFICATION, { events: 'nope' });
  await client.connection.sendNotification(LIVE_EVENTS_NOTIFICATION, { events: [null, 42, { kind: 'request' }] });
  assert.ok((await lenses()).length > 0);
});
