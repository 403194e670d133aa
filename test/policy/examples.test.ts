// Every file under examples/: the clean ones lint clean, each broken one fires exactly the rule its name says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyzePolicy } from '../../gateway/policy/analyze';

const ROOT = join(__dirname, '..', '..', 'examples');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

const all = yamlFiles(ROOT);
const broken = all.filter((f) => relative(ROOT, f).startsWith('broken/'));
const clean = all.filter((f) => !broken.includes(f));

test('the examples folder has the demo, the guide configurations and a broken file per rule', () => {
  assert.ok(clean.some((f) => relative(ROOT, f) === 'policy-config.yaml'));
  assert.ok(clean.length >= 11, `only ${clean.length} clean examples`);
  const ruleCodes = new Set(broken.map((f) => /KT\d{3}/.exec(f)?.[0]));
  const expected = ['KT001', 'KT002', ...Array.from({ length: 14 }, (_, i) => `KT${101 + i}`), 'KT116']; // KT115 needs a file over 1 MB
  assert.deepEqual([...ruleCodes].sort(), expected);
  assert.ok(broken.filter((f) => f.includes('KT002')).length >= 4, 'KT002: unknown key, enum, type, missing required');
});

for (const file of clean) {
  test(`clean: ${relative(ROOT, file)}`, () => {
    const text = readFileSync(file, 'utf8');
    // With every key variable set, not even KT113 fires.
    const env = Object.fromEntries([...text.matchAll(/env: (\w+)/g)].map((m) => [m[1], 'set']));
    const analysis = analyzePolicy(text, { checkEnv: true, env });
    assert.deepEqual(analysis.diagnostics.map((d) => `${d.range.start.line + 1}: ${d.code} ${d.message}`), []);
    assert.ok(analysis.config, 'a clean config yields the typed config');
    assert.match(text, /^# /, 'starts with a comment saying what it shows');
  });
}

for (const file of broken) {
  const code = /KT\d{3}/.exec(file)![0];
  test(`broken: ${relative(ROOT, file)} fires only ${code}`, () => {
    const text = readFileSync(file, 'utf8');
    const env = code === 'KT113' ? {} : Object.fromEntries([...text.matchAll(/env: (\w+)/g)].map((m) => [m[1], 'set']));
    const { diagnostics } = analyzePolicy(text, { checkEnv: true, env });
    assert.ok(diagnostics.length >= 1);
    assert.deepEqual([...new Set(diagnostics.map((d) => d.code))], [code], JSON.stringify(diagnostics.map((d) => d.message)));
    if (code === 'KT113') assert.deepEqual(analyzePolicy(text).diagnostics, [], 'KT113 only with checkEnv');
  });
}

test('the demo config has what npm start needs', () => {
  const { config } = analyzePolicy(readFileSync(join(ROOT, 'policy-config.yaml'), 'utf8'));
  assert.ok(config);
  assert.deepEqual(config.targets.map((t) => [t.id, t.type]), [['primary', 'mock'], ['flaky', 'mock'], ['backup', 'mock'], ['local-ollama', 'ollama']]);
  assert.deepEqual(config.targets[1].mock, { latency_ms: 80, fail_status: 503, failure_rate: 0.5 });
  const groups = new Map(config.groups.map((g) => [g.name, g]));
  assert.deepEqual([...groups.keys()], ['fast-chat', 'reliable-chat', 'cost-optimized', 'quick', 'chat-experiment', 'embeddings']);
  const reliable = groups.get('reliable-chat')!;
  assert.equal(reliable.strategy, 'fallback');
  assert.deepEqual(reliable.models.map((m) => m.provider), ['flaky', 'backup', 'local-ollama']);
  assert.ok(reliable.models.every((m) => typeof m.timeout_ms === 'number'));
  assert.equal(groups.get('chat-experiment')!.session_affinity, true);
  assert.equal(groups.get('cost-optimized')!.budget_per_request_usd, 0.01);
  assert.deepEqual(config.auditLogger, { immutable: true, retention_days: 30, log_all_access: false });
});
