// The JSON Schema itself (valid draft-07, documented everywhere) and its KT002 mapping; KT001 syntax and duplicate keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { analyzePolicy } from '../../gateway/policy/analyze';
import { policySchema } from '../../gateway/policy/schema-check';
import type { PolicyDiagnostic } from '../../gateway/policy/types';
import { applyEdits, at } from './text-fixtures';

const CLEAN = `providers:
  targets:
    - id: openai
      provider:
        base_url: https://api.openai.com/v1
        secret_key_ref:
          env: OPENAI_API_KEY
model_groups:
  - name: reliable-chat
    strategy: fallback
    models:
      - provider: openai
        model: gpt-4o
        timeout_ms: 5000
`;

function only(text: string): PolicyDiagnostic {
  const { diagnostics } = analyzePolicy(text);
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics.map((d) => `${d.code} ${d.message}`)));
  return diagnostics[0];
}

test('the schema is valid draft-07 and compiles under ajv strict mode', () => {
  const ajv = new Ajv({ strict: true, allErrors: true });
  // Editors' annotation keyword: declared so strict mode accepts it and rejects any other unknown keyword.
  ajv.addKeyword({ keyword: 'markdownDescription', schemaType: 'string' });
  assert.equal(policySchema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(ajv.validateSchema(policySchema), true, ajv.errorsText(ajv.errors));
  assert.doesNotThrow(() => ajv.compile(policySchema));
  // The meta-schema check can fail: a wrong type keyword is reported.
  assert.equal(ajv.validateSchema({ type: 'objekt' }), false);
});

test('every property in the schema has description and markdownDescription with a YAML example', () => {
  const missing: string[] = [];
  let count = 0;
  const walk = (node: any, path: string) => {
    if (!node || typeof node !== 'object') return;
    for (const [name, prop] of Object.entries<any>(node.properties ?? {})) {
      count++;
      const where = `${path}.${name}`;
      if (typeof prop.description !== 'string' || prop.description.length < 10) missing.push(`${where}: description`);
      if (typeof prop.markdownDescription !== 'string' || !prop.markdownDescription.includes('```yaml\n')) missing.push(`${where}: markdownDescription with example`);
      walk(prop, where);
    }
    if (node.items) walk(node.items, `${path}[]`);
    for (const [name, def] of Object.entries<any>(node.definitions ?? {})) walk(def, `#${name}`);
  };
  walk(policySchema, '');
  assert.deepEqual(missing, []);
  assert.ok(count >= 35, `walked only ${count} properties`);
});

test('every key the guide uses is in the schema', () => {
  const json = JSON.stringify(policySchema);
  for (const key of ['pack', 'providers', 'targets', 'base_url', 'secret_key_ref', 'env', 'policies', 'chain', 'audit-logger',
    'immutable', 'retention_days', 'log_all_access', 'model_groups', 'strategy', 'session_affinity', 'budget_per_request_usd',
    'weight', 'timeout_ms', 'tag', 'cost_per_1k_input', 'cost_per_1k_output', 'max_input_tokens', 'api_version', 'mock']) {
    assert.ok(json.includes(`"${key}":{`), key);
  }
});

test('KT002 unknown key: on the key, did-you-mean, fix renames it', () => {
  const text = CLEAN.replace('timeout_ms: 5000', 'timeout: 5000');
  // The misspelt key also means the fallback model has no timeout_ms (KT106); the rename fixes both.
  const all = analyzePolicy(text).diagnostics;
  assert.deepEqual(all.map((x) => x.code), ['KT106', 'KT002']);
  const d = all[1];
  assert.equal(d.code, 'KT002');
  assert.deepEqual(d.range, at(text, 'timeout: 5000', 'timeout'));
  assert.equal(d.message, 'Unknown key "timeout" in model_groups[0].models[0]. Did you mean "timeout_ms"?');
  assert.deepEqual(analyzePolicy(applyEdits(text, d.fixes![0].edits)).diagnostics, []);
});

test('KT002 unknown key with nothing close lists the allowed keys', () => {
  const text = `${CLEAN}zzzzzzzz: 1\n`;
  const d = only(text);
  assert.deepEqual(d.range, at(text, 'zzzzzzzz', 'zzzzzzzz'));
  assert.match(d.message, /Allowed keys: "pack", "providers", "policies", "policy", "model_groups"\./);
  assert.equal(d.fixes, undefined);
});

test('KT002 enum: on the value, lists allowed values, did-you-mean fix', () => {
  const text = CLEAN.replace('strategy: fallback', 'strategy: fallbak');
  const d = only(text);
  assert.deepEqual(d.range, at(text, 'strategy: fallbak', 'fallbak'));
  assert.match(d.message, /Allowed values: "weighted", "fallback", "cost", "latency"\./);
  assert.match(d.message, /Did you mean "fallback"\?/);
  assert.deepEqual(analyzePolicy(applyEdits(text, d.fixes![0].edits)).diagnostics, []);
  const typeText = CLEAN.replace('      provider:\n', '      provider:\n        type: open-ai\n');
  assert.match(only(typeText).message, /"open-ai" is not a valid type\. Allowed values: "openai", "azure-openai", "anthropic", "ollama", "mock"\. Did you mean "openai"\?/);
});

test('KT002 wrong type: on the value, says what it got', () => {
  const text = CLEAN.replace('timeout_ms: 5000', 'timeout_ms: soon');
  const d = only(text);
  assert.deepEqual(d.range, at(text, 'timeout_ms: soon', 'soon'));
  assert.equal(d.message, 'model_groups[0].models[0].timeout_ms must be a whole number, not the text "soon".');
});

test('KT002 number where text is expected: keeps the source form, fix quotes it', () => {
  const text = `pack:\n  version: 1.0\n${CLEAN}`;
  const d = only(text);
  assert.deepEqual(d.range, at(text, 'version: 1.0', '1.0'));
  assert.match(d.message, /pack\.version must be a string, not number 1\.0\. Put it in quotes \("1\.0"\)/);
  assert.deepEqual(analyzePolicy(applyEdits(text, d.fixes![0].edits)).diagnostics, []);
});

test('KT002 empty value: underlines the key', () => {
  const text = CLEAN.replace('model: gpt-4o', 'model:');
  const d = only(text);
  assert.deepEqual(d.range, at(text, '        model:', 'model'));
  assert.match(d.message, /must be a string, but it is empty/);
});

test('KT002 missing required key: on the item, fix adds a template', () => {
  const text = CLEAN.replace('        model: gpt-4o\n', '');
  const d = only(text);
  assert.deepEqual(d.range, at(text, '- provider: openai', 'provider'));
  assert.match(d.message, /Missing required key "model" in model_groups\[0\]\.models\[0\]/);
  const after = analyzePolicy(applyEdits(text, d.fixes![0].edits)).diagnostics;
  assert.ok(!after.some((x) => /Missing required key "model"/.test(x.message)), JSON.stringify(after));
});

test('KT002 missing base_url on a non-mock target, fix adds the key', () => {
  const text = CLEAN.replace('        base_url: https://api.openai.com/v1\n', '');
  const d = only(text);
  assert.equal(d.code, 'KT002');
  assert.deepEqual(d.range, at(text, '      provider:', 'provider'));
  assert.match(d.message, /Missing required key "base_url"/);
  const after = applyEdits(text, d.fixes![0].edits);
  assert.ok(!analyzePolicy(after).diagnostics.some((x) => /Missing required key "base_url"/.test(x.message)));
});

test('KT002 bounds and patterns', () => {
  const weightText = CLEAN.replace('strategy: fallback', 'strategy: weighted').replace('timeout_ms: 5000', 'weight: 150');
  const weight = analyzePolicy(weightText).diagnostics;
  assert.deepEqual(weight.map((x) => x.code), ['KT102', 'KT002']); // the sum is wrong too
  assert.deepEqual(weight[1].range, at(weightText, 'weight: 150', '150'));
  assert.match(weight[1].message, /weight must be at most 100, not number 150/);
  const env = CLEAN.replace('env: OPENAI_API_KEY', 'env: 1-KEY');
  const d = only(env);
  assert.deepEqual(d.range, at(env, 'env: 1-KEY', '1-KEY'));
  assert.match(d.message, /must be an environment variable name/);
});

test('KT002 for an empty document and for a root that is not a mapping', () => {
  for (const text of ['', '\n\n', '---\n', '# only a comment\n']) {
    const d = only(text);
    assert.equal(d.code, 'KT002');
    assert.match(d.message, /The config is empty/);
  }
  const list = '- a\n- b\n';
  const d = only(list);
  assert.deepEqual(d.range, at(list, '- a', '- a'));
  assert.match(d.message, /must be a mapping/);
});

test('KT001 syntax errors: one line, at the offending token, no further checks', () => {
  const flow = 'model_groups: [\n  {name: a}\nother: 1\n';
  const d = analyzePolicy(flow).diagnostics;
  assert.ok(d.length >= 1 && d.every((x) => x.code === 'KT001'));
  assert.ok(d.every((x) => x.range.start.line === x.range.end.line));
  const tab = 'pack:\n\tname: x\n';
  const t = only(tab);
  assert.equal(t.code, 'KT001');
  assert.deepEqual(t.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } });
  assert.match(t.message, /^YAML syntax error: .*Check indentation/);
});

