// KT101–KT114 and KT116: each rule fires on the exact token, says what to do, and its fix data repairs the config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePolicy } from '../../gateway/policy/analyze';
import type { PolicyDiagnostic } from '../../gateway/policy/types';
import { applyEdits, at } from './text-fixtures';

const TARGETS = `providers:
  targets:
    - id: openai
      provider:
        base_url: https://api.openai.com/v1
        secret_key_ref:
          env: OPENAI_API_KEY
    - id: anthropic
      provider:
        base_url: https://api.anthropic.com/v1
        secret_key_ref:
          env: ANTHROPIC_API_KEY
    - id: local-ollama
      provider:
        base_url: http://localhost:11434/v1
`;

const AUDIT = `policies:
  chain:
    - audit-logger
policy:
  audit-logger:
    immutable: true
    retention_days: 30
    log_all_access: false
`;

function withGroups(groups: string, targets = TARGETS): string {
  return `${targets}${AUDIT}model_groups:\n${groups}`;
}

function codes(text: string, env?: Record<string, string>): string[] {
  return analyzePolicy(text, env ? { checkEnv: true, env } : {}).diagnostics.map((d) => d.code);
}

/** The one diagnostic of the text, asserting there is exactly one and it has `code`. */
function single(text: string, code: string, env?: Record<string, string>): PolicyDiagnostic {
  const { diagnostics } = analyzePolicy(text, env ? { checkEnv: true, env } : {});
  assert.deepEqual(diagnostics.map((d) => d.code), [code], JSON.stringify(diagnostics.map((d) => d.message)));
  return diagnostics[0];
}

/** Applies the diagnostic's first fix and returns the fixed text. */
function fixed(text: string, d: PolicyDiagnostic): string {
  assert.ok(d.fixes && d.fixes.length > 0, `${d.code} has no fix`);
  assert.ok(d.fixes[0].title.length > 0);
  return applyEdits(text, d.fixes[0].edits);
}

const WEIGHTED = `  - name: fast-chat
    models:
      - provider: openai
        model: gpt-4o-mini
        weight: 70
      - provider: anthropic
        model: claude-haiku
        weight: 30
`;

test('the base fixtures are clean', () => {
  assert.deepEqual(codes(withGroups(WEIGHTED)), []);
});

test('KT101 unknown provider: on the provider value, closest id suggested, fix renames it', () => {
  const text = withGroups(WEIGHTED.replace('provider: openai', 'provider: opnai'));
  const d = single(text, 'KT101');
  assert.equal(d.severity, 'error');
  assert.deepEqual(d.range, at(text, 'provider: opnai', 'opnai'));
  assert.match(d.message, /Unknown provider in model group "fast-chat"/);
  assert.match(d.message, /"opnai"/);
  assert.match(d.message, /Did you mean "openai"\?/);
  assert.deepEqual(codes(fixed(text, d)), []);
});

test('KT101 with nothing close lists the known ids and offers no fix', () => {
  const text = withGroups(WEIGHTED.replace('provider: anthropic', 'provider: mistral-large-eu'));
  const d = single(text, 'KT101');
  assert.deepEqual(d.range, at(text, 'provider: mistral-large-eu', 'mistral-large-eu'));
  assert.match(d.message, /Known provider ids: "openai", "anthropic", "local-ollama"/);
  assert.equal(d.fixes, undefined);
});

test('KT101 does not fire for ids that exist, including one defined after the groups', () => {
  const text = `${AUDIT}model_groups:\n${WEIGHTED}${TARGETS}`;
  assert.deepEqual(codes(text), []);
});

test('KT102 weights not summing to 100: on the models key, says the sum, related weights, fix scales them', () => {
  const text = withGroups(WEIGHTED.replace('weight: 30', 'weight: 20'));
  const d = single(text, 'KT102');
  assert.deepEqual(d.range, at(text, '    models:', 'models'));
  assert.match(d.message, /Weights must sum to 100/);
  assert.match(d.message, /they sum to 90\b/);
  assert.deepEqual(d.related?.map((r) => r.range), [at(text, 'weight: 70', '70'), at(text, 'weight: 20', '20')]);
  const repaired = fixed(text, d);
  assert.deepEqual(codes(repaired), []);
  assert.match(repaired, /weight: 78\n[\s\S]*weight: 22\n/);
});

