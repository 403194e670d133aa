// `kt route explain`: in-process for the options and exit codes, and the built dist/kt.js for stdin and
// the command's registration.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { run } from '../../gateway/cli/route';
import { EventLog } from '../../gateway/events/event-log';
import type { RouteExplanation } from '../../gateway/routing/explain';
import { capture } from '../events/fixtures/cli-io';
import { sampleEvent } from '../events/fixtures/sample-events';

const ROOT = join(__dirname, '..', '..');
const KT = join(ROOT, 'dist', 'kt.js');
const EXAMPLE = join(ROOT, 'examples', 'policy-config.yaml');

before(() => {
  if (!existsSync(KT)) {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  }
});

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-cli-route-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function explain(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  const c = capture({ env, cwd });
  const code = await run(args, c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

/** Exit 2 with one line on stderr that says what to do; nothing on stdout, no stack trace. */
function assertUsage(r: { code: number; out: string; err: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.err);
  assert.equal(r.out, '');
  assert.match(r.err, pattern);
  assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
  assert.doesNotMatch(r.err, /\n\s+at |node:internal/);
}

test('text for people: the strategy, the order with timeouts and what moves it on; exit 0', async () => {
  const r = await explain(['--config', EXAMPLE, '--model', 'reliable-chat']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^reliable-chat · model group, strategy fallback\n/);
  assert.match(r.out, /1\. flaky\/mock-flaky — timeout 2000 ms\n2\. backup\/mock-steady — timeout 5000 ms\n3\. local-ollama\/llama3\.1 — timeout 30000 ms/);
  assert.match(r.out, /Pick: flaky\/mock-flaky is first in the chain\./);
  assert.match(r.out, /HTTP 408, 409, 429, 5xx or 529/);
  assert.equal(r.err, '');
});

test('json for tools: cost estimates for a request file, the winner and what is skipped', async (t) => {
  const dir = tempDir(t);
  const requestFile = join(dir, 'request.json');
  // 200 words and 2000 completion tokens: mock-large's estimate goes over the $0.01 budget.
  writeFileSync(requestFile, JSON.stringify({ model: 'ignored', messages: [{ role: 'user', content: 'word '.repeat(200) }], max_tokens: 2000 }));
  const r = await explain(['--config', EXAMPLE, '--model', 'cost-optimized', '--request', requestFile, '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  const e = JSON.parse(r.out) as RouteExplanation;
  assert.equal(e.group, 'cost-optimized');
  assert.equal(e.request.default, false);
  assert.equal(e.request.completion_tokens, 2000);
  assert.equal(e.pick, 'primary/mock-mini');
  const [mini, large] = e.models;
  assert.equal(mini.estimate!.completion_tokens, 2000);
  assert.ok(mini.estimate!.prompt_tokens > 50, String(mini.estimate!.prompt_tokens));
  assert.equal(mini.skipped, null);
  assert.match(large.skipped!, /^estimated \$0\.02\d+ exceeds budget \$0\.01$/);
  assert.deepEqual(e.order, ['primary/mock-mini']);
});

test('a request over the budget everywhere: the explanation says blocked, exit 1', async (t) => {
  const dir = tempDir(t);
  const requestFile = join(dir, 'big.json');
  writeFileSync(requestFile, JSON.stringify({ model: 'cost-optimized', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50_000 }));
  const r = await explain(['--config', EXAMPLE, '--request', requestFile]);
  assert.equal(r.code, 1);
  assert.match(r.out, /Blocked \(budget_exceeded\): Request blocked by cost group "cost-optimized"/);
});

test('weighted: shares, a seeded draw, and session affinity\'s pick for --session', async () => {
  const shares = await explain(['--config', EXAMPLE, '--model', 'fast-chat', '--format', 'json']);
  const e = JSON.parse(shares.out) as RouteExplanation;
  assert.deepEqual(e.models.map((m) => [m.id, m.share_pct, m.tag]), [['primary/mock-fast', 70, 'control'], ['backup/mock-steady', 30, 'experiment']]);
  assert.equal(e.pick, null);
  const seeded = await Promise.all([1, 1, 2].map((seed) => explain(['--config', EXAMPLE, '--model', 'fast-chat', '--seed', String(seed), '--format', 'json'])));
  const picks = seeded.map((r) => (JSON.parse(r.out) as RouteExplanation).pick);
  assert.ok(picks[0] && picks[0] === picks[1], 'the same seed draws the same model');
  const sticky = await Promise.all(['a', 'a', 'b'].map((s) => explain(['--config', EXAMPLE, '--model', 'chat-experiment', '--session', `conv-${s}`])));
  assert.match(sticky[0].out, /Session key from the x-session-id header: conv-a\./);
  assert.match(sticky[0].out, /Pick: Session affinity: this session always lands on (primary\/mock-a \(tag control\)|backup\/mock-b \(tag experiment\))\./);
  assert.equal(sticky[0].out, sticky[1].out);
});

test('latency: the preference from the event log in --state-dir', async (t) => {
  const stateDir = tempDir(t);
  const log = new EventLog({ stateDir });
  const attempt = (provider: string, model: string, latency_ms: number) => ({ provider, model, outcome: 'success' as const, status: 200, error: null, latency_ms });
  for (let i = 0; i < 3; i++) {
    log.append(sampleEvent({ model: 'quick', model_group: 'quick', attempts: [attempt('primary', 'mock-fast', 400)] }));
    log.append(sampleEvent({ model: 'quick', model_group: 'quick', attempts: [attempt('backup', 'mock-steady', 150)] }));
  }
  log.close();
  const r = await explain(['--config', EXAMPLE, '--model', 'quick', '--state-dir', stateDir, '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  const e = JSON.parse(r.out) as RouteExplanation;
  assert.equal(e.pick, 'backup/mock-steady');
  assert.deepEqual(e.models.map((m) => m.latency), [{ ewma_ms: 400, samples: 3 }, { ewma_ms: 150, samples: 3 }]);
  assert.match(e.notes[0], /newest 6 events in /);
  const cold = await explain(['--config', EXAMPLE, '--model', 'quick', '--state-dir', join(stateDir, 'none')]);
  assert.match(cold.out, /Pick: primary\/mock-fast has no latency sample yet/);
});

test('unset provider keys are named from env and the .env beside the config, never printed', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'policy-config.yaml');
  writeFileSync(config, `providers:
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
model_groups:
  - name: chat
    strategy: fallback
    models:
      - provider: openai
        model: gpt-4o
        timeout_ms: 5000
      - provider: anthropic
        model: claude-sonnet-4
        timeout_ms: 5000
`);
  writeFileSync(join(dir, '.env'), 'ANTHROPIC_API_KEY=sk-ant-from-dotenv\n');
  const r = await explain(['--config', config, '--model', 'chat', '--format', 'json'], { OPENAI_API_KEY: '' });
  const e = JSON.parse(r.out) as RouteExplanation;
  assert.deepEqual(e.missing_keys, [{ target: 'openai', env: 'OPENAI_API_KEY', models: ['openai/gpt-4o'] }]);
  const text = await explain(['--config', config, '--model', 'chat'], { OPENAI_API_KEY: 'sk-openai-secret' });
  assert.doesNotMatch(text.out, /Keys not set/);
  assert.ok(!text.out.includes('sk-openai-secret') && !r.out.includes('sk-ant-from-dotenv'));
});

test('--ollama-fallback appends the local model as the gateway does; a group with its own Ollama model keeps it', async () => {
  const r = await explain(['--config', EXAMPLE, '--model', 'quick', '--ollama-fallback', 'qwen2.5', '--format', 'json']);
  const e = JSON.parse(r.out) as RouteExplanation;
  assert.deepEqual(e.order, ['primary/mock-fast', 'backup/mock-steady', 'local-ollama/qwen2.5']);
  const chain = await explain(['--config', EXAMPLE, '--model', 'reliable-chat', '--ollama-fallback', 'qwen2.5', '--format', 'json']);
  assert.deepEqual((JSON.parse(chain.out) as RouteExplanation).order, ['flaky/mock-flaky', 'backup/mock-steady', 'local-ollama/llama3.1']);
});

test('not a model group, or a config with errors: exit 1 with one line saying why', async (t) => {
  const unknown = await explain(['--config', EXAMPLE, '--model', 'primary/mock-fast']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.out, '');
  assert.match(unknown.err, /"primary\/mock-fast" is not a model group of this config \(groups: fast-chat, reliable-chat, cost-optimized, quick, chat-experiment, embeddings\)/);
  const dir = tempDir(t);
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'model_groups:\n  - name: x\n    models: []\n');
  const r = await explain(['--config', broken, '--model', 'x']);
  assert.equal(r.code, 1);
  assert.match(r.err, /has \d+ errors?, so the gateway would not run it; see kt policy lint --file /);
});

test('usage errors exit 2 with one line', async (t) => {
  assertUsage(await explain(['--model', 'fast-chat']), /missing --config FILE/);
  assertUsage(await explain(['--config', EXAMPLE]), /missing --model NAME/);
  assertUsage(await explain(['--config', 'nope.yaml', '--model', 'x']), /cannot read nope\.yaml: no such file/);
  assertUsage(await explain(['--config', EXAMPLE, '--model', 'fast-chat', '--format', 'yaml']), /--format must be one of text, json, got 'yaml'/);
  assertUsage(await explain(['--config', EXAMPLE, '--model', 'fast-chat', '--seed=-1']), /--seed must be a whole number from 0 to 4294967295, got '-1'/);
  assertUsage(await explain(['--config', EXAMPLE, '--model', 'fast-chat', '--seed', '-1']), /option '--seed' needs a value; for a value starting with '-', write --seed=VALUE/);
  assertUsage(await explain(['--config', EXAMPLE, '--modle', 'fast-chat']), /unknown option '--modle' \(did you mean --model\?\)/);
  assertUsage(await explain(['--config', EXAMPLE, '--model', 'fast-chat', '--ollama-url', 'http://x:11434/v1']), /--ollama-url only applies with --ollama-fallback MODEL/);
  const dir = tempDir(t);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"messages": []}');
  assertUsage(await explain(['--config', EXAMPLE, '--model', 'fast-chat', '--request', bad]), /"messages" is required and must be a non-empty array/);
  writeFileSync(bad, '{not json');
  assertUsage(await explain(['--config', EXAMPLE, '--model', 'fast-chat', '--request', bad]), /is not JSON/);
  const help = await explain(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage: kt route explain --config FILE --model NAME/);
});

test('dist/kt.js: "kt route explain" reads the request from stdin', async () => {
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [KT, 'route', 'explain', '--config', EXAMPLE, '--request', '-', '--format', 'json'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(JSON.stringify({ model: 'chat-experiment', messages: [{ role: 'user', content: 'hi' }], user: 'alice' }));
  });
  assert.equal(result.code, 0, result.stderr);
  const e = JSON.parse(result.stdout) as RouteExplanation;
  assert.deepEqual(e.session, { affinity: true, key: 'user:alice', from: 'user' });
  assert.ok(e.pick);
});
