// The route explanation: each strategy in words and numbers, read off the gateway's own planner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzePolicy } from '../../gateway/policy/analyze';
import type { PolicyConfig } from '../../gateway/policy/types';
import { rendezvousRank } from '../../gateway/routing/affinity';
import { explainRoute, renderExplanation, type RouteExplanation } from '../../gateway/routing/explain';
import { LatencyBoard, replayAttempts } from '../../gateway/routing/latency';
import { modelKey } from '../../gateway/routing/plan';
import { seededRandom } from '../../gateway/routing/seeded-random';
import { costUsd, estimatePromptTokens } from '../../gateway/routing/tokens';
import { fallbackEvent, sampleEvent } from '../events/fixtures/sample-events';

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
    - id: local
      provider:
        base_url: http://localhost:11434/v1
`;

function config(groups: string): PolicyConfig {
  const analysis = analyzePolicy(`${TARGETS}model_groups:\n${groups}`);
  assert.ok(analysis.config, analysis.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return analysis.config;
}

function explain(cfg: PolicyConfig, options: Partial<Parameters<typeof explainRoute>[1]> & { model: string }): RouteExplanation {
  const e = explainRoute(cfg, { env: { OPENAI_API_KEY: 'sk-x', ANTHROPIC_API_KEY: 'sk-y' }, ...options });
  assert.ok(!('error' in e), 'error' in e ? e.message : '');
  return e;
}

const WEIGHTED = `  - name: fast-chat
    models:
      - provider: openai
        model: gpt-4o-mini
        weight: 70
        tag: control
      - provider: anthropic
        model: claude-3-5-haiku
        weight: 30
        tag: experiment
`;

test('weighted: each model\'s share; without a seed the pick is left to the per-request draw', () => {
  const e = explain(config(WEIGHTED), { model: 'fast-chat' });
  assert.deepEqual(e.models.map((m) => [m.id, m.share_pct, m.tag]), [['openai/gpt-4o-mini', 70, 'control'], ['anthropic/claude-3-5-haiku', 30, 'experiment']]);
  assert.equal(e.pick, null);
  assert.equal(e.order, null);
  assert.match(e.pick_reason, /random draw \(openai\/gpt-4o-mini 70%, anthropic\/claude-3-5-haiku 30%\)/);
  assert.match(e.summary, /in proportion to its weight/);
});

test('weighted with a seed: the draw picks by weight, over many seeds close to the shares', () => {
  const cfg = config(WEIGHTED);
  let control = 0;
  for (let seed = 0; seed < 2000; seed++) {
    const e = explain(cfg, { model: 'fast-chat', random: seededRandom(seed) });
    assert.ok(e.pick);
    assert.equal(e.order![0], e.pick);
    if (e.pick === 'openai/gpt-4o-mini') control++;
  }
  assert.ok(control > 1300 && control < 1500, `70% expected, got ${control / 20}%`);
});

test('session affinity: the model rendezvous hashing picks for x-session-id, else user, else the first message', () => {
  const cfg = config(WEIGHTED.replace('    models:', '    session_affinity: true\n    models:'));
  const group = cfg.groups[0];
  const expected = (key: string) => modelKey(rendezvousRank(key, group.models, modelKey, (m) => m.weight ?? 0)[0]);
  const byHeader = explain(cfg, { model: 'fast-chat', sessionId: 'conv-42' });
  assert.deepEqual(byHeader.session, { affinity: true, key: 'conv-42', from: 'x-session-id' });
  assert.equal(byHeader.pick, expected('conv-42'));
  assert.match(byHeader.pick_reason, /this session always lands on/);
  const byUser = explain(cfg, { model: 'fast-chat', request: { model: 'fast-chat', messages: [{ role: 'user', content: 'hi' }], user: 'bob' } });
  assert.deepEqual(byUser.session, { affinity: true, key: 'user:bob', from: 'user' });
  assert.equal(byUser.pick, expected('user:bob'));
  const byMessage = explain(cfg, { model: 'fast-chat' });
  assert.equal(byMessage.session.from, 'first user message');
  assert.match(byMessage.session.key!, /^msg:[0-9a-f]{16}$/);
  // Some session of a hundred lands on each arm: the pick really follows the key.
  const picks = new Set(Array.from({ length: 100 }, (_, i) => explain(cfg, { model: 'fast-chat', sessionId: `s${i}` }).pick));
  assert.equal(picks.size, 2);
});

test('fallback: the order with each timeout, the worst case and what makes it move on', () => {
  const cfg = config(`  - name: reliable-chat
    strategy: fallback
    models:
      - provider: openai
        model: gpt-4o
        timeout_ms: 5000
      - provider: anthropic
        model: claude-sonnet-4
        timeout_ms: 8000
      - provider: local
        model: llama3.1
        timeout_ms: 30000
