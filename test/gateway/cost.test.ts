// Cost routing: cheapest model that fits, skips on context size, blocks over budget.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeOpenAI, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { planRoute, type RoutedGroup } from '../../gateway/routing/plan';
import { LatencyBoard } from '../../gateway/routing/latency';
import { estimatePromptTokens } from '../../gateway/routing/tokens';
import { startTestGateway, target, type TestGateway } from './harness';

let upstream: FakeUpstream;
let gw: TestGateway;

const group = `  - name: cost-optimized
    strategy: cost
    budget_per_request_usd: 0.01
    models:
      - provider: openai
        model: gpt-4o-mini
        cost_per_1k_input: 0.00015
        cost_per_1k_output: 0.0006
        max_input_tokens: 2000
      - provider: openai
        model: gpt-4o
        cost_per_1k_input: 0.0025
        cost_per_1k_output: 0.01
`;

before(async () => {
  upstream = await startFakeOpenAI();
  gw = await startTestGateway(`providers:\n  targets:\n${target('openai', upstream.baseUrl)}model_groups:\n${group}`, { env: { OPENAI_KEY: FAKE_OPENAI_KEY } });
});
after(async () => {
  await gw.close();
  await upstream.close();
});

test('a short prompt goes to the cheapest model, with the estimate on the event', async () => {
  const r = await gw.client.chat.completions.create({ model: 'cost-optimized', messages: [{ role: 'user', content: 'Summarize this document.' }], max_tokens: 100 });
  assert.equal(r.model, 'gpt-4o-mini');
  const event = gw.events().at(-1)!;
  const prompt = estimatePromptTokens({ messages: [{ role: 'user', content: 'Summarize this document.' }] }, 'gpt-4o-mini');
  assert.equal(event.estimated_cost_usd, Math.round(((prompt / 1000) * 0.00015 + (100 / 1000) * 0.0006) * 1e8) / 1e8);
  assert.ok(event.actual_cost_usd !== null && event.actual_cost_usd > 0);
});

test('a prompt too large for the cheap model falls back to the more capable one, and says why', async () => {
  const long = 'lorem ipsum dolor sit amet '.repeat(700); // ~2,800 tokens > max_input_tokens 2000
  const r = await gw.client.chat.completions.create({ model: 'cost-optimized', messages: [{ role: 'user', content: long }], max_tokens: 50 });
  assert.equal(r.model, 'gpt-4o');
  const event = gw.events().at(-1)!;
  assert.equal(event.skipped?.[0]?.model, 'gpt-4o-mini');
  assert.match(event.skipped?.[0]?.reason ?? '', /exceeds max_input_tokens 2000/);
});

test('a request whose cheapest fitting model exceeds the budget is blocked with a clear 400', async () => {
  const long = 'lorem ipsum dolor sit amet '.repeat(700);
  await assert.rejects(gw.client.chat.completions.create({ model: 'cost-optimized', messages: [{ role: 'user', content: long }], max_tokens: 4000 }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.code, 'budget_exceeded');
    assert.match(error.message, /over the budget of \$0\.01/);
    return true;
  });
  const event = gw.events().at(-1)!;
  assert.equal(event.decision, 'blocked');
  assert.equal(event.http_status, 400);
});

test('errors in a cost group fall back to the next model in cost order', async () => {
  upstream.setBehavior({ failStatus: 503, times: 1 });
  const r = await gw.client.chat.completions.create({ model: 'cost-optimized', messages: [{ role: 'user', content: 'Hi' }] });
  assert.equal(r.model, 'gpt-4o');
  assert.equal(gw.events().at(-1)!.fallback_count, 1);
});

test('known context windows apply when max_input_tokens is not configured (pure planner)', () => {
  const g: RoutedGroup = {
    name: 'g', strategy: 'cost', session_affinity: false, budget_per_request_usd: 100,
    models: [
      { provider: 'p', model: 'small', cost_per_1k_input: 0.001, cost_per_1k_output: 0.001 },
      { provider: 'p', model: 'big', cost_per_1k_input: 0.01, cost_per_1k_output: 0.01 },
    ],
  };
  const request = { model: 'g', messages: [{ role: 'user', content: 'x'.repeat(40_000) }] };
  const plan = planRoute(g, request, { latency: new LatencyBoard(), facts: (m) => (m.model === 'small' ? { contextWindow: 8000 } : undefined) });
  assert.deepEqual(plan.order.map((m) => m.model), ['big']);
  assert.match(plan.skipped[0].reason, /exceeds max_input_tokens 8000/);
});