test('KT001 unclosed quote at the end of the text underlines the last character of the quoted line', () => {
  const text = 'pack:\n  name: "unterminated\n';
  const d = only(text);
  assert.equal(d.code, 'KT001');
  assert.deepEqual(d.range, { start: { line: 1, character: 20 }, end: { line: 1, character: 21 } });
  assert.match(d.message, /quote/);
});

test('KT001 duplicate key: on the second key, related location of the first', () => {
  const text = CLEAN.replace('        model: gpt-4o\n', '        model: gpt-4o\n        model: gpt-4o-mini\n');
  const d = only(text);
  assert.equal(d.code, 'KT001');
  assert.deepEqual(d.range, at(text, 'model: gpt-4o-mini', 'model'));
  assert.deepEqual(d.related?.[0].range, at(text, 'model: gpt-4o\n'.slice(0, -1), 'model', 1));
  assert.match(d.message, /Duplicate key "model"/);
});

test('KT001 for an alias bomb, on the first alias, without expanding it', () => {
  const text = 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n';
  const d = only(text);
  assert.equal(d.code, 'KT001');
  assert.match(d.message, /aliases/);
  assert.deepEqual(d.range, { start: { line: 1, character: 7 }, end: { line: 1, character: 9 } });
});

test('KT001 for several documents in one file', () => {
  const d = analyzePolicy(`${CLEAN}---\npack:\n  name: x\n`).diagnostics;
  assert.deepEqual(d.map((x) => x.code), ['KT001']);
  assert.equal(d[0].range.start.line, CLEAN.split('\n').length - 1);
});