`);
  const e = explain(cfg, { model: 'reliable-chat' });
  assert.deepEqual(e.order, ['openai/gpt-4o', 'anthropic/claude-sonnet-4', 'local/llama3.1']);
  assert.deepEqual(e.models.map((m) => m.timeout_ms), [5000, 8000, 30000]);
  assert.equal(e.pick, 'openai/gpt-4o');
  assert.match(e.moves_on, /timeout.*connection error, HTTP 408, 409, 429, 5xx or 529/);
  const text = renderExplanation(e, 'text');
  assert.match(text, /1\. openai\/gpt-4o — timeout 5000 ms\n2\. anthropic\/claude-sonnet-4 — timeout 8000 ms\n3\. local\/llama3\.1 — timeout 30000 ms/);
  assert.match(text, /43000 ms of timeouts/);
});

const COST = `  - name: cheap
    strategy: cost
    budget_per_request_usd: 0.002
    models:
      - provider: openai
        model: gpt-4o-mini
        cost_per_1k_input: 0.00015
        cost_per_1k_output: 0.0006
        max_input_tokens: 50
      - provider: anthropic
        model: claude-3-5-haiku
        cost_per_1k_input: 0.0008
        cost_per_1k_output: 0.004
      - provider: openai
        model: gpt-4o
        cost_per_1k_input: 0.0025
        cost_per_1k_output: 0.01
`;

test('cost: each model\'s tokens, prices, context window and cost for the request', () => {
  const e = explain(config(COST), { model: 'cheap' });
  const request = { messages: [{ role: 'user', content: 'Hello' }] };
  const [mini, haiku, big] = e.models;
  assert.deepEqual(mini.estimate, {
    prompt_tokens: estimatePromptTokens(request, 'gpt-4o-mini'), completion_tokens: 256, input_per_1k_usd: 0.00015, output_per_1k_usd: 0.0006,
    context_window: 50, cost_usd: +costUsd(estimatePromptTokens(request, 'gpt-4o-mini'), 256, 0.00015, 0.0006).toFixed(8),
  });
  // No max_input_tokens: the known context window of claude-3-5-haiku, as the planner uses it.
  assert.equal(haiku.estimate!.context_window, 200_000);
  assert.equal(e.pick, 'openai/gpt-4o-mini');
  assert.match(e.pick_reason, /cheapest model that fits/);
  // gpt-4o: ~9 prompt + 256 completion tokens at $0.0025/$0.01 is over the $0.002 budget.
  assert.match(big.skipped!, /exceeds budget \$0\.002/);
  assert.deepEqual(e.order, ['openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku']);
  assert.match(renderExplanation(e, 'text'), /openai\/gpt-4o-mini .* wins\n/);
});

test('cost: a long prompt skips the small context window, a big max_tokens is blocked by the budget', () => {
  const cfg = config(COST);
  const long = explain(cfg, { model: 'cheap', request: { model: 'cheap', messages: [{ role: 'user', content: 'word '.repeat(100) }] } });
  assert.match(long.models[0].skipped!, /exceeds max_input_tokens 50/);
  assert.equal(long.pick, 'anthropic/claude-3-5-haiku');
  const blocked = explain(cfg, { model: 'cheap', request: { model: 'cheap', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100_000 } });
  assert.equal(blocked.pick, null);
  assert.equal(blocked.blocked?.code, 'budget_exceeded');
  assert.equal(blocked.request.completion_tokens, 100_000);
  assert.match(renderExplanation(blocked, 'text'), /Blocked \(budget_exceeded\): Request blocked by cost group "cheap"/);
});

test('latency: the preference from replayed attempts, cold models first, and what a seeded draw explores', () => {
  const cfg = config(`  - name: quick
    strategy: latency
    models:
      - provider: openai
        model: gpt-4o
      - provider: anthropic
        model: claude-sonnet-4
