// The server as an editor sees it: dist/server.js over stdio (and node IPC), JSON-RPC end to end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CodeActionRequest, CompletionRequest, DefinitionRequest, DidChangeConfigurationNotification, DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification, DidOpenTextDocumentNotification, DocumentSymbolRequest, HoverRequest, PrepareRenameRequest,
  ReferencesRequest, RenameRequest, type CompletionItem, type CompletionList, type DocumentSymbol, type MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { caret, caretIn, fixture } from './support/caret';
import { startServer, type PolicyServerClient } from './support/server-process';

const POLICY = 'file:///ws/policy-config.yaml';
const BROKEN = 'file:///ws/routing/broken.policy.yaml';
let client: PolicyServerClient;

before(async () => {
  ({ client } = await startServer({ initializationOptions: { debounceMs: 0 } }));
});
after(async () => {
  await client?.stop();
});

function open(uri: string, text: string, version = 1): Promise<void> {
  return client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version, text } });
}

function items(result: CompletionItem[] | CompletionList | null): CompletionItem[] {
  return Array.isArray(result) ? result : result?.items ?? [];
}

test('initialize advertises incremental sync and every feature', async () => {
  const { client: other, initialized } = await startServer();
  try {
    const caps = initialized.capabilities;
    assert.deepEqual(caps.textDocumentSync, { openClose: true, change: 2 });
    assert.ok(caps.completionProvider && caps.hoverProvider && caps.definitionProvider && caps.referencesProvider && caps.documentSymbolProvider);
    assert.deepEqual(caps.renameProvider, { prepareProvider: true });
    assert.deepEqual(caps.codeActionProvider, { codeActionKinds: ['quickfix'] });
  } finally {
    await other.stop();
  }
});

test('didOpen pushes diagnostics with source, code, related information and fix data', async () => {
  const text = fixture('broken.policy.yaml');
  await open(BROKEN, text);
  const published = await client.waitForDiagnostics(BROKEN, 1);
  const codes = published.diagnostics.map((d) => d.code);
  assert.deepEqual(codes, ['KT104', 'KT114', 'KT108', 'KT102', 'KT101', 'KT106', 'KT109', 'KT002', 'KT103', 'KT002']);
  assert.ok(published.diagnostics.every((d) => d.source === 'kt'));
  const dup = published.diagnostics.find((d) => d.code === 'KT103')!;
  assert.equal(dup.relatedInformation![0].location.uri, BROKEN);
  assert.equal((dup.data as any).fixes[0].title, 'Remove this duplicate group "fast-chat"');
});

test('didChange applies incremental edits and republishes for the new version', async () => {
  const text = fixture('broken.policy.yaml');
  await open(BROKEN, text, 1);
  await client.waitForDiagnostics(BROKEN, 1);
  const { position } = caretIn(text, '- provider: opnai', 'op');
  // Two edits in one notification: "op|nai" → "openai" (an insertion), then http:// → https:// on line 8.
  await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: BROKEN, version: 2 },
    contentChanges: [
      { range: { start: position, end: position }, text: 'e' },
      { range: { start: { line: 7, character: 18 }, end: { line: 7, character: 22 } }, text: 'https' },
    ],
  });
  const published = await client.waitForDiagnostics(BROKEN, 2);
  const codes = published.diagnostics.map((d) => d.code);
  assert.ok(!codes.includes('KT101'), codes.join());
  assert.ok(!codes.includes('KT114'), codes.join());
  assert.ok(codes.includes('KT102'));
  const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: BROKEN }, position: { line: position.line, character: position.character + 2 } });
  assert.match((hover!.contents as MarkupContent).value, /\*\*openai\*\* · provider target/);
});

test('completion, hover, definition, references and document symbols over the wire', async () => {
  const text = fixture('policy-config.yaml');
  await open(POLICY, text);
  await client.waitForDiagnostics(POLICY, 1);
  const textDocument = { uri: POLICY };

  const ref = caretIn(text, '- provider: local-ollama', 'local');
  const completion = items(await client.connection.sendRequest(CompletionRequest.type, { textDocument, position: ref.position }));
  assert.deepEqual(completion.map((i) => i.label), ['openai', 'anthropic', 'local-ollama']);

  const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument, position: ref.position });
  assert.match((hover!.contents as MarkupContent).value, /base_url: `http:\/\/localhost:11434\/v1`/);

  const definition = await client.connection.sendRequest(DefinitionRequest.type, { textDocument, position: ref.position });
  assert.deepEqual(definition, [{ uri: POLICY, range: { start: { line: 16, character: 10 }, end: { line: 16, character: 22 } } }]);

  const refs = await client.connection.sendRequest(ReferencesRequest.type, { textDocument, position: ref.position, context: { includeDeclaration: true } });
  assert.deepEqual(refs!.map((r) => r.range.start.line), [16, 42]);

  const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument })) as DocumentSymbol[];
  assert.deepEqual(symbols.map((s) => s.name), ['providers', 'policies.chain', 'model_groups']);
  assert.deepEqual(symbols[2].children!.map((g) => g.name), ['fast-chat', 'reliable-chat', 'cheap-chat']);
});

