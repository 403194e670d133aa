// Whatever the text, analyzePolicy returns diagnostics (never throws) whose ranges lie inside the document,
// run forwards and stay on one line; related locations and fix edits point inside the document too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { analyzePolicy } from '../../gateway/policy/analyze';
import type { Position, Range } from '../../gateway/policy/types';

const ROOT = join(__dirname, '..', '..', 'examples');
function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(name) ? [path] : [];
  });
}
const EXAMPLES = yamlFiles(ROOT).map((f) => readFileSync(f, 'utf8'));

/** Lines end at \n (a CRLF's \r is not part of the line); a lone \r is content, as in yaml's own parser. */
function lineLengths(text: string): number[] {
  const lines = text.split('\n');
  return lines.map((l, i) => (i < lines.length - 1 && l.endsWith('\r') ? l.length - 1 : l.length));
}

function inside(lengths: number[], p: Position): boolean {
  return Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.line < lengths.length
    && p.character >= 0 && p.character <= lengths[p.line];
}

function ordered(r: Range): boolean {
  return r.start.line < r.end.line || (r.start.line === r.end.line && r.start.character <= r.end.character);
}

/** Runs the analyzer with and without --check-env and checks every range it returns. */
function check(text: string): void {
  const lengths = lineLengths(text);
  for (const options of [{}, { checkEnv: true, env: {} }]) {
    const analysis = analyzePolicy(text, options);
    assert.equal(analysis.errorCount, analysis.diagnostics.filter((d) => d.severity === 'error').length);
    for (const d of analysis.diagnostics) {
      const where = `${d.code} ${JSON.stringify(d.range)} in ${JSON.stringify(text)}`;
      assert.match(d.code, /^KT\d{3}$/);
      assert.ok(d.message.length > 0, where);
      assert.ok(inside(lengths, d.range.start) && inside(lengths, d.range.end), `outside the text: ${where}`);
      assert.ok(ordered(d.range), `end before start: ${where}`);
      assert.equal(d.range.start.line, d.range.end.line, `spans lines: ${where}`);
      for (const r of d.related ?? []) assert.ok(inside(lengths, r.range.start) && inside(lengths, r.range.end) && ordered(r.range), `related: ${where}`);
      for (const fix of d.fixes ?? []) {
        for (const e of fix.edits) assert.ok(inside(lengths, e.range.start) && inside(lengths, e.range.end) && ordered(e.range), `fix edit: ${where}`);
      }
    }
  }
}

const YAML_CHARS = [' ', ' ', ' ', '\n', '\n', '\r\n', '\t', ':', '-', '#', '"', "'", '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '?', '%', '@', '`', '\\', 'a', 'k', '1', '0', '.', 'é', '😀', '\u0000', '\uFEFF'];
const yamlish = fc.string({ unit: fc.constantFrom(...YAML_CHARS), maxLength: 120 });

const KEYS = ['pack', 'name', 'version', 'enabled', 'providers', 'targets', 'id', 'provider', 'type', 'base_url', 'secret_key_ref', 'env',
  'api_version', 'mock', 'latency_ms', 'fail_status', 'failure_rate', 'policies', 'chain', 'policy', 'audit-logger', 'immutable',
  'retention_days', 'log_all_access', 'model_groups', 'strategy', 'session_affinity', 'budget_per_request_usd', 'models', 'model',
  'weight', 'timeout_ms', 'tag', 'cost_per_1k_input', 'cost_per_1k_output', 'max_input_tokens', 'bogus'];
const SCALARS = fc.oneof(
  fc.constantFrom('openai', 'anthropic', 'local-ollama', 'weighted', 'fallback', 'cost', 'latency', 'audit-logger', 'gpt-4o',
    'https://api.openai.com/v1', 'http://example.com', 'http://localhost:11434/v1', 'mock://m', 'api.x/v1', 'OPENAI_API_KEY', '1BAD', ''),
  fc.integer({ min: -5, max: 200 }), fc.double({ noNaN: true, min: -1, max: 1 }), fc.boolean(), fc.constant(null),
);
const { value: configish } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    SCALARS,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 5 }),
  ),
}));
// Top level mostly a mapping of real keys, rendered in block or flow style, sometimes with a line dropped.
const structured = fc.record({
  root: fc.dictionary(fc.constantFrom('pack', 'providers', 'policies', 'policy', 'model_groups', 'bogus'), configish, { maxKeys: 5 }),
  flow: fc.boolean(),
  drop: fc.nat(),
}).map(({ root, flow, drop }) => {
  const text = stringify(root, flow ? { collectionStyle: 'flow' } : {});
  const lines = text.split('\n');
  if (drop % 3 === 0 && lines.length > 2) lines.splice(drop % lines.length, 1);
  return lines.join('\n');
});

const RUNS = 100;

test('lone carriage returns and CRLF line ends', () => {
  for (const text of ['\r', '\r\r', 'a\rb: 1', 'pack:\r\n  name: x\r\n  bogus: 1\r\n', 'pack:\r  bogus: 1\r']) check(text);
});

test('random strings never throw and give well-formed ranges', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), check), { numRuns: RUNS });
  fc.assert(fc.property(yamlish, check), { numRuns: RUNS * 2 });
});

test('random YAML-ish config structures never throw and give well-formed ranges', () => {
  fc.assert(fc.property(structured, check), { numRuns: RUNS * 2 });
});

test('every example truncated at random offsets', () => {
  for (const text of EXAMPLES) check(text);
  fc.assert(fc.property(fc.constantFrom(...EXAMPLES), fc.double({ min: 0, max: 1, noNaN: true }), (text, at) => {
    check(text.slice(0, Math.floor(at * text.length)));
  }), { numRuns: RUNS });
});

test('every example with random byte noise', () => {
  const noise = fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), ch: fc.oneof(fc.constantFrom(...YAML_CHARS), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })), del: fc.nat(3) }), { minLength: 1, maxLength: 6 });
  fc.assert(fc.property(fc.constantFrom(...EXAMPLES), noise, (text, edits) => {
    let out = text;
    for (const { at, ch, del } of edits) {
      const i = Math.floor(at * out.length);
      out = out.slice(0, i) + ch + out.slice(i + del);
    }
    check(out);
    check(out.replace(/\n/g, '\r\n'));
  }), { numRuns: RUNS });
});
