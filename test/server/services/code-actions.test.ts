import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic, TextEdit } from 'vscode-languageserver-types';
import { quickFixes } from '../../../server/services/code-actions';
import { diagnosticsOf } from '../../../server/services/diagnostics';
import { viewOf } from '../../../server/services/view';
import { fixture } from '../support/caret';

const URI = 'file:///ws/broken.policy.yaml';
const TEXT = fixture('broken.policy.yaml');

function offset(text: string, line: number, character: number): number {
  const lines = text.split('\n');
  return lines.slice(0, line).reduce((a, l) => a + l.length + 1, 0) + character;
}

function apply(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => offset(text, b.range.start.line, b.range.start.character) - offset(text, a.range.start.line, a.range.start.character))) {
    out = out.slice(0, offset(out, e.range.start.line, e.range.start.character)) + e.newText + out.slice(offset(out, e.range.end.line, e.range.end.character));
  }
  return out;
}

test('diagnostics carry source kt, the code, related locations and the fix data', () => {
  const diagnostics = diagnosticsOf(viewOf(TEXT), URI);
  assert.ok(diagnostics.every((d) => d.source === 'kt' && /^KT\d{3}$/.test(String(d.code))));
  const weights = diagnostics.find((d) => d.code === 'KT102')!;
  assert.equal(weights.severity, 1);
  assert.equal(weights.relatedInformation?.length, 2);
  assert.equal(weights.relatedInformation![0].location.uri, URI);
  assert.match(weights.relatedInformation![0].message, /weight 60/);
  assert.equal((weights.data as any).fixes[0].title, 'Scale weights to 50 / 50');
  assert.equal(diagnostics.find((d) => d.code === 'KT106')!.severity, 2);
});

// Each quick fix, applied, removes the diagnostic it was offered for (KT108's fixed name may still need its settings, which is another message).
for (const [code, title] of [
  ['KT101', 'Change to "openai"'],
  ['KT102', 'Scale weights to 50 / 50'],
  ['KT104', 'Add secret_key_ref (env: OPENAI_API_KEY)'],
  ['KT106', 'Add timeout_ms: 10000'],
  ['KT103', 'Remove this duplicate group "fast-chat"'],
  ['KT002', 'Rename to "models"'],
  ['KT108', 'Change to "audit-logger"'],
  ['KT109', 'Remove weight'],
  ['KT114', 'Use https://'],
] as const) {
  test(`quick fix for ${code}: ${title}`, () => {
    const view = viewOf(TEXT);
    const diagnostics = diagnosticsOf(view, URI).filter((d) => d.code === code && (d.data as any)?.fixes?.some((f: any) => f.title === title));
    assert.equal(diagnostics.length, 1, `one ${code} diagnostic with "${title}"`);
    const actions = quickFixes(view, URI, diagnostics);
    const action = actions.find((a) => a.title === title)!;
    assert.ok(action, `offered: ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(action.kind, 'quickfix');
    assert.deepEqual(action.diagnostics, diagnostics);
    const edits = action.edit!.changes![URI];
    assert.deepEqual(edits, (diagnostics[0].data as any).fixes.find((f: any) => f.title === title).edits);
    const fixed = viewOf(apply(TEXT, edits));
    assert.ok(!fixed.analysis.diagnostics.some((x) => x.code === code && x.message === diagnostics[0].message), 'the fixed diagnostic is gone');
    assert.ok(!fixed.analysis.diagnostics.some((d) => d.code === 'KT001'), 'the fix keeps the YAML valid');
  });
}

test('the weight fix makes the group sum to 100 with proportional integers', () => {
  const view = viewOf(TEXT);
  const d = diagnosticsOf(view, URI).find((x) => x.code === 'KT102')!;
  const fixed = apply(TEXT, quickFixes(view, URI, [d])[0].edit!.changes![URI]);
  assert.match(fixed, /model: gpt-4o-mini\n {8}weight: 50\n/);
  assert.match(fixed, /model: claude-3-5-haiku\n {8}weight: 50\n/);
});

test('a diagnostic that no longer matches by code and range gets no fix', () => {
  const view = viewOf(TEXT);
  const d = diagnosticsOf(view, URI).find((x) => x.code === 'KT101')!;
  const moved: Diagnostic = { ...d, range: { start: { ...d.range.start, line: d.range.start.line + 1 }, end: { ...d.range.end, line: d.range.end.line + 1 } } };
  assert.deepEqual(quickFixes(view, URI, [moved]), []);
  assert.deepEqual(quickFixes(view, URI, [{ ...d, code: 'KT102' }]), []);
  // A client that drops `data` still gets the fix of the current diagnostic.
  const { data: _dropped, ...bare } = d;
  assert.equal(quickFixes(view, URI, [bare])[0].title, 'Change to "openai"');
});
