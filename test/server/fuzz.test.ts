// Thousands of random edits through the protocol: the server keeps answering, never logs a failed
// handler, and its diagnostics for each version it publishes match the policy model on that text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CodeActionRequest, CompletionRequest, DefinitionRequest, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification,
  DocumentSymbolRequest, HoverRequest, LogMessageNotification, MessageType, PrepareRenameRequest, ReferencesRequest,
  type Position,
} from 'vscode-languageserver-protocol/node';
import { analyzePolicy } from '../../gateway/policy/analyze';
import { fixture } from './support/caret';
import { startServer } from './support/server-process';
import { seededRandom } from '../support/seeded-random';

const SEED = Number(process.env.KT_FUZZ_SEED ?? 20250101);
const EDITS = Number(process.env.KT_FUZZ_EDITS ?? 3000);

const rng = seededRandom;

const PIECES = [
  '\n', ' ', '  ', '- ', ': ', ':', '#', '{', '}', '[', ']', '"', "'", '&a ', '*a', '!!str ', '|', '>', '---\n', '...\n',
  'provider: ', 'model: ', 'weight: 50', 'strategy: fallback', 'strategy: cost', 'id: x', 'name: g', '\t', '\r\n', 'é', '😀',
  '%YAML 1.2\n', '? ', ',', '@', '`', '<<: *a', '0x1F', '1e9', 'null', '~', 'true', 'models:\n  - provider: openai\n    model: gpt-4o\n',
  '\u0000', '\ufeff', 'timeout_ms: ', 'secret_key_ref:\n  env: ', 'a'.repeat(200),
];

test(`the server survives ${EDITS} random edits (seed ${SEED})`, { timeout: 120_000 }, async () => {
  const random = rng(SEED);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const { client } = await startServer({ initializationOptions: { debounceMs: 5 } });
  const errors: string[] = [];
  client.connection.onNotification(LogMessageNotification.type, (p) => {
    if (p.type === MessageType.Error) errors.push(p.message);
  });
  const uri = 'file:///fuzz/policy-config.yaml';
  // Big enough (about 300 lines) that the incremental parser splits lists into blocks and reuses them.
  const extraGroups = Array.from({ length: 20 }, (_, g) => [
    `  - name: extra-${g}`, `    strategy: ${g % 2 ? 'fallback' : 'weighted'}`, '    models:',
    '      - provider: openai', '        model: gpt-4o-mini', `        ${g % 2 ? 'timeout_ms: 4000' : 'weight: 60'}`,
    '      - provider: anthropic', '        model: claude-3-5-haiku', `        ${g % 2 ? 'timeout_ms: 9000' : 'weight: 40'}`,
  ].join('\n')).join('\n');
  let doc = TextDocument.create(uri, 'yaml', 1, `${fixture('policy-config.yaml')}${extraGroups}\n`);
  const texts = new Map<number, string>([[1, doc.getText()]]);
  let answered = 0;

  const randomPosition = (): Position => {
    // Mostly real positions, sometimes past the end of a line or of the document.
    if (random() < 0.1) return { line: Math.floor(random() * (doc.lineCount + 5)), character: Math.floor(random() * 300) };
    return doc.positionAt(Math.floor(random() * (doc.getText().length + 1)));
  };

  const request = async (): Promise<void> => {
    const textDocument = { uri };
    const position = randomPosition();
    const kind = Math.floor(random() * 7);
    const pending: Promise<unknown> = [
      () => client.connection.sendRequest(HoverRequest.type, { textDocument, position }),
      () => client.connection.sendRequest(CompletionRequest.type, { textDocument, position }),
      () => client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument }),
      () => client.connection.sendRequest(DefinitionRequest.type, { textDocument, position }),
      () => client.connection.sendRequest(ReferencesRequest.type, { textDocument, position, context: { includeDeclaration: true } }),
      () => client.connection.sendRequest(PrepareRenameRequest.type, { textDocument, position }),
      () => client.connection.sendRequest(CodeActionRequest.type, {
        textDocument, range: { start: position, end: position },
        context: { diagnostics: (client.diagnostics.get(uri)?.at(-1)?.diagnostics ?? []).slice(0, 3) },
      }),
    ][kind]();
    await withTimeout(pending, `request kind ${kind} at version ${doc.version}`);
    answered++;
  };

  try {
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text: doc.getText() } });
    for (let i = 0; i < EDITS; i++) {
      const length = doc.getText().length;
      const start = Math.floor(random() * (length + 1));
      const roll = random();
      const end = roll < 0.45 ? start : Math.min(length, start + Math.floor(random() * (roll < 0.9 ? 12 : 400)));
      const text = roll < 0.2 ? '' : roll < 0.95 ? pick(PIECES) : doc.getText().slice(0, Math.floor(random() * 80));
      const range = { start: doc.positionAt(start), end: doc.positionAt(end) };
      doc = TextDocument.update(doc, [{ range, text }], doc.version + 1);
      texts.set(doc.version, doc.getText());
      void client.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: doc.version }, contentChanges: [{ range, text }] });
      if (random() < 0.04) await request();
      // Now and then pause past the debounce so diagnostics get published mid-run.
      if (random() < 0.01) await new Promise((r) => setTimeout(r, 30));
    }
    // The final answers: a hover and a completion still come back.
    await withTimeout(client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: randomPosition() }), 'final hover');
    const completion = await withTimeout(client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } }), 'final completion');
    assert.ok(completion !== undefined);
    const last = await client.waitForDiagnostics(uri, doc.version);

    // Every publish matched the policy model on the text of its version: incremental sync never drifted.
    const published = client.diagnostics.get(uri) ?? [];
    assert.ok(published.length > 5, `only ${published.length} publishes`);
    for (const p of published) {
      const expected = analyzePolicy(texts.get(p.version!)!).diagnostics.map((d) => `${d.code} ${JSON.stringify(d.range)} ${d.message}`);
      assert.deepEqual(p.diagnostics.map((d) => `${d.code} ${JSON.stringify(d.range)} ${d.message}`), expected, `version ${p.version}`);
    }
    assert.equal(last.version, doc.version);
    assert.ok(answered > EDITS * 0.02, `answered ${answered} requests`);
    assert.deepEqual(errors, [], 'no handler failed');
    assert.equal(client.child.exitCode, null, 'the server is still running');
  } finally {
    await client.stop();
  }
});

async function withTimeout<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
