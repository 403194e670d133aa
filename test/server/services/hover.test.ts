import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MarkupContent } from 'vscode-languageserver-types';
import { hover } from '../../../server/services/hover';
import { viewOf } from '../../../server/services/view';
import { caretIn, fixture } from '../support/caret';

const TEXT = fixture('policy-config.yaml');

function hoverAt(on: string, after: string, env: Record<string, string> = {}, occurrence = 0): string {
  const { text, position } = caretIn(TEXT, on, after, occurrence);
  const result = hover(viewOf(text), position, env);
  assert.ok(result, `no hover on "${on}"`);
  return (result.contents as MarkupContent).value;
}

test('a key shows its schema documentation', () => {
  const doc = hoverAt('budget_per_request_usd:', 'budg');
  assert.match(doc, /^`budget_per_request_usd`\n\nCost groups: the most one request may cost/);
  assert.match(hoverAt('base_url: https://api.openai.com', 'base'), /Absolute `http\(s\)` URL/);
});

test('a provider reference shows base_url, type, key variable and whether it is set, never its value', () => {
  const set = hoverAt('- provider: anthropic', 'anthr', { ANTHROPIC_API_KEY: 'sk-ant-secret' });
  assert.match(set, /\*\*anthropic\*\* · provider target/);
  assert.match(set, /base_url: `https:\/\/api\.anthropic\.com\/v1`/);
  assert.match(set, /type: `anthropic` \(inferred from base_url\)/);
  assert.match(set, /key: `ANTHROPIC_API_KEY` is set ✓/);
  assert.match(set, /used by: `fast-chat`, `cheap-chat`/);
  assert.ok(!set.includes('sk-ant-secret'));
  const unset = hoverAt('- provider: anthropic', 'anthr', {});
  assert.match(unset, /`ANTHROPIC_API_KEY` is \*\*not set\*\*/);
  assert.match(hoverAt('- provider: local-ollama', 'local'), /type: `ollama`.*\n- key: none needed/);
});

test('a weighted group shows the planner\'s explanation: each model\'s share, the draw, unset keys', () => {
  const doc = hoverAt('- name: fast-chat', 'fast');
  assert.match(doc, /^\*\*fast-chat\*\* · model group, strategy `weighted`/);
  assert.match(doc, /drawn at random in proportion to its weight/);
  assert.match(doc, /\| openai\/gpt-4o-mini \| 70 \| 70% \|/);
  assert.match(doc, /\| anthropic\/claude-3-5-haiku \| 30 \| 30% \|/);
  assert.match(doc, /\*\*Keys not set\*\*: `OPENAI_API_KEY` \(target openai\), `ANTHROPIC_API_KEY` \(target anthropic\)/);
  const keyed = hoverAt('- name: fast-chat', 'fast', { OPENAI_API_KEY: 'sk-1', ANTHROPIC_API_KEY: 'sk-2' });
  assert.doesNotMatch(keyed, /Keys not set|sk-1|sk-2/);
});

test('weights that do not sum to 100: what the file says, relative shares, and that the gateway would not run it', () => {
  const text = TEXT.replace('weight: 70', 'weight: 60').replace('weight: 30', 'weight: 60');
  const { position } = caretIn(text, '- name: fast-chat', 'fast');
  const doc = (hover(viewOf(text), position, {})!.contents as MarkupContent).value;
  assert.match(doc, /\| 60 \| 50% \|/);
  assert.match(doc, /sum to 120, not 100/);
  assert.match(doc, /The gateway would not run this config while it has 1 error \(see Problems\)/);
});

test('a fallback group shows the order, the timeouts and what moves it on', () => {
  const doc = hoverAt('- name: reliable-chat', 'reli');
  assert.match(doc, /tried in the order listed/);
  assert.match(doc, /1\. `openai\/gpt-4o` — timeout 5000 ms\n2\. `local-ollama\/llama3\.1` — timeout 30000 ms/);
  assert.match(doc, /35000 ms of timeouts/);
  assert.match(doc, /\*\*Order\*\*: `openai\/gpt-4o` → `local-ollama\/llama3\.1`/);
  assert.match(doc, /HTTP 408, 409, 429, 5xx or 529/);
});

test('a cost group shows each model\'s estimated tokens and cost for a default request, and the winner', () => {
  const doc = hoverAt('- name: cheap-chat', 'cheap');
  assert.match(doc, /budget of \$0\.01 per request/);
  assert.match(doc, /default request \(one user message "Hello", no max_tokens: 256 completion tokens assumed\)/);
  const rows = doc.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| model'));
  assert.equal(rows.length, 2);
  assert.match(rows[0], /^\| openai\/gpt-4o-mini \| ~\d+ \| 256 \| \$0\.00015 \| \$0\.0006 \| \$0\.000154\d* \| wins \|$/);
  assert.match(rows[1], /^\| anthropic\/claude-3-5-haiku \| ~\d+ \| 256 \| \$0\.0008 \| \$0\.004 \| \$0\.00103\d* \| fits \|$/);
});

test('a model shows its known price and context window', () => {
  const doc = hoverAt('model: gpt-4o-mini', 'gpt');
  assert.match(doc, /`gpt-4o-mini` on `openai` \(openai\) — OpenAI GPT-4o mini/);
  assert.match(doc, /\$0\.00015 per 1k input tokens, \$0\.0006 per 1k output tokens/);
  assert.match(doc, /context window: 128,000 tokens/);
  const unknown = TEXT.replace('model: llama3.1', 'model: my-finetune');
  const { position } = caretIn(unknown, 'model: my-finetune', 'my');
  assert.match((hover(viewOf(unknown), position, {})!.contents as MarkupContent).value, /Not a model with a known list price/);
});

test('an unknown provider reference says which ids exist', () => {
  const text = TEXT.replace('- provider: anthropic\n        model: claude-3-5-haiku\n        weight: 30', '- provider: antropic\n        model: claude-3-5-haiku\n        weight: 30');
  const { position } = caretIn(text, '- provider: antropic', 'antr');
  const doc = (hover(viewOf(text), position, {})!.contents as MarkupContent).value;
  assert.match(doc, /no provider target has this id.*`openai`, `anthropic`, `local-ollama`/);
});

test('a value without its own meaning shows its key\'s documentation; blank space shows nothing', () => {
  assert.match(hoverAt('strategy: fallback', 'fall'), /`fallback`: in order/);
  const { text, position } = caretIn(TEXT, 'policies:', '');
  assert.equal(hover(viewOf(text.replace('policies:', '\npolicies:')), { line: position.line, character: 0 }, {}), null);
});
