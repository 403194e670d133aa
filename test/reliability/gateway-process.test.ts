// The built `kt gateway start` as users run it: where it binds, and that no secret (a canary provider
// key, the gateway key) reaches its log output, its state dir, or any answer it gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import OpenAI from 'openai';
import { startFakeOpenAI } from '../fakes';
import { KT, startGatewayProcess, type GatewayProcess } from '../support/kt-gateway-process';


type Running = GatewayProcess;


async function stop(g: Running): Promise<number | null> {
  if (g.child.exitCode !== null) return g.child.exitCode;
  const exited = new Promise<number | null>((r) => g.child.once('exit', (code) => r(code)));
  g.child.kill('SIGTERM');
  return exited;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const mockConfig = `providers:\n  targets:\n    - id: local\n      provider:\n        type: mock\n        base_url: mock://local\nmodel_groups:\n  - name: chat\n    models:\n      - provider: local\n        model: mock-1\n`;

test('binds 127.0.0.1 by default; another address is refused without --allow-remote, and warned about with it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-rel-bind-'));
  try {
    const config = join(dir, 'policy-config.yaml');
    writeFileSync(config, mockConfig);
    const local = await startGatewayProcess(['--config', config, '--port', '0']);
    assert.match(local.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await stop(local), 0);

    const refused = spawnSync(process.execPath, [KT, 'gateway', 'start', '--config', config, '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /refusing to bind 0\.0\.0\.0.*--allow-remote/);
    assert.doesNotMatch(refused.stdout, /listening on/);

    const remote = await startGatewayProcess(['--config', config, '--host', '0.0.0.0', '--port', '0', '--allow-remote']);
    assert.match(remote.output(), /warn .*binding 0\.0\.0\.0: the gateway is reachable from other machines/);
    assert.equal(await stop(remote), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('canary secrets: no provider key or gateway key in logs, state files or answers, even when an upstream echoes the key', async () => {
  const providerKey = `sk-canary-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const upstream = await startFakeOpenAI({ key: providerKey });
  const dir = mkdtempSync(join(tmpdir(), 'kt-rel-canary-'));
  const stateDir = join(dir, 'state');
  const config = join(dir, 'policy-config.yaml');
  writeFileSync(config, `providers:
  targets:
    - id: canary
      provider:
        base_url: ${upstream.baseUrl}
        secret_key_ref:
          env: CANARY_KEY
policy:
  audit-logger:
    immutable: true
    log_all_access: true
model_groups:
  - name: chat
    strategy: fallback
    models:
      - provider: canary
        model: gpt-4o
        timeout_ms: 2000
`);
  const answers: string[] = [];
  let gw: Running | undefined;
  try {
    gw = await startGatewayProcess(['--config', config, '--port', '0', '--state-dir', stateDir], { CANARY_KEY: providerKey });
    const gatewayKey = readFileSync(join(stateDir, 'dev-key'), 'utf8').trim();
    assert.match(gatewayKey, /^kt_gk_/);
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gatewayKey, maxRetries: 0 });
    const keep = (x: unknown) => answers.push(typeof x === 'string' ? x : JSON.stringify(x) ?? String(x));
    const attempt = async (p: Promise<unknown>) => {
      try {
        keep(await p);
      } catch (error) {
        keep({ message: (error as Error).message, error: (error as { error?: unknown }).error });
      }
    };

    await attempt(client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }));
    // Upstreams that quote the key back in their errors, plain and mid-stream.
    for (const status of [401, 400, 500, 429]) {
      upstream.setBehavior({ failStatus: status, errorMessage: `Incorrect API key provided: ${providerKey}.`, times: 1 });
      await attempt(client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }));
      upstream.setBehavior({ failStatus: status, errorMessage: `key ${providerKey} rejected`, times: 1 });
      await attempt((async () => {
        const s = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true });
        for await (const c of s) keep(c);
      })());
    }
    upstream.setBehavior({});
    await attempt((async () => {
      const s = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true });
      for await (const c of s) keep(c);
    })());
    // Wrong and half-right gateway keys, the events API, model listings.
    for (const auth of [`Bearer ${gatewayKey}x`, `Bearer ${gatewayKey.slice(0, -1)}`, `Basic ${gatewayKey}`, gatewayKey]) {
      const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{"model":"chat","messages":[{"role":"user","content":"hi"}]}' });
      keep(await r.text());
      keep([...r.headers].join('\n'));
    }
    for (const path of ['/kt/v1/events?limit=100', '/v1/models', '/healthz']) {
      const r = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${gatewayKey}` } });
      keep(await r.text());
      keep([...r.headers].join('\n'));
    }
    assert.equal(await stop(gw), 0);

    const logs = gw.output();
    assert.ok(logs.length > 0);
    const files = filesUnder(stateDir);
    assert.ok(files.some((f) => f.includes('events')), 'events were written');
    for (const [secret, name] of [[providerKey, 'provider key'], [gatewayKey, 'gateway key'], [gatewayKey.slice(6), 'gateway key secret part']] as const) {
      assert.ok(!logs.includes(secret), `${name} in the gateway's log output`);
      for (const answer of answers) assert.ok(!answer.includes(secret), `${name} in an answer: ${answer.slice(0, 200)}`);
      for (const file of files) {
        if (relative(stateDir, file) === 'dev-key') continue; // the key's one intended home (owner-only)
        assert.ok(!readFileSync(file, 'latin1').includes(secret), `${name} in ${relative(stateDir, file)}`);
      }
    }
    // The redaction left a trace: upstream errors were passed on, with the key masked.
    assert.ok(answers.some((a) => a.includes('Incorrect API key provided: ***')), 'the upstream error reached the client, redacted');
  } finally {
    if (gw) await stop(gw);
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