test('KT102 reports fractional sums as they are and over-100 sums too', () => {
  const text = withGroups(WEIGHTED.replace('weight: 30', 'weight: 30.5'));
  assert.match(single(text, 'KT102').message, /they sum to 100\.5\b/);
  assert.deepEqual(codes(withGroups(WEIGHTED.replace('weight: 30', 'weight: 29.5').replace('weight: 70', 'weight: 70.5'))), []);
});

test('KT102 does not fire for a single unweighted model or for non-weighted strategies', () => {
  assert.deepEqual(codes(withGroups('  - name: solo\n    models:\n      - provider: openai\n        model: gpt-4o\n')), []);
  const latency = '  - name: quick\n    strategy: latency\n    models:\n      - provider: openai\n        model: gpt-4o\n      - provider: anthropic\n        model: claude-haiku\n';
  assert.deepEqual(codes(withGroups(latency)), []);
});

test('KT103 duplicate group name: on the second name, related location of the first, fix removes the duplicate', () => {
  const second = '  - name: fast-chat\n    models:\n      - provider: anthropic\n        model: claude-haiku\n        weight: 100\n';
  const text = withGroups(WEIGHTED + second);
  const d = single(text, 'KT103');
  assert.deepEqual(d.range, at(text, '- name: fast-chat', 'fast-chat', 2));
  assert.match(d.message, /Duplicate model group name "fast-chat"/);
  assert.equal(d.related?.length, 1);
  assert.deepEqual(d.related?.[0].range, at(text, '- name: fast-chat', 'fast-chat', 1));
  const repaired = fixed(text, d);
  assert.deepEqual(codes(repaired), []);
  assert.equal(repaired, withGroups(WEIGHTED));
});

test('KT103 does not fire for distinct names', () => {
  assert.deepEqual(codes(withGroups(WEIGHTED + WEIGHTED.replace('fast-chat', 'premium-chat'))), []);
});

test('KT104 missing secret_key_ref: on the provider key, fix adds secret_key_ref.env; ollama and mock need none', () => {
  const targets = TARGETS.replace('        secret_key_ref:\n          env: ANTHROPIC_API_KEY\n', '');
  const text = withGroups(WEIGHTED, targets);
  const d = single(text, 'KT104');
  assert.deepEqual(d.range, at(text, 'provider:', 'provider', 2));
  assert.match(d.message, /Missing secret_key_ref on provider target "anthropic"/);
  const repaired = fixed(text, d);
  assert.deepEqual(codes(repaired), []);
  assert.match(repaired, /base_url: https:\/\/api\.anthropic\.com\/v1\n {8}secret_key_ref:\n {10}env: ANTHROPIC_API_KEY\n/);
  // local-ollama in TARGETS has no key and is clean; so is a mock.
  const mock = `${TARGETS}    - id: m\n      provider:\n        type: mock\n        base_url: mock://m\n`;
  assert.deepEqual(codes(withGroups(WEIGHTED, mock)), []);
});

test('KT105 duplicate provider id: on the second id, related location of the first', () => {
  const targets = `${TARGETS}    - id: openai\n      provider:\n        base_url: https://eu.api.openai.com/v1\n        secret_key_ref:\n          env: OPENAI_EU_KEY\n`;
  const text = withGroups(WEIGHTED, targets);
  const d = single(text, 'KT105');
  assert.deepEqual(d.range, at(text, '- id: openai', 'openai', 2));
  assert.deepEqual(d.related?.[0].range, at(text, '- id: openai', 'openai', 1));
  assert.match(d.message, /Duplicate provider id "openai"/);
});

const FALLBACK = `  - name: reliable-chat
    strategy: fallback
    models:
      - provider: openai
        model: gpt-4o
        timeout_ms: 5000
      - provider: anthropic
        model: claude-sonnet-4
        timeout_ms: 10000
      - provider: local-ollama
        model: llama3.1
        timeout_ms: 30000
`;

test('KT106 fallback model without timeout_ms: warning on the model name, fix adds timeout_ms', () => {
  assert.deepEqual(codes(withGroups(FALLBACK)), []);
  const text = withGroups(FALLBACK.replace('        timeout_ms: 10000\n', ''));
  const d = single(text, 'KT106');
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, at(text, 'model: claude-sonnet-4', 'claude-sonnet-4'));
  assert.match(d.message, /anthropic\/claude-sonnet-4/);
  const repaired = fixed(text, d);
  assert.deepEqual(codes(repaired), []);
  assert.match(repaired, /model: claude-sonnet-4\n {8}timeout_ms: 10000\n/);
});