test('rename goes through prepareRename and edits every use; an invalid id is refused with a message', async () => {
  const text = fixture('policy-config.yaml');
  await open(POLICY, text);
  const textDocument = { uri: POLICY };
  const { position } = caretIn(text, '- id: anthropic', 'anth');
  const prepared = await client.connection.sendRequest(PrepareRenameRequest.type, { textDocument, position });
  assert.deepEqual(prepared, { range: { start: { line: 11, character: 10 }, end: { line: 11, character: 19 } }, placeholder: 'anthropic' });
  const edit = await client.connection.sendRequest(RenameRequest.type, { textDocument, position, newName: 'claude' });
  assert.deepEqual(edit!.changes![POLICY].map((e) => `${e.range.start.line}:${e.newText}`), ['11:claude', '33:claude', '53:claude']);
  await assert.rejects(client.connection.sendRequest(RenameRequest.type, { textDocument, position, newName: 'no spaces' }), /not a valid provider id/);
  assert.equal(await client.connection.sendRequest(PrepareRenameRequest.type, { textDocument, position: { line: 0, character: 1 } }), null);
});

test('codeAction returns the quick fix of a published diagnostic', async () => {
  const text = fixture('broken.policy.yaml');
  await open(BROKEN, text, 10);
  const published = await client.waitForDiagnostics(BROKEN, 10);
  const timeout = published.diagnostics.find((d) => d.code === 'KT106')!;
  const actions = await client.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri: BROKEN }, range: timeout.range, context: { diagnostics: [timeout], only: ['quickfix'] },
  });
  assert.equal(actions!.length, 1);
  const action = actions![0] as any;
  assert.equal(action.title, 'Add timeout_ms: 10000');
  assert.deepEqual(action.edit.changes[BROKEN], (timeout.data as any).fixes[0].edits);
});

test('other YAML files are ignored; closing a policy file clears its diagnostics', async () => {
  const other = 'file:///ws/docker-compose.yaml';
  await open(other, 'services: [unclosed\n');
  const { text, position } = caret('model_groups:\n  - name: a\n    strategy: |\n');
  await open('file:///ws/later.policy.yaml', text);
  await client.waitForDiagnostics('file:///ws/later.policy.yaml', 1);
  assert.equal(client.diagnostics.get(other), undefined);
  assert.deepEqual(items(await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: other }, position })), []);
  assert.equal(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: other }, position: { line: 0, character: 1 } }), null);
  await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: 'file:///ws/later.policy.yaml' } });
  const cleared = await client.waitForDiagnostics('file:///ws/later.policy.yaml');
  assert.deepEqual(cleared.diagnostics, []);
});

test('policy globs from initializationOptions, then from the kt.policyFiles workspace setting', async () => {
  let globs = ['**/*.routing.yaml'];
  const { client: configured } = await startServer({ initializationOptions: { policyGlobs: ['**/gateway.yaml'], debounceMs: 0 }, configuration: () => ({ policyFiles: globs }) });
  try {
    const send = (uri: string) => configured.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text: 'model_groups: 3\n' } });
    // The workspace setting is fetched after `initialized`; give it a moment to arrive before opening.
    await new Promise((r) => setTimeout(r, 300));
    await send('file:///ws/a.routing.yaml');
    const first = await configured.waitForDiagnostics('file:///ws/a.routing.yaml', 1);
    assert.equal(first.diagnostics[0].code, 'KT002');
    await send('file:///ws/policy-config.yaml');
    globs = ['**/policy-config.yaml'];
    await configured.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    // Files that stop matching get their diagnostics cleared; newly matching ones get checked.
    const cleared = await configured.waitForDiagnostics('file:///ws/a.routing.yaml');
    assert.deepEqual(cleared.diagnostics, []);
    const now = await configured.waitForDiagnostics('file:///ws/policy-config.yaml', 1);
    assert.equal(now.diagnostics[0].code, 'KT002');
  } finally {
    await configured.stop();
  }
});

test('the server runs over node IPC too', async () => {
  const { client: ipc, initialized } = await startServer({ transport: 'ipc', initializationOptions: { debounceMs: 0 } });
  try {
    assert.equal(initialized.serverInfo?.name, 'kt-policy-language-server');
    await ipc.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: POLICY, languageId: 'yaml', version: 1, text: fixture('broken.policy.yaml') } });
    const published = await ipc.waitForDiagnostics(POLICY, 1);
    assert.equal(published.diagnostics.length, 10);
  } finally {
    await ipc.stop();
  }
});
