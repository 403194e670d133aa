// Property: over many generated configs, requests, sessions and seeds, `kt route explain` names the model
// the gateway's own path (lint → RoutingTable, with or without --ollama-fallback → session key as the chat
// handler derives it → planRoute)
// sends the request to first, in the same order.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { analyzePolicy } from '../../gateway/policy/analyze';
import { sessionKey } from '../../gateway/routing/affinity';
import { explainRoute } from '../../gateway/routing/explain';
import { replayAttempts } from '../../gateway/routing/latency';
import { knownModelFacts, modelKey, planRoute } from '../../gateway/routing/plan';
import { seededRandom } from '../../gateway/routing/seeded-random';
import { DispatcherCache, RoutingTable } from '../../gateway/runtime/routing-table';
import type { ChatRequest } from '../../gateway/providers/provider';

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
    - id: mock
      provider:
        type: mock
        base_url: mock://mock
    - id: local
      provider:
        base_url: http://localhost:11434/v1
`;
const PROVIDERS = ['openai', 'anthropic', 'mock', 'local'];
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku', 'llama3.1', 'my-finetune', 'mock-a'];

const modelArb = fc.record({
  provider: fc.constantFrom(...PROVIDERS),
  model: fc.constantFrom(...MODELS),
  weight: fc.integer({ min: 0, max: 100 }),
  timeout: fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
  costIn: fc.integer({ min: 0, max: 5000 }).map((n) => n / 1e6),
  costOut: fc.integer({ min: 0, max: 20_000 }).map((n) => n / 1e6),
  maxInput: fc.option(fc.integer({ min: 5, max: 400 }), { nil: undefined }),
});

const caseArb = fc.record({
  strategy: fc.constantFrom('weighted', 'fallback', 'cost', 'latency'),
  affinity: fc.boolean(),
  budget: fc.integer({ min: 1, max: 20_000 }).map((n) => n / 1e6),
  models: fc.array(modelArb, { minLength: 1, maxLength: 4 }),
  messages: fc.array(fc.record({ role: fc.constantFrom('user', 'system', 'assistant'), content: fc.string({ maxLength: 600 }) }), { minLength: 1, maxLength: 3 }),
  user: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
  maxTokens: fc.option(fc.integer({ min: 1, max: 4000 }), { nil: undefined }),
  header: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  // As `kt gateway start --ollama-fallback MODEL` (the extension's default).
  ollama: fc.option(fc.constantFrom('llama3.1', 'qwen2.5'), { nil: undefined }),
  // Past attempts for latency groups: [model index, outcome, latency].
  history: fc.array(fc.tuple(fc.nat(3), fc.constantFrom('success', 'error', 'timeout', 'aborted'), fc.integer({ min: 1, max: 9000 })), { maxLength: 12 }),
});

/** Weights scaled to sum to exactly 100 (KT102), keeping their proportions roughly. */
function weightsSumming100(raw: number[]): number[] {
  const total = raw.reduce((a, b) => a + b, 0) || 1;
  const scaled = raw.map((w) => Math.floor((w * 100) / total));
  scaled[0] += 100 - scaled.reduce((a, b) => a + b, 0);
  return scaled;
}

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function yamlOf(c: Case): string {
  const weights = weightsSumming100(c.models.map((m) => m.weight));
  const lines = ['model_groups:', '  - name: g', `    strategy: ${c.strategy}`];
  if (c.strategy === 'weighted' && c.affinity) lines.push('    session_affinity: true');
  if (c.strategy === 'cost') lines.push(`    budget_per_request_usd: ${c.budget}`);
  lines.push('    models:');
  c.models.forEach((m, i) => {
    lines.push(`      - provider: ${m.provider}`, `        model: ${m.model}`);
    if (c.strategy === 'weighted' && c.models.length > 1) lines.push(`        weight: ${weights[i]}`);
    if (m.timeout !== undefined || c.strategy === 'fallback') lines.push(`        timeout_ms: ${m.timeout ?? 1000}`);
    if (c.strategy === 'cost') {
      lines.push(`        cost_per_1k_input: ${m.costIn}`, `        cost_per_1k_output: ${m.costOut}`);
      if (m.maxInput !== undefined) lines.push(`        max_input_tokens: ${m.maxInput}`);
    }
  });
  return `${TARGETS}${lines.join('\n')}\n`;
}

const pools = new DispatcherCache();
after(() => pools.destroy());

test('explain picks the model (and order) the gateway planner picks, for the same seed and session', () => {
  let checked = 0;
  fc.assert(
    fc.property(caseArb, (c) => {
      const analysis = analyzePolicy(yamlOf(c));
      assert.ok(analysis.config, analysis.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
      const env = { OPENAI_API_KEY: 'sk-test' };
      const request: ChatRequest = { model: 'g', messages: c.messages, ...(c.user !== undefined ? { user: c.user } : {}), ...(c.maxTokens !== undefined ? { max_tokens: c.maxTokens } : {}) };
      const events = c.history.map(([i, outcome, latency]) => {
        const m = c.models[i % c.models.length];
        return { attempts: [{ provider: m.provider, model: m.model, outcome, latency_ms: latency }] };
      });

      // The gateway's path, as chat.ts takes it.
      const ollama = c.ollama ? { model: c.ollama } : undefined;
      const table = new RoutingTable(analysis.config, pools, env, ollama);
      const resolution = table.resolve('g');
      assert.equal(resolution.kind, 'group');
      if (resolution.kind !== 'group') return;
      const session = resolution.group.session_affinity ? sessionKey(request, c.header) : c.header;
      const plan = planRoute(resolution.group, request, { sessionKey: session, latency: replayAttempts(events), facts: knownModelFacts, random: seededRandom(c.seed) });

      const explained = explainRoute(analysis.config, {
        model: 'g', request, sessionId: c.header, env, random: seededRandom(c.seed), latency: { board: replayAttempts(events), source: 'generated' }, ollamaFallback: ollama,
      });
      assert.ok(!('error' in explained));
      assert.equal(explained.pick, plan.blocked ? null : modelKey(plan.order[0]));
      assert.deepEqual(explained.order, plan.order.map(modelKey));
      assert.equal(explained.blocked?.code ?? null, plan.blocked?.code ?? null);
      assert.deepEqual(explained.models.filter((m) => m.skipped).map((m) => `${m.id}: ${m.skipped}`).sort(), plan.skipped.map((s) => `${s.provider}/${s.model}: ${s.reason}`).sort());
      checked++;
    }),
    { numRuns: 400, seed: 20261204 },
  );
  assert.equal(checked, 400);
});