test('KT106 does not fire in weighted groups, nor when timeout_ms is present but invalid (KT002 says so)', () => {
  assert.deepEqual(codes(withGroups(WEIGHTED)), []);
  assert.deepEqual(codes(withGroups(FALLBACK.replace('timeout_ms: 10000', 'timeout_ms: 10s'))), ['KT002']);
});

const COST = `  - name: cost-optimized
    strategy: cost
    budget_per_request_usd: 0.01
    models:
      - provider: openai
        model: gpt-4o-mini
        cost_per_1k_input: 0.00015
        cost_per_1k_output: 0.0006
      - provider: openai
        model: gpt-4o
        cost_per_1k_input: 0.0025
        cost_per_1k_output: 0.01
`;

test('KT107 cost group without a budget: on the group name, fix adds the budget', () => {
  assert.deepEqual(codes(withGroups(COST)), []);
  const text = withGroups(COST.replace('    budget_per_request_usd: 0.01\n', ''));
  const d = single(text, 'KT107');
  assert.deepEqual(d.range, at(text, 'name: cost-optimized', 'cost-optimized'));
  assert.match(d.message, /budget_per_request_usd/);
  const repaired = fixed(text, d);
  assert.deepEqual(codes(repaired), []);
  // Added at the group's key column, after the last model.
  assert.match(repaired, /cost_per_1k_output: 0\.01\n {4}budget_per_request_usd: 0\.01\n/);
});

test('KT107 model in a cost group missing a price: on the model name, names the missing keys', () => {
  const text = withGroups(COST.replace('        cost_per_1k_output: 0.01\n', '').replace('        cost_per_1k_input: 0.0025\n', ''));
  const d = single(text, 'KT107');
  assert.deepEqual(d.range, at(text, 'model: gpt-4o', 'gpt-4o', 2)); // #1 is gpt-4o-mini
  assert.match(d.message, /cost_per_1k_input and cost_per_1k_output/);
  const one = withGroups(COST.replace('        cost_per_1k_input: 0.00015\n', ''));
  assert.match(single(one, 'KT107').message, /needs cost_per_1k_input \(/);
});

test('KT107 does not fire outside cost groups, nor for a price that is present but invalid (KT002 says so)', () => {
  assert.deepEqual(codes(withGroups(WEIGHTED)), []);
  assert.deepEqual(codes(withGroups(COST.replace('cost_per_1k_output: 0.01', 'cost_per_1k_output: cheap'))), ['KT002']);
});

test('KT108 unknown policy in chain: on the entry, did-you-mean fix', () => {
  const text = withGroups(WEIGHTED).replace('    - audit-logger\n', '    - audit-loger\n');
  const d = single(text, 'KT108');
  assert.deepEqual(d.range, at(text, '- audit-loger', 'audit-loger'));
  assert.match(d.message, /Did you mean "audit-logger"\?/);
  assert.deepEqual(codes(fixed(text, d)), []);
});

test('KT108 known policy in chain but not configured under policy', () => {
  const text = `${TARGETS}policies:\n  chain:\n    - audit-logger\nmodel_groups:\n${WEIGHTED}`;
  const d = single(text, 'KT108');
  assert.deepEqual(d.range, at(text, '- audit-logger', 'audit-logger'));
  assert.match(d.message, /not configured/);
  // Configured but not chained is fine (it simply does not run).
  assert.deepEqual(codes(`${TARGETS}policy:\n  audit-logger:\n    immutable: true\nmodel_groups:\n${WEIGHTED}`), []);
});

test('KT109 weight in a fallback group: warning on the weight key, fix removes the line', () => {
  const text = withGroups(FALLBACK.replace('        timeout_ms: 5000\n', '        weight: 80\n        timeout_ms: 5000\n'));
  const d = single(text, 'KT109');
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, at(text, 'weight: 80', 'weight'));
  assert.equal(fixed(text, d), withGroups(FALLBACK));
});

test('KT109 in a cost group too, and not in weighted groups', () => {
  const text = withGroups(COST.replace('        model: gpt-4o-mini\n', '        model: gpt-4o-mini\n        weight: 50\n'));
  const d = single(text, 'KT109');
  assert.match(d.message, /cost group/);
  assert.deepEqual(codes(fixed(text, d)), []);
});

