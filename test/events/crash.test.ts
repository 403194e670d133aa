import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { verifyAuditChain } from '../../gateway/events/audit';
import { startGatewayProcess } from '../support/kt-gateway-process';

test('SIGKILL right after the appends loses no event', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-crash-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const count = 300;
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'append-then-hang.ts'), stateDir, String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('done')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const dir = join(stateDir, 'events');
  const lines = readdirSync(dir).filter((name) => name.endsWith('.jsonl')).flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean));
  assert.equal(lines.length, count);
  assert.deepEqual(lines.map((line) => JSON.parse(line).latency_ms), Array.from({ length: count }, (_, i) => i));
  assert.equal(verifyAuditChain(stateDir).ok, true);
});

test('SIGKILL at any point of a run of appends leaves whole records and a chain that verifies (no false "truncated")', async (t) => {
  // Each kill lands somewhere in the appends: often between a record's write and its head's.
  for (let run = 0; run < 5; run++) {
    const stateDir = mkdtempSync(join(tmpdir(), 'kt-crash-'));
    t.after(() => rmSync(stateDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'append-until-killed.ts'), stateDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('started')) setTimeout(resolve, 10 + run * 7);
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const dir = join(stateDir, 'events');
    const lines = readdirSync(dir).filter((name) => name.endsWith('.jsonl')).flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean));
    assert.ok(lines.length >= 50);
    assert.deepEqual(lines.map((line) => JSON.parse(line).latency_ms), Array.from({ length: lines.length }, (_, i) => i));
    const verdict = verifyAuditChain(stateDir);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
  }
});

test('SIGKILL of the gateway right after its answers arrived loses no event of them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-crash-gw-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'policy-config.yaml');
  writeFileSync(config, `providers:
  targets:
    - id: local
      provider:
        type: mock
        base_url: mock://local
policies:
  chain:
    - audit-logger
policy:
  audit-logger:
    immutable: true
model_groups:
  - name: chat
    models:
      - provider: local
        model: mock-1
`);
  const gateway = await startGatewayProcess(['--config', config, '--port', '0']);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => gateway.child.on('exit', (_code, signal) => resolve(signal)));
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: readFileSync(join(dir, '.kt', 'dev-key'), 'utf8').trim(), maxRetries: 0 });
  const count = 100;
  const ids = await Promise.all(Array.from({ length: count }, async (_, i) => {
    if (i % 2 === 0) {
      const { response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello' }] }).withResponse();
      return response.headers.get('x-kt-event-id');
    }
    const { data: stream, response } = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hello' }], stream: true }).withResponse();
    for await (const _chunk of stream) {
      // read to the end: the answer is whole once the stream ends
    }
    return response.headers.get('x-kt-event-id');
  }));
  // Killed the moment the last answer is whole: no drain, no exit handler, nothing written after.
  gateway.child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const eventsDir = join(dir, '.kt', 'events');
  const stored = readdirSync(eventsDir).filter((name) => name.endsWith('.jsonl')).flatMap((name) => readFileSync(join(eventsDir, name), 'utf8').split('\n').filter(Boolean)).map((line) => JSON.parse(line).id);
  assert.deepEqual(stored.sort(), ids.sort());
  const verdict = verifyAuditChain(join(dir, '.kt'));
  assert.deepEqual(verdict.ok && verdict.records, count, JSON.stringify(verdict));
});
