import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import type { CompletionItem, TextEdit } from 'vscode-languageserver-types';
import { complete } from '../../../server/services/completion';
import { viewOf } from '../../../server/services/view';
import { caret, fixture } from '../support/caret';

const ENV = { OPENAI_API_KEY: 'sk-secret-value', HOME: '/root', GROQ_TOKEN: 't' };

function completeAt(marked: string, env: Record<string, string> = ENV): CompletionItem[] {
  const { text, position } = caret(marked);
  return complete(viewOf(text), position, env);
}

function labels(items: CompletionItem[]): string[] {
  return items.map((i) => i.label);
}

/** The text after applying an item's edit at the caret. */
function applyItem(marked: string, item: CompletionItem): string {
  const { text } = caret(marked);
  const edit = item.textEdit as TextEdit;
  const lines = text.split('\n');
  const line = lines[edit.range.start.line];
  // Snippet placeholders become their default text; tab stops disappear.
  const newText = edit.newText.replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\d+/g, '');
  lines[edit.range.start.line] = line.slice(0, edit.range.start.character) + newText + line.slice(edit.range.end.character);
  return lines.join('\n');
}

const PROVIDERS = `providers:
  targets:
    - id: openai
      provider:
        base_url: https://api.openai.com/v1
        secret_key_ref:
          env: OPENAI_API_KEY
    - id: claude
      provider:
        base_url: https://api.anthropic.com/v1
        secret_key_ref:
          env: ANTHROPIC_API_KEY
    - id: local
      provider:
        base_url: http://localhost:11434/v1
`;

test('provider ids complete inside models[].provider, replacing the typed prefix', () => {
  const marked = `${PROVIDERS}model_groups:\n  - name: a\n    models:\n      - provider: op|\n        model: x\n`;
  const items = completeAt(marked);
  assert.deepEqual(labels(items), ['openai', 'claude', 'local']);
  assert.match(String(items[1].detail), /anthropic · https:\/\/api\.anthropic\.com\/v1/);
  assert.match(applyItem(marked, items[0]), /- provider: openai\n {8}model: x/);
});

test('model names come from the referenced target\'s provider type', () => {
  const anthropic = labels(completeAt(`${PROVIDERS}model_groups:\n  - name: a\n    models:\n      - provider: claude\n        model: |\n`));
  assert.ok(anthropic.includes('claude-sonnet-4'));
  assert.ok(!anthropic.includes('gpt-4o'));
  // The provider key may come after the model key in the same item.
  const ollama = labels(completeAt(`${PROVIDERS}model_groups:\n  - name: a\n    models:\n      - model: ll|\n        provider: local\n`));
  assert.ok(ollama.includes('llama3.1'));
  assert.ok(!ollama.includes('claude-sonnet-4'));
  const item = completeAt(`${PROVIDERS}model_groups:\n  - name: a\n    models:\n      - provider: openai\n        model: gpt|\n`).find((i) => i.label === 'gpt-4o-mini');
  assert.match(String(item?.detail), /\$0\.00015 in \/ \$0\.0006 out per 1k · 128,000 tokens/);
});

test('enum values complete for strategy and type, with what each means', () => {
  const strategies = completeAt('model_groups:\n  - name: a\n    strategy: |\n');
  assert.deepEqual(labels(strategies), ['weighted', 'fallback', 'cost', 'latency']);
  assert.match(JSON.stringify(strategies[1].documentation), /in order/i);
  const types = labels(completeAt('providers:\n  targets:\n    - id: x\n      provider:\n        type: a|\n'));
  assert.deepEqual(types, ['openai', 'azure-openai', 'anthropic', 'ollama', 'mock']);
});

test('a value right after the colon gets a separating space', () => {
  const marked = 'model_groups:\n  - name: a\n    strategy:|\n';
  const fallback = completeAt(marked).find((i) => i.label === 'fallback')!;
  assert.equal(applyItem(marked, fallback), 'model_groups:\n  - name: a\n    strategy: fallback\n');
});

test('schema keys valid at the cursor, minus the ones present, with documentation', () => {
  const items = completeAt(`${PROVIDERS}model_groups:\n  - name: a\n    |\n    models: []\n`);
  assert.deepEqual(labels(items).sort(), ['budget_per_request_usd', 'session_affinity', 'strategy']);
  const strategy = items.find((i) => i.label === 'strategy')!;
  assert.match(JSON.stringify(strategy.documentation), /weighted/);
  assert.match((strategy.textEdit as TextEdit).newText, /^strategy: \$\{1\|weighted,fallback,cost,latency\|\}$/);
  const root = labels(completeAt(`${PROVIDERS}|`));
  assert.deepEqual(root.sort(), ['model_groups', 'pack', 'policies', 'policy']);
});

