import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import type { Location, TextEdit } from 'vscode-languageserver-types';
import { definition, prepareRename, references, rename, RenameError } from '../../../server/services/navigation';
import { documentSymbols } from '../../../server/services/symbols';
import { viewOf } from '../../../server/services/view';
import { caret, caretIn, fixture } from '../support/caret';

const URI = 'file:///ws/policy-config.yaml';
const TEXT = fixture('policy-config.yaml');

function lineCol(l: Location | TextEdit): string {
  return `${l.range.start.line}:${l.range.start.character}-${l.range.end.character}`;
}

function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  for (const e of [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character)) {
    assert.equal(e.range.start.line, e.range.end.line);
    const line = lines[e.range.start.line];
    lines[e.range.start.line] = line.slice(0, e.range.start.character) + e.newText + line.slice(e.range.end.character);
  }
  return lines.join('\n');
}

test('definition of a provider reference is its target id', () => {
  const { text, position } = caretIn(TEXT, '- provider: local-ollama', 'local');
  const found = definition(viewOf(text), URI, position);
  assert.deepEqual(found.map(lineCol), ['16:10-22']);
  assert.equal(text.split('\n')[16].slice(10, 22), 'local-ollama');
  const onModel = caretIn(TEXT, 'model: gpt-4o', 'gpt');
  assert.deepEqual(definition(viewOf(TEXT), URI, onModel.position), []);
});

test('references of a provider id: the declaration and every model using it, from either end', () => {
  const fromRef = caretIn(TEXT, '- provider: openai', 'open');
  const view = viewOf(TEXT);
  const all = references(view, URI, fromRef.position, true).map(lineCol);
  assert.equal(all.length, 4);
  const lines = TEXT.split('\n');
  assert.ok(all.every((r) => lines[Number(r.split(':')[0])].includes('openai')));
  const fromId = caretIn(TEXT, '- id: openai', 'open');
  assert.deepEqual(references(view, URI, fromId.position, true).map(lineCol), all);
  assert.deepEqual(references(view, URI, fromId.position, false).map(lineCol), all.slice(1));
});

test('references of a group name list every group declared with it', () => {
  const text = TEXT.replace('- name: cheap-chat', '- name: fast-chat');
  const { position } = caretIn(text, '- name: fast-chat', 'fast');
  assert.equal(references(viewOf(text), URI, position, true).length, 2);
});

test('rename a provider id everywhere, via prepareRename on a reference', () => {
  const view = viewOf(TEXT);
  const { position } = caretIn(TEXT, '- provider: anthropic', 'anth');
  const prepared = prepareRename(view, position);
  assert.equal(prepared?.placeholder, 'anthropic');
  const edit = rename(view, URI, position, 'claude')!;
  const edits = edit.changes![URI];
  assert.equal(edits.length, 3);
  const renamed = parseDocument(applyEdits(TEXT, edits)).toJS();
  assert.equal(renamed.providers.targets[1].id, 'claude');
  assert.deepEqual(renamed.model_groups.flatMap((g: any) => g.models.map((m: any) => m.provider)), ['openai', 'claude', 'openai', 'local-ollama', 'openai', 'claude']);
  assert.equal(viewOf(applyEdits(TEXT, edits)).analysis.errorCount, 0);
});

test('rename keeps YAML reading an id as text, and refuses invalid or taken ids', () => {
  const { text, position } = caret('providers:\n  targets:\n    - id: o|ne\n      provider:\n        type: mock\nmodel_groups:\n  - name: g\n    models:\n      - provider: one\n        model: m\n');
  const view = viewOf(text);
  const edits = rename(view, URI, position, '1.5')!.changes![URI];
  assert.deepEqual(edits.map((e) => e.newText), ['"1.5"', '"1.5"']);
  assert.throws(() => rename(view, URI, position, 'has space'), RenameError);
  const two = viewOf(text.replace('models:', 'models:').replace('providers:\n  targets:\n', 'providers:\n  targets:\n    - id: two\n      provider:\n        type: mock\n'));
  const at = caretIn(two.text, '- id: one', 'o');
  assert.throws(() => rename(two, URI, at.position, 'two'), /already exists/);
});

test('nothing to rename on a model name or a key', () => {
  const view = viewOf(TEXT);
  assert.equal(prepareRename(view, caretIn(TEXT, 'model: gpt-4o-mini', 'gpt').position), undefined);
  assert.equal(prepareRename(view, caretIn(TEXT, '- provider: openai', 'prov').position), undefined);
});

test('document symbols: providers, policies, groups with their models', () => {
  const symbols = documentSymbols(viewOf(TEXT));
  assert.deepEqual(symbols.map((s) => s.name), ['providers', 'policies.chain', 'model_groups']);
  assert.deepEqual(symbols[0].children!.map((s) => `${s.name} (${s.detail})`), [
    'openai (openai · https://api.openai.com/v1)',
    'anthropic (anthropic · https://api.anthropic.com/v1)',
    'local-ollama (ollama · http://localhost:11434/v1)',
  ]);
  const groups = symbols[2].children!;
  assert.deepEqual(groups.map((g) => `${g.name}:${g.detail}`), ['fast-chat:weighted', 'reliable-chat:fallback', 'cheap-chat:cost']);
  assert.deepEqual(groups[0].children!.map((m) => `${m.name} ${m.detail}`), ['openai/gpt-4o-mini 70%', 'anthropic/claude-3-5-haiku 30%']);
  assert.deepEqual(groups[1].children!.map((m) => `${m.name} ${m.detail}`), ['openai/gpt-4o #1 · 5000 ms', 'local-ollama/llama3.1 #2 · 30000 ms']);
  // Every selection range lies inside its symbol's range, as clients require.
  const inside = (outer: any, inner: any) =>
    (inner.start.line > outer.start.line || (inner.start.line === outer.start.line && inner.start.character >= outer.start.character))
    && (inner.end.line < outer.end.line || (inner.end.line === outer.end.line && inner.end.character <= outer.end.character));
  const walk = (list: any[], parent?: any): void => list.forEach((s) => {
    assert.ok(inside(s.range, s.selectionRange), `${s.name}: selection outside range`);
    if (parent) assert.ok(inside(parent.range, s.range), `${s.name}: outside ${parent.name}`);
    walk(s.children ?? [], s);
  });
  walk(symbols);
});

test('symbols still come for the parts that parse when the YAML has a syntax error', () => {
  const text = `${TEXT}\n  - name: [unclosed\n`;
  const view = viewOf(text);
  assert.ok(view.analysis.diagnostics.some((d) => d.code === 'KT001'));
  assert.ok(documentSymbols(view).length > 0);
});
