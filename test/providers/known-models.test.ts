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
    assert.ok(m.contextWindow > 0, m.name);
    if (m.kind === 'chat') assert.ok(m.outputPer1k >= m.inputPer1k, m.name);
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

test('embedding models are marked, priced on input only, and know their vector length', () => {
  const small = knownModel('text-embedding-3-small')!;
  assert.equal(small.kind, 'embedding');
  assert.ok(Math.abs(small.inputPer1k - 0.00002) < 1e-12);
  assert.equal(small.outputPer1k, 0);
  assert.equal(small.dimensions, 1536);
  assert.equal(knownModel('text-embedding-3-large')?.dimensions, 3072);
  assert.equal(knownModel('text-embedding-ada-002')?.kind, 'embedding');
  assert.equal(knownModel('nomic-embed-text:latest')?.name, 'nomic-embed-text');
  assert.equal(knownModel('mxbai-embed-large:335m')?.kind, 'embedding');
  assert.equal(knownModel('gpt-4o')?.kind, 'chat');
  assert.equal(knownModel('gpt-4o')?.dimensions, undefined);
  for (const m of KNOWN_MODELS.filter((x) => x.kind === 'embedding')) assert.ok(m.dimensions && m.dimensions > 0 && m.outputPer1k === 0, m.name);
});
