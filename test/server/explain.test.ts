// "Explain route…" over the wire: dist/server.js on stdio offers the code action on a model group, answers
// kt/explainRoute with the planner's markdown, and the group hover shows the same explanation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { CodeActionRequest, DidOpenTextDocumentNotification, HoverRequest, type CodeAction, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { EXPLAIN_ROUTE_COMMAND, EXPLAIN_ROUTE_REQUEST, type ExplainRouteParams, type ExplainRouteResult } from '../../server/protocol';
import { caretIn, fixture } from './support/caret';
import { startServer, type PolicyServerClient } from './support/server-process';

const POLICY = 'file:///ws/explain/policy-config.yaml';
const TEXT = fixture('policy-config.yaml');
let client: PolicyServerClient;

before(async () => {
  ({ client } = await startServer({ initializationOptions: { debounceMs: 0 } }));
  await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: POLICY, languageId: 'yaml', version: 1, text: TEXT } });
  await client.waitForDiagnostics(POLICY, 1);
});
after(async () => {
  await client?.stop();
});

function explain(params: ExplainRouteParams): Promise<ExplainRouteResult> {
  return client.connection.sendRequest(EXPLAIN_ROUTE_REQUEST, params);
}

test('the code action on a group (its name or any line of it) runs the explain command with uri and group', async () => {
  for (const [on, after] of [['- name: cheap-chat', 'cheap'], ['cost_per_1k_output: 0.004', 'cost']]) {
    const { position } = caretIn(TEXT, on, after);
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: POLICY }, range: { start: position, end: position }, context: { diagnostics: [] },
    })) as CodeAction[];
    assert.deepEqual(actions.map((a) => [a.title, a.command?.command, a.command?.arguments]), [['Explain route "cheap-chat"…', EXPLAIN_ROUTE_COMMAND, [POLICY, 'cheap-chat']]]);
  }
  // Outside every group, and when only quick fixes are asked for: no explain action.
  const outside = await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri: POLICY }, range: { start: { line: 1, character: 2 }, end: { line: 1, character: 2 } }, context: { diagnostics: [] } });
  assert.deepEqual(outside, []);
  const { position } = caretIn(TEXT, '- name: cheap-chat', 'cheap');
  const quickOnly = await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri: POLICY }, range: { start: position, end: position }, context: { diagnostics: [], only: ['quickfix'] } });
  assert.deepEqual(quickOnly, []);
});

test('kt/explainRoute answers the planner\'s explanation as markdown, the same the hover shows', async () => {
  const { markdown } = await explain({ uri: POLICY, group: 'cheap-chat' });
  assert.match(markdown, /^\*\*cheap-chat\*\* · model group, strategy `cost`/);
  assert.match(markdown, /\| openai\/gpt-4o-mini \| ~\d+ \| 256 \| \$0\.00015 \| \$0\.0006 \| \$0\.000154\d* \| wins \|/);
  assert.match(markdown, /\*\*Pick\*\*: openai\/gpt-4o-mini is the cheapest model that fits/);
  const { position } = caretIn(TEXT, '- name: cheap-chat', 'cheap');
  const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: POLICY }, position });
  assert.equal((hover!.contents as MarkupContent).value, markdown);
  const missing = await explain({ uri: POLICY, group: 'nope' });
  assert.match(missing.markdown, /"nope" is not a model group of this config \(groups: fast-chat, reliable-chat, cheap-chat\)/);
});

test('a config that is not open is read from disk, with the .env beside it for keys', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-explain-lsp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'policy-config.yaml'), TEXT);
  writeFileSync(join(dir, '.env'), 'OPENAI_API_KEY=sk-from-dotenv\n');
  const uri = pathToFileURL(join(dir, 'policy-config.yaml')).href;
  const { markdown } = await explain({ uri, group: 'reliable-chat' });
  assert.match(markdown, /1\. `openai\/gpt-4o` — timeout 5000 ms/);
  assert.doesNotMatch(markdown, /Keys not set|sk-from-dotenv/);
  const gone = await explain({ uri: pathToFileURL(join(dir, 'missing.yaml')).href, group: 'x' });
  assert.match(gone.markdown, /^Cannot read .*missing\.yaml: ENOENT\.$/);
});