test('a collection used as a key is reported without a runtime warning on stderr', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const d = analyzePolicy('? [a, b]\n: 1\n').diagnostics;
    assert.deepEqual(d.map((x) => x.code), ['KT002']);
    await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on a later tick
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
});

test('KT001 duplicate keys are found at every depth, in flow maps and in long mappings', () => {
  const nested = `${CLEAN}  - name: b\n    models:\n      - {provider: openai, model: a, model: b}\n`;
  const d = only(nested);
  assert.equal(d.code, 'KT001');
  const line = nested.split('\n').findIndex((l) => l.includes('model: b}'));
  const second = nested.split('\n')[line].lastIndexOf('model');
  assert.deepEqual(d.range, { start: { line, character: second }, end: { line, character: second + 5 } });
  // A mapping with many keys; the third "k3" is reported against the first, not the second.
  const long = `pack:\n${Array.from({ length: 20 }, (_, i) => `  k${i}: ${i}\n`).join('')}  k3: again\n  k3: thrice\n`;
  const dups = analyzePolicy(long).diagnostics.filter((x) => x.code === 'KT001');
  assert.deepEqual(dups.map((x) => x.range.start.line), [21, 22]);
  assert.deepEqual(dups.map((x) => x.related?.[0].range.start.line), [4, 4]);
});
