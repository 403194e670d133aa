import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { request } from 'undici';
import { LocalGateway, gatewayArgs, type GatewayLaunch } from '../../client/gateway/local-gateway';
import { redactSecrets } from '../../client/gateway/redact';
import type { GatewayState } from '../../client/gateway/gateway-state';

const FAKE = join(__dirname, 'fixtures', 'fake-gateway.mjs');

function launch(mode: string, extraEnv: Record<string, string> = {}): GatewayLaunch {
  return {
    runtime: process.execPath,
    args: gatewayArgs({ ktScript: FAKE, configPath: 'policy-config.yaml', host: '127.0.0.1', port: 0, stateDir: '.kt' }),
    cwd: __dirname,
    env: { ...process.env, FAKE_MODE: mode, ...extraEnv },
    host: '127.0.0.1',
    port: 0,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function waitForState(gw: LocalGateway, pred: (s: GatewayState) => boolean, ms = 10_000): Promise<GatewayState> {
  if (pred(gw.state)) return Promise.resolve(gw.state);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`state still ${JSON.stringify(gw.state)}`)), ms);
    const off = gw.status.onDidChange((s) => {
      if (pred(s)) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}

test('gatewayArgs builds the documented command line, with --ollama-fallback only when a model is given', () => {
  const base = { ktScript: '/x/dist/kt.js', configPath: '/w/policy-config.yaml', host: '127.0.0.1', port: 41002, stateDir: '/w/.kt' };
  assert.deepEqual(gatewayArgs(base), ['/x/dist/kt.js', 'gateway', 'start', '--config', '/w/policy-config.yaml', '--host', '127.0.0.1', '--port', '41002', '--state-dir', '/w/.kt']);
  assert.deepEqual(gatewayArgs({ ...base, ollamaFallbackModel: 'llama3.1' }).slice(-2), ['--ollama-fallback', 'llama3.1']);
});

test('start waits for "listening on" and /healthz, goes running, and stop ends the process with SIGTERM', async () => {
  const lines: string[] = [];
  const gw = new LocalGateway({ log: (l) => lines.push(l) });
  const seen: string[] = [];
  gw.status.onDidChange((s) => seen.push(s.kind));
  const state = await gw.start(launch('ok'));
  assert.equal(state.kind, 'running', JSON.stringify(state));
  assert.ok(state.kind === 'running' && state.port > 0);
  const res = await request(`${(state as { url: string }).url}/healthz`);
  assert.equal(res.statusCode, 200);
  await res.body.dump();
  const pid = gw.pid!;
  assert.ok(isAlive(pid));
  await gw.stop();
  assert.equal(gw.state.kind, 'stopped');
  assert.equal(isAlive(pid), false);
  assert.deepEqual(seen, ['starting', 'running', 'stopped']);
});

test('output is redacted: gateway keys by shape and provider keys by value never reach the log', async () => {
  const lines: string[] = [];
  const secret = 'sk-test-canary-5f1e2d';
  const gw = new LocalGateway({ log: (l) => lines.push(l), redact: (l) => redactSecrets(l, [secret]) });
  await gw.start(launch('ok', { FAKE_SECRET: secret }));
  await gw.stop();
  const all = lines.join('\n');
  assert.match(all, /listening on http:\/\/127\.0\.0\.1:\d+/);
  assert.match(all, /kt_gk_\*\*\*/);
  assert.doesNotMatch(all, /kt_gk_dev_0123456789abcdef/);
  assert.doesNotMatch(all, new RegExp(secret));
  assert.match(all, /provider key in env: \*\*\*/);
});

test('a gateway that exits before it is ready (lint errors) ends in the error state quoting its output', async () => {
  const gw = new LocalGateway({ log: () => {} });
  const state = await gw.start(launch('lint-fail'));
  assert.equal(state.kind, 'error');
  assert.match((state as { message: string }).message, /exited with code 1 before it was ready/);
  assert.match((state as { message: string }).message, /KT101 Unknown provider/);
  await gw.stop();
  assert.equal(gw.state.kind, 'stopped');
});

test('a gateway that never announces readiness times out, is killed, and reports why', async () => {
  const gw = new LocalGateway({ log: () => {}, readyTimeoutMs: 600 });
  const started = gw.start(launch('never-ready'));
  await waitForState(gw, (s) => s.kind === 'starting');
  const pid = gw.pid!;
  const state = await started;
  assert.equal(state.kind, 'error');
  assert.match((state as { message: string }).message, /not ready within/);
  assert.equal(isAlive(pid), false);
});

test('a crashing gateway is restarted with backoff at most maxRestarts times per window, then errors', async () => {
  const lines: string[] = [];
  const delays: number[] = [];
  const gw = new LocalGateway({
    log: (l) => lines.push(l),
    maxRestarts: 3,
    restartWindowMs: 60_000,
    backoffMs: (n) => {
      const d = 20 * 2 ** n;
      delays.push(d);
      return d;
    },
  });
  const kinds: string[] = [];
  gw.status.onDidChange((s) => kinds.push(s.kind));
  const first = await gw.start(launch('crash', { FAKE_CRASH_MS: '80' }));
  assert.equal(first.kind, 'running');
  const final = await waitForState(gw, (s) => s.kind === 'error', 15_000);
  assert.match((final as { message: string }).message, /crashed 4 times within 60 s \(last exit: code 3\); not restarting/);
  assert.deepEqual(delays, [20, 40, 80]);
  assert.equal(kinds.filter((k) => k === 'running').length, 4, kinds.join(','));
  assert.equal(lines.filter((l) => /restarting in \d+ ms/.test(l)).length, 3);
});

test('stop during a restart backoff cancels the restart', async () => {
  const gw = new LocalGateway({ log: () => {}, backoffMs: () => 400 });
  await gw.start(launch('crash', { FAKE_CRASH_MS: '30' }));
  await waitForState(gw, (s) => s.kind === 'starting');
  await gw.stop();
  assert.equal(gw.state.kind, 'stopped');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(gw.state.kind, 'stopped');
  assert.equal(gw.pid, undefined);
});

test('stop escalates to SIGKILL when the gateway ignores SIGTERM', async () => {
  const gw = new LocalGateway({ log: () => {}, stopTimeoutMs: 300 });
  await gw.start(launch('ignore-term'));
  const pid = gw.pid!;
  await gw.stop();
  assert.equal(isAlive(pid), false);
  assert.equal(gw.state.kind, 'stopped');
});

test('a runtime that cannot be run is an error state, not a throw', async () => {
  const gw = new LocalGateway({ log: () => {} });
  const state = await gw.start({ ...launch('ok'), runtime: join(__dirname, 'no-such-runtime') });
  assert.equal(state.kind, 'error');
  assert.match((state as { message: string }).message, /could not run .*no-such-runtime|exited/);
});

test('without a redact option, gateway keys are still masked in the log and in error messages', async () => {
  const lines: string[] = [];
  const gw = new LocalGateway({ log: (l) => lines.push(l) });
  const state = await gw.start(launch('ok'));
  await gw.stop();
  assert.equal(state.kind, 'running');
  assert.ok(lines.some((l) => l.includes('kt_gk_***')));
  assert.ok(lines.every((l) => !l.includes('kt_gk_dev_0123456789abcdef')));
});