test('KT110 model without weight in a weighted group: on the model name, fix adds the remaining share', () => {
  const text = withGroups(WEIGHTED.replace('        weight: 30\n', ''));
  const d = single(text, 'KT110');
  assert.deepEqual(d.range, at(text, 'model: claude-haiku', 'claude-haiku'));
  const repaired = fixed(text, d);
  assert.match(repaired, /model: claude-haiku\n {8}weight: 30\n/);
  assert.deepEqual(codes(repaired), []);
});

test('KT110 fixes for several unweighted models together make the weights sum to 100', () => {
  const three = '  - name: trio\n    models:\n      - provider: openai\n        model: a\n      - provider: openai\n        model: b\n      - provider: anthropic\n        model: c\n';
  const text = withGroups(three);
  const { diagnostics } = analyzePolicy(text);
  assert.deepEqual(diagnostics.map((d) => d.code), ['KT110', 'KT110', 'KT110']);
  const repaired = applyEdits(text, diagnostics.flatMap((d) => d.fixes?.[0].edits ?? []));
  assert.deepEqual(codes(repaired), []);
});

test('KT110/KT102 stay quiet about a weight that is present but not a number (KT002 says so)', () => {
  assert.deepEqual(codes(withGroups(WEIGHTED.replace('weight: 30', 'weight: thirty'))), ['KT002']);
  assert.deepEqual(codes(withGroups(WEIGHTED.replace('weight: 30', 'weight:'))), ['KT002']);
});

test('KT111 base_url not an absolute http(s) URL: on the value, no fix', () => {
  for (const bad of ['api.openai.com/v1', 'ftp://files.example.com/v1', '/v1']) {
    const text = withGroups(WEIGHTED, TARGETS.replace('https://api.openai.com/v1', bad));
    const d = single(text, 'KT111');
    assert.deepEqual(d.range, at(text, `base_url: ${bad}`, bad));
    assert.match(d.message, /not an absolute http\(s\) URL/);
  }
});

test('KT111 accepts mock:// only for mock targets', () => {
  const mock = `${TARGETS}    - id: m\n      provider:\n        type: mock\n        base_url: mock://m\n`;
  assert.deepEqual(codes(withGroups(WEIGHTED, mock)), []);
  const typed = `${TARGETS}    - id: m\n      provider:\n        type: openai\n        base_url: mock://m\n        secret_key_ref:\n          env: M_KEY\n`;
  assert.deepEqual(codes(withGroups(WEIGHTED, typed)), ['KT111']);
});

test('KT112 group with no models: on the models key', () => {
  const text = withGroups('  - name: empty\n    models: []\n');
  const d = single(text, 'KT112');
  assert.deepEqual(d.range, at(text, 'models: []', 'models'));
  assert.match(d.message, /has no models/);
});

test('KT113 unset key variable: only with checkEnv, on the env value', () => {
  const text = withGroups(WEIGHTED);
  assert.deepEqual(codes(text), []);
  const d = single(text, 'KT113', { OPENAI_API_KEY: 'x' });
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, at(text, 'env: ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY'));
  assert.match(d.message, /ANTHROPIC_API_KEY/);
  assert.deepEqual(codes(text, { OPENAI_API_KEY: 'x', ANTHROPIC_API_KEY: '' }), [], 'set but empty counts as set');
});

test('KT114 plain http to a remote host: warning on the value, fix switches to https', () => {
  const text = withGroups(WEIGHTED, TARGETS.replace('https://api.openai.com/v1', 'http://llm-proxy.example.com/v1'));
  const d = single(text, 'KT114');
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, at(text, 'base_url: http://llm-proxy', 'http://llm-proxy.example.com/v1'));
  const repaired = fixed(text, d);
  assert.match(repaired, /base_url: https:\/\/llm-proxy\.example\.com\/v1\n/);
  assert.deepEqual(codes(repaired), []);
});

test('KT114 does not fire for loopback hosts', () => {
  for (const host of ['localhost:8080', '127.0.0.1:11434', '[::1]:9000', 'ollama.localhost']) {
    assert.deepEqual(codes(withGroups(WEIGHTED, TARGETS.replace('https://api.openai.com/v1', `http://${host}/v1`))), [], host);
  }
});