`);
  const cold = explain(cfg, { model: 'quick' });
  assert.equal(cold.pick, 'openai/gpt-4o');
  assert.match(cold.pick_reason, /no latency sample yet/);
  assert.match(cold.notes.join(), /every model is cold/);
  // gpt-4o timed out once (counted as slow), claude answered in 900 ms.
  const board = replayAttempts([fallbackEvent()]);
  const warm = explain(cfg, { model: 'quick', latency: { board, source: '1 event' } });
  assert.equal(warm.pick, 'anthropic/claude-sonnet-4');
  assert.deepEqual(warm.models.map((m) => m.latency), [{ ewma_ms: 5000, samples: 1 }, { ewma_ms: 900, samples: 1 }]);
  assert.match(warm.pick_reason, /lowest moving-average time to first byte \(900 ms\); 95% of requests/);
  // Seeds whose first draw is under 5% explore the slower model.
  const explored = Array.from({ length: 400 }, (_, seed) => explain(cfg, { model: 'quick', latency: { board, source: '1 event' }, random: seededRandom(seed) }));
  const slow = explored.filter((e) => e.pick === 'openai/gpt-4o');
  assert.ok(slow.length > 5 && slow.length < 40, `${slow.length} of 400 explored`);
  assert.match(slow[0].pick_reason, /explores: openai\/gpt-4o \(5000 ms\) instead of the fastest, anthropic\/claude-sonnet-4/);
});

test('replayAttempts records successes by time and failures as slow, and skips aborted attempts', () => {
  const board = replayAttempts([
    sampleEvent({ attempts: [{ provider: 'a', model: 'm', outcome: 'success', status: 200, error: null, latency_ms: 100 }] }),
    sampleEvent({ attempts: [{ provider: 'a', model: 'm', outcome: 'success', status: 200, error: null, latency_ms: 200 }] }),
    sampleEvent({ attempts: [{ provider: 'b', model: 'm', outcome: 'aborted', status: null, error: 'client went away', latency_ms: 5 }] }),
  ]);
  const reference = new LatencyBoard();
  reference.record('a/m', 100);
  reference.record('a/m', 200);
  assert.deepEqual(board.get('a/m'), reference.get('a/m'));
  assert.equal(board.get('b/m'), undefined);
});

test('keys the route needs that are unset are named, never their values; keyless targets need none', () => {
  const cfg = config(COST);
  const e = explainRoute(cfg, { model: 'cheap', env: { ANTHROPIC_API_KEY: 'sk-ant-secret', OPENAI_API_KEY: '' } }) as RouteExplanation;
  assert.deepEqual(e.missing_keys, [{ target: 'openai', env: 'OPENAI_API_KEY', models: ['openai/gpt-4o-mini'] }]);
  assert.deepEqual(e.models.map((m) => m.key), [{ env: 'OPENAI_API_KEY', set: false }, { env: 'ANTHROPIC_API_KEY', set: true }, { env: 'OPENAI_API_KEY', set: false }]);
  const text = renderExplanation(e, 'markdown');
  assert.match(text, /\*\*Keys not set\*\*: `OPENAI_API_KEY` \(target openai\)/);
  assert.ok(!JSON.stringify(e).includes('sk-ant-secret') && !text.includes('sk-ant-secret'));
  const local = explainRoute(config(`  - name: l\n    models:\n      - provider: local\n        model: llama3.1\n`), { model: 'l', env: {} }) as RouteExplanation;
  assert.deepEqual(local.missing_keys, []);
  assert.equal(local.models[0].key, null);
  assert.equal(local.pick, 'local/llama3.1');
});

test('a name that is not a model group is an error value listing the groups', () => {
  const e = explainRoute(config(WEIGHTED), { model: 'gpt-4o-mini', env: {} });
  assert.ok('error' in e);
  assert.match(e.message, /"gpt-4o-mini" is not a model group of this config \(groups: fast-chat\)/);
});

test('markdown uses tables and code spans; text aligns columns', () => {
  const e = explain(config(WEIGHTED), { model: 'fast-chat' });
  const md = renderExplanation(e, 'markdown');
  assert.match(md, /^\*\*fast-chat\*\* · model group, strategy `weighted`/);
  assert.match(md, /\| openai\/gpt-4o-mini \| 70 \| 70% \| control \|/);
  const text = renderExplanation(e, 'text');
  assert.match(text, /^fast-chat · model group, strategy weighted/);
  assert.match(text, /  openai\/gpt-4o-mini\s+70\s+70%\s+control\n/);
});

test('--ollama-fallback: the local model is the last resort after the strategy\'s own order, as the gateway appends it', () => {
  const cfg = config(COST);
  const e = explain(cfg, { model: 'cheap', ollamaFallback: { model: 'llama3.1' } });
  assert.deepEqual(e.order, ['openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku', 'local/llama3.1']);
  const last = e.models.at(-1)!;
  assert.deepEqual([last.id, last.last_resort, last.timeout_ms, last.tag, last.estimate], ['local/llama3.1', true, 30000, 'ollama-fallback', null]);
  const text = renderExplanation(e, 'text');
  assert.match(text, /Then local\/llama3\.1 \(last resort, added by --ollama-fallback\), timeout 30000 ms\./);
  assert.doesNotMatch(text.split('Then')[0], /local\/llama3\.1/, 'not a row of the cost table');
  // No Ollama target in the config: the gateway adds local-ollama; a group with an Ollama model keeps its own.
  const weighted = explain(config(WEIGHTED), { model: 'fast-chat', ollamaFallback: { model: 'qwen2.5' }, random: seededRandom(1) });
  assert.equal(weighted.order!.at(-1), 'local/qwen2.5');
  const own = explain(config(`  - name: l\n    models:\n      - provider: local\n        model: llama3.1\n`), { model: 'l', ollamaFallback: { model: 'qwen2.5' } });
  assert.deepEqual(own.order, ['local/llama3.1']);
});