test('a partly typed key is replaced whole, and an object key opens an indented block', () => {
  const marked = 'pack:\n  name: x\nprov|';
  const providers = completeAt(marked).find((i) => i.label === 'providers')!;
  assert.equal(applyItem(marked, providers), 'pack:\n  name: x\nproviders:\n  ');
  const targets = completeAt('providers:\n  tar|').find((i) => i.label === 'targets')!;
  assert.equal((targets.textEdit as TextEdit).newText, 'targets:\n    - $0');
});

test('a key with a colon after the cursor inserts only the name', () => {
  const marked = 'model_groups:\n  - name: a\n    strat|: fallback\n';
  const strategy = completeAt(marked).find((i) => i.label === 'strategy')!;
  assert.equal(applyItem(marked, strategy), 'model_groups:\n  - name: a\n    strategy: fallback\n');
});

test('a whole provider target snippet yields valid YAML at the right indentation', () => {
  const marked = `${PROVIDERS}    - |`;
  const items = completeAt(marked);
  const anthropic = items.find((i) => i.label === 'provider target (anthropic)')!;
  assert.ok(anthropic, `snippets offered: ${labels(items).join(', ')}`);
  const result = applyItem(marked, anthropic);
  const doc = parseDocument(result).toJS();
  assert.deepEqual(doc.providers.targets[3], {
    id: 'anthropic',
    provider: { base_url: 'https://api.anthropic.com/v1', secret_key_ref: { env: 'ANTHROPIC_API_KEY' } },
  });
  // A type already used as an id gets a free id.
  const openai = items.find((i) => i.label === 'provider target (openai)')!;
  assert.equal(parseDocument(applyItem(marked, openai)).toJS().providers.targets[3].id, 'openai-2');
});

test('at a list\'s indentation, whole items come with their dash', () => {
  const marked = `${PROVIDERS}model_groups:\n  |`;
  const items = completeAt(marked);
  const fallback = items.find((i) => i.label === '- model group (fallback)')!;
  assert.ok(fallback, `offered: ${labels(items).join(', ')}`);
  const group = parseDocument(applyItem(marked, fallback)).toJS().model_groups[0];
  assert.equal(group.name, 'fallback-chat');
  assert.equal(group.strategy, 'fallback');
  assert.equal(group.models[0].provider, 'openai');
  assert.equal(group.models[0].model, 'gpt-4o');
  assert.equal(group.models[0].timeout_ms, 10000);
});

test('policy names complete in policies.chain', () => {
  const items = completeAt('policies:\n  chain:\n    - aud|\n');
  assert.deepEqual(labels(items), ['audit-logger']);
  assert.match(String(items[0].detail), /not configured/);
  assert.deepEqual(labels(completeAt('policies:\n  chain:\n    |\n')), ['- audit-logger']);
});

test('env names: the name derived from the id first, then names in use, then the environment; values never shown', () => {
  const items = completeAt('providers:\n  targets:\n    - id: openai\n      provider:\n        secret_key_ref:\n          env: OPENAI_API_KEY\n    - id: my-groq\n      provider:\n        base_url: https://api.groq.com/openai/v1\n        secret_key_ref:\n          env: |\n');
  const sorted = [...items].sort((a, b) => String(a.sortText).localeCompare(String(b.sortText)));
  assert.deepEqual(labels(sorted).slice(0, 3), ['MY_GROQ_API_KEY', 'OPENAI_API_KEY', 'GROQ_TOKEN']);
  assert.equal(sorted[0].preselect, true);
  assert.match(String(sorted[1].detail), /used in this config · set/);
  assert.ok(labels(items).includes('HOME'));
  assert.ok(!JSON.stringify(items).includes('sk-secret-value'));
});

test('completion on the example fixture offers the remaining keys of a fallback model', () => {
  const text = fixture('policy-config.yaml').replace('        timeout_ms: 5000\n', '        timeout_ms: 5000\n        |\n');
  const items = labels(completeAt(text));
  assert.deepEqual(items.sort(), ['cost_per_1k_input', 'cost_per_1k_output', 'max_input_tokens', 'tag', 'weight']);
});

test('no completion inside comments or in unknown places', () => {
  assert.deepEqual(completeAt('pack:\n  name: x # |\n'), []);
  assert.deepEqual(completeAt('pack:\n  name: |\n'), []);
});

test('positions past the end of the document complete nothing', () => {
  const view = viewOf('pack:\n  name: x\n');
  assert.deepEqual(complete(view, { line: 7, character: 3 }, {}), []);
  assert.deepEqual(complete(view, { line: 1, character: 99 }, {}).map((i) => i.label), []);
});

test('a typed space completes values after "key: " but not while indenting', () => {
  const { text, position } = caret('model_groups:\n  - name: a\n    strategy: |\n');
  assert.equal(complete(viewOf(text), position, {}, ' ').length, 4);
  const indent = caret('model_groups:\n  - name: a\n    |\n');
  assert.deepEqual(complete(viewOf(indent.text), indent.position, {}, ' '), []);
  assert.ok(complete(viewOf(indent.text), indent.position, {}).length > 0);
});