const MIXED = `  - name: everything
    strategy: fallback
    models:
      - provider: openai
        model: gpt-4o-mini
        timeout_ms: 5000
      - provider: openai
        model: text-embedding-3-small
        timeout_ms: 5000
      - provider: local-ollama
        model: nomic-embed-text:latest
        timeout_ms: 5000
`;

test('KT116 group mixing known chat and embedding models: warning on the group name, says what to do, related models', () => {
  const text = withGroups(MIXED);
  const d = single(text, 'KT116');
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, at(text, 'name: everything', 'everything'));
  assert.match(d.message, /Model group "everything" mixes chat models \("gpt-4o-mini"\) and embedding models \("text-embedding-3-small", "nomic-embed-text:latest"\)/);
  assert.match(d.message, /Move the embedding models to a group of their own and send \/v1\/embeddings requests to that group\./);
  assert.deepEqual(d.related?.map((r) => r.message), [
    'openai/gpt-4o-mini is a known chat model',
    'openai/text-embedding-3-small is a known embedding model',
    'local-ollama/nomic-embed-text:latest is a known embedding model',
  ]);
  assert.deepEqual(d.related?.[1].range, at(text, 'model: text-embedding-3-small', 'text-embedding-3-small'));
});

test('KT116 stays quiet for groups of one kind, and when a model is unknown', () => {
  const embeddingsOnly = MIXED.replace('model: gpt-4o-mini', 'model: text-embedding-3-large');
  assert.deepEqual(codes(withGroups(embeddingsOnly)), []);
  const chatOnly = MIXED.replace('model: text-embedding-3-small', 'model: gpt-4o').replace('model: nomic-embed-text:latest', 'model: llama3.2');
  assert.deepEqual(codes(withGroups(chatOnly)), []);
  // A model the gateway does not know may be either: no guessing.
  const unknown = MIXED.replace('model: gpt-4o-mini', 'model: my-finetune').replace('model: text-embedding-3-small', 'model: my-embedder');
  assert.deepEqual(codes(withGroups(unknown)), []);
});

test('KT107 asks only for the input price of a known embedding model in a cost group', () => {
  const group = `  - name: cheap-embeddings
    strategy: cost
    budget_per_request_usd: 0.001
    models:
      - provider: openai
        model: text-embedding-3-small
      - provider: openai
        model: text-embedding-3-large
        cost_per_1k_input: 0.00013
`;
  const text = withGroups(group);
  const d = single(text, 'KT107');
  assert.match(d.message, /text-embedding-3-small in cost group "cheap-embeddings" needs cost_per_1k_input \(/);
  assert.doesNotMatch(d.message, /cost_per_1k_output/);
  const repaired = fixed(text, d);
  assert.match(repaired, /cost_per_1k_input: 0\.00002\n/);
  assert.deepEqual(codes(repaired), []);
});

test('fixes work on CRLF text and keep its line endings', () => {
  const text = withGroups(FALLBACK.replace('        timeout_ms: 10000\n', '')).replace(/\n/g, '\r\n');
  const d = single(text, 'KT106');
  const repaired = fixed(text, d);
  assert.deepEqual(codes(repaired), []);
  assert.match(repaired, /model: claude-sonnet-4\r?\n {8}timeout_ms: 10000\r\n/);
});

test('a clean config yields the typed config; any error withholds it', () => {
  const clean = analyzePolicy(withGroups(WEIGHTED + FALLBACK + COST));
  assert.ok(clean.config);
  assert.deepEqual(clean.config.groups.map((g) => [g.name, g.strategy, g.models.length]), [
    ['fast-chat', 'weighted', 2], ['reliable-chat', 'fallback', 3], ['cost-optimized', 'cost', 2],
  ]);
  assert.deepEqual(clean.config.targets.map((t) => [t.id, t.type, t.keyEnv]), [
    ['openai', 'openai', 'OPENAI_API_KEY'], ['anthropic', 'anthropic', 'ANTHROPIC_API_KEY'], ['local-ollama', 'ollama', undefined],
  ]);
  assert.deepEqual(clean.config.auditLogger, { immutable: true, retention_days: 30, log_all_access: false });
  assert.equal(analyzePolicy(withGroups(WEIGHTED.replace('weight: 30', 'weight: 20'))).config, undefined);
});
