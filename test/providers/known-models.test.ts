import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knownModel, knownModelsFor, KNOWN_MODELS } from '../../gateway/policy/known-models';

test('exact names and dated snapshots resolve to the longest matching entry', () => {
  assert.equal(knownModel('gpt-4o')?.name, 'gpt-4o');
  assert.equal(knownModel('gpt-4o-2024-08-06')?.name, 'gpt-4o');
  assert.equal(knownModel('gpt-4o-mini-2024-07-18')?.name, 'gpt-4o-mini');
  assert.equal(knownModel('claude-sonnet-4-20250514')?.name, 'claude-sonnet-4');
  assert.equal(knownModel('claude-sonnet-4-5-20250929')?.name, 'claude-sonnet-4-5');
  assert.equal(knownModel('claude-3-5-haiku-latest')?.name, 'claude-3-5-haiku');
  assert.equal(knownModel('llama3.1:8b')?.name, 'llama3.1');
  assert.equal(knownModel('llama3:latest')?.name, 'llama3');
  assert.equal(knownModel('openai/GPT-4.1-mini')?.name, 'gpt-4.1-mini');
});

test('no false prefix matches', () => {
  assert.equal(knownModel('llama3.9'), undefined);
  assert.equal(knownModel('o3x'), undefined);
  assert.equal(knownModel('gpt-4'), undefined);
  assert.equal(knownModel(''), undefined);
});

test('prices are per 1k tokens and local models are free', () => {
  const gpt4o = knownModel('gpt-4o')!;
  assert.ok(Math.abs(gpt4o.inputPer1k - 0.0025) < 1e-12);
  assert.ok(Math.abs(gpt4o.outputPer1k - 0.01) < 1e-12);
  assert.equal(gpt4o.contextWindow, 128_000);
  assert.equal(knownModel('mistral')!.inputPer1k, 0);
  for (const m of KNOWN_MODELS) {
    assert.ok(m.outputPer1k >= m.inputPer1k && m.contextWindow > 0, m.name);
    if (m.family === 'ollama') assert.equal(m.outputPer1k, 0, m.name);
  }
});

test('knownModelsFor lists the family of each provider type', () => {
  const names = (t: Parameters<typeof knownModelsFor>[0]) => knownModelsFor(t).map((m) => m.name);
  assert.ok(names('openai').includes('gpt-4o') && !names('openai').includes('claude-sonnet-4'));
  assert.deepEqual(names('azure-openai'), names('openai'));
  assert.ok(names('anthropic').every((n) => n.startsWith('claude-')));
  assert.ok(names('ollama').includes('llama3.2'));
  assert.deepEqual(names('mock'), []);
});
