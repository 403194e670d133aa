// reparsePolicyText must give exactly what a full parse gives: same tree, same ranges, same analysis,
// whether it reuses blocks from the previous version or falls back to one full parse.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import { analyzePolicy } from '../../gateway/policy/analyze';
import { parsePolicyText, type ParsedPolicy } from '../../gateway/policy/document';
import { reparsePolicyText } from '../../gateway/policy/incremental';
import { seededRandom } from '../support/seeded-random';

/**
 * A printable shape of a YAML tree: node kinds, scalar values and styles, and the value range of every
 * node. The third range offset (end including trailing comments) may differ, as reparsePolicyText says.
 */
function shape(node: unknown): unknown {
  if (node === null || node === undefined) return node ?? null;
  if (isPair(node)) return { pair: [shape(node.key), shape(node.value)] };
  const range = (node as { range?: number[] }).range?.slice(0, 2);
  if (isScalar(node)) return { scalar: node.value, type: node.type, source: node.source, range };
  if (isAlias(node)) return { alias: node.source, range };
  if (isMap(node)) return { map: node.items.map(shape), flow: !!node.flow, range };
  if (isSeq(node)) return { seq: node.items.map(shape), flow: !!node.flow, range };
  return { unknown: String(node) };
}

function assertSame(incremental: ParsedPolicy, text: string, note: string): void {
  const full = parsePolicyText(text);
  assert.deepEqual(shape(incremental.doc.contents), shape(full.doc.contents), note);
  assert.deepEqual(incremental.doc.errors.map((e) => [e.code, e.pos]), full.doc.errors.map((e) => [e.code, e.pos]), note);
  assert.deepEqual(incremental.lines.lineStarts, full.lines.lineStarts, note);
  assert.deepEqual(incremental.doc.toJS({ maxAliasCount: 100 }), full.doc.toJS({ maxAliasCount: 100 }), note);
}

const rng = seededRandom;

/** A config big enough that its lists and maps are split into blocks. */
function bigConfig(groups: number): string {
  const out = ['# routing', 'pack:', '  name: bench', 'providers:', '  targets:'];
  for (let i = 0; i < 30; i++) out.push(`    - id: t-${i}`, '      provider:', `        base_url: https://h${i}.example.com/v1`, '        secret_key_ref:', `          env: T_${i}_KEY`);
  out.push('policies:', '  chain:', '    - audit-logger', 'policy:', '  audit-logger:', '    immutable: true', '', 'model_groups:');
  for (let g = 0; g < groups; g++) {
    out.push(`  - name: g-${g}   # group ${g}`, `    strategy: ${g % 2 ? 'fallback' : 'weighted'}`, '    models:');
    for (let m = 0; m < 2; m++) out.push(`      - provider: t-${(g + m) % 30}`, `        model: "m-${m}"`, `        ${g % 2 ? 'timeout_ms: 5000' : 'weight: 50'}`);
    if (g % 7 === 0) out.push('', '    # a comment between groups');
  }
  return `${out.join('\n')}\n`;
}

test('a fresh incremental parse equals the full parse', () => {
  for (const text of [bigConfig(40), readFileSync(join(__dirname, '..', 'server', 'fixtures', 'policy-config.yaml'), 'utf8'), '', 'a: 1', '- x\n- y\n', 'k: [1,\n2]\n']) {
    assertSame(reparsePolicyText(text), text, JSON.stringify(text.slice(0, 40)));
  }
});

test('unchanged blocks are reused across versions and still equal the full parse', () => {
  let text = bigConfig(60);
  let parsed = reparsePolicyText(text);
  const firstGroupKey = () => ((parsed.doc.contents as any).items.at(-1).value.items[0].items[0].key);
  const before = firstGroupKey();
  // Edit a late group: the first group's nodes are the same objects, its ranges unchanged.
  text = text.replace('name: g-50 ', 'name: g-50x');
  parsed = reparsePolicyText(text, parsed);
  assert.equal(firstGroupKey(), before);
  assertSame(parsed, text, 'late edit');
  // Insert a line at the top: every block moves, and is reused with shifted ranges.
  text = `# header\n${text}`;
  parsed = reparsePolicyText(text, parsed);
  assert.equal(firstGroupKey(), before);
  assertSame(parsed, text, 'shifted');
});

test('random edit sequences: every version equals the full parse and analyses the same', () => {
  const random = rng(42);
  const pieces = ['\n', ' ', '  ', '- ', ': ', '#', '{', ']', '"', "'", '&a ', '*a', '|', '---\n', 'x', 'weight: 5', '\n  - name: n\n    models: []\n', '\t', '\r\n', '%'];
  let text = bigConfig(25);
  let parsed = reparsePolicyText(text);
  for (let i = 0; i < 100; i++) {
    const start = Math.floor(random() * (text.length + 1));
    const end = random() < 0.5 ? start : Math.min(text.length, start + Math.floor(random() * 30));
    text = text.slice(0, start) + pieces[Math.floor(random() * pieces.length)] + text.slice(end);
    if (i % 15 === 0) {
      // Through analyzePolicy: the analysis owns the new parse, the next step reuses it.
      const a = analyzePolicy(text, { incremental: parsed });
      assert.deepEqual(a.diagnostics, analyzePolicy(text).diagnostics, `analysis at step ${i}`);
      parsed = a.parsed;
    } else parsed = reparsePolicyText(text, parsed);
    assertSame(parsed, text, `step ${i}`);
  }
});
