// `kt gateway start` as users run it: the built CLI in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startFakeOllama, startFakeOpenAI, FAKE_OPENAI_KEY } from '../fakes';
import { KT, startGatewayProcess } from '../support/kt-gateway-process';


function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kt-cli-'));
}


function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test('refuses to start on lint errors, printing them as kt policy lint does (exit 1)', () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'policy-config.yaml'), 'providers:\n  targets: []\nmodel_groups:\n  - name: g\n    models:\n      - provider: nope\n        model: m\n');
    const r = spawnSync(process.execPath, [KT, 'gateway', 'start', '--config', join(dir, 'policy-config.yaml'), '--port', '0'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /policy-config\.yaml:6:19: error KT101 Unknown provider in model group/);
    assert.match(r.stderr, /has 1 error/);
    assert.doesNotMatch(r.stdout + r.stderr, /at .*\.js:\d+/, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serves the offline example config with its dev key, then stops on SIGTERM after in-flight requests (exit 0)', async () => {
  const dir = tempDir();
  const upstream = await startFakeOpenAI();
  try {
    // The example config plus one target on a fake upstream, so the test knows when a request is in flight.
    const example = readFileSync(join(__dirname, '../../examples/policy-config.yaml'), 'utf8');
    writeFileSync(join(dir, 'policy-config.yaml'), example.replace('providers:\n  targets:\n', `providers:\n  targets:\n    - id: slow\n      provider:\n        base_url: ${upstream.baseUrl}\n        secret_key_ref:\n          env: SLOW_KEY\n`));
    const { child, url, output } = await startGatewayProcess(['--config', join(dir, 'policy-config.yaml'), '--port', '0'], { SLOW_KEY: FAKE_OPENAI_KEY });
    const key = readFileSync(join(dir, '.kt', 'dev-key'), 'utf8').trim();
    assert.match(key, /^kt_gk_/);
    assert.ok(!output().includes(key), 'the dev key is not printed when stdout is not a terminal');
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const r = await client.chat.completions.create({ model: 'fast-chat', messages: [{ role: 'user', content: 'Hello' }] });
    assert.match(r.choices[0].message.content ?? '', /Mock reply from mock-/);
    // A request in flight (the upstream has it and answers 400 ms later) completes across SIGTERM.
    upstream.setBehavior({ delayMs: 400 });
    const slow = client.chat.completions.create({ model: 'slow/gpt-4o', messages: [{ role: 'user', content: 'slow' }] });
    while (upstream.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    assert.equal((await slow).model, 'gpt-4o');
    assert.equal(await exited(child), 0);
    const events = readFileSync(join(dir, '.kt', 'events', `events-${new Date().toISOString().slice(0, 10)}.jsonl`), 'utf8').trim().split('\n');
    assert.equal(events.length, 2);
  } finally {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--ollama-fallback appends a local Ollama model as the last fallback of every group', async () => {
  const dir = tempDir();
  const ollama = await startFakeOllama({ models: ['llama3.2:latest'] });
  try {
    writeFileSync(join(dir, 'policy-config.yaml'), `providers:
  targets:
    - id: down
      provider:
        type: mock
        base_url: mock://down
        mock:
          fail_status: 503
model_groups:
  - name: chat
    strategy: fallback
    models:
      - provider: down
        model: cloud-model
        timeout_ms: 1000
`);
    const { child, url } = await startGatewayProcess(['--config', join(dir, 'policy-config.yaml'), '--port', '0', '--ollama-fallback', 'llama3.2', '--ollama-url', ollama.baseUrl]);
    const key = readFileSync(join(dir, '.kt', 'dev-key'), 'utf8').trim();
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello' }] }).withResponse();
    assert.equal(response.headers.get('x-kt-provider'), 'local-ollama');
    assert.equal(response.headers.get('x-kt-fallback-count'), '1');
    assert.match(data.model, /llama3\.2/);
    child.kill('SIGINT');
    assert.equal(await exited(child), 0);
  } finally {
    await ollama.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('binding a non-loopback address needs --allow-remote; a busy port says so', async () => {
  const dir = tempDir();
  const blocker = createServer();
  try {
    cpSync(join(__dirname, '../../examples/policy-config.yaml'), join(dir, 'policy-config.yaml'));
    const remote = spawnSync(process.execPath, [KT, 'gateway', 'start', '--config', join(dir, 'policy-config.yaml'), '--host', '0.0.0.0'], { encoding: 'utf8' });
    assert.equal(remote.status, 2);
    assert.match(remote.stderr, /refusing to bind 0\.0\.0\.0.*--allow-remote/);
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const busy = spawnSync(process.execPath, [KT, 'gateway', 'start', '--config', join(dir, 'policy-config.yaml'), '--port', String(port)], { encoding: 'utf8' });
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    const missing = spawnSync(process.execPath, [KT, 'gateway', 'start'], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /missing --config/);
  } finally {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--metrics-port serves Prometheus metrics without a key; a bad or busy one is refused clearly', async () => {
  const dir = tempDir();
  const blocker = createServer();
  try {
    cpSync(join(__dirname, '../../examples/policy-config.yaml'), join(dir, 'policy-config.yaml'));
    const config = join(dir, 'policy-config.yaml');
    const { child, url, output } = await startGatewayProcess(['--config', config, '--port', '0', '--metrics-port', '0']);
    const metricsUrl = /Prometheus metrics without a key on (http:\/\/\S+)/.exec(output())?.[1];
    assert.ok(metricsUrl, output());
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: readFileSync(join(dir, '.kt', 'dev-key'), 'utf8').trim(), maxRetries: 0 });
    await client.chat.completions.create({ model: 'fast-chat', messages: [{ role: 'user', content: 'Hello' }] });
    const text = await (await fetch(metricsUrl)).text();
    assert.match(text, /^kt_requests_total\{api="chat",model_group="fast-chat",.*decision="allowed"\} 1$/m);
    child.kill('SIGTERM');
    assert.equal(await exited(child), 0);

    const bad = spawnSync(process.execPath, [KT, 'gateway', 'start', '--config', config, '--metrics-port', 'nine'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--metrics-port must be a number from 0 to 65535, not "nine"/);
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const busy = spawnSync(process.execPath, [KT, 'gateway', 'start', '--config', config, '--port', '0', '--metrics-port', String(port)], { encoding: 'utf8' });
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use\\. .*pass --metrics-port with another port`));
  } finally {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
