// The gateway exporting OTLP to a receiver that decodes with the official protos: `kt gateway start
// --otlp-endpoint` (the SDK loaded from its own bundle, dist/otlp.js), and a collector that is down.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import { KeyStore } from '../../gateway/keys/key-store';
import { startTestGateway } from '../gateway/harness';
import { startOtlpReceiver } from '../fakes/otlp-receiver';
import { KT } from '../server/support/server-process';

const CONFIG = `providers:
  targets:
    - id: flaky
      provider:
        type: mock
        base_url: mock://flaky
        mock:
          fail_status: 503
    - id: steady
      provider:
        type: mock
        base_url: mock://steady
model_groups:
  - name: reliable
    strategy: fallback
    models:
      - provider: flaky
        model: mock-flaky
        timeout_ms: 5000
      - provider: steady
        model: mock-steady
        timeout_ms: 5000
`;

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('kt gateway start --otlp-endpoint: a span per request with a child per attempt, and the event as a log', { timeout: 60_000 }, async () => {
  const receiver = await startOtlpReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'kt-otlp-'));
  writeFileSync(join(dir, 'policy-config.yaml'), CONFIG);
  const created = new KeyStore(join(dir, '.kt')).create({ name: 'ops', admin: true });
  assert.ok('key' in created);
  const child = spawn(process.execPath, [KT, 'gateway', 'start', '--config', join(dir, 'policy-config.yaml'), '--port', '0', '--otlp-endpoint', receiver.url], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OTEL_SERVICE_NAME: 'kt-test-gateway' },
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (c) => { out += c; const m = /listening on (\S+)/.exec(out); if (m) resolve(m[1]!); });
      child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)));
    });
    assert.match(out, new RegExp(`exporting OTLP traces to ${receiver.url}/v1/traces`));
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: created.key, maxRetries: 0 });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await client.chat.completions.create({ model: 'reliable', messages: [{ role: 'user', content: `hi ${i}` }] }).withResponse());
    const ids = answers.map((a) => a.response.headers.get('x-kt-event-id'));
    await until('3 request spans', () => (receiver.spans.filter((s) => s.parentSpanId === '').length >= 3 ? true : undefined));
    const roots = receiver.spans.filter((s) => s.parentSpanId === '');
    assert.deepEqual(roots.map((s) => s.attributes['kt.event_id']).sort(), [...ids].sort());
    for (const root of roots) {
      assert.equal(root.name, 'chat reliable');
      assert.equal(root.attributes['gen_ai.request.model'], 'reliable');
      assert.equal(root.attributes['gen_ai.response.model'], 'mock-steady');
      assert.equal(root.attributes['gen_ai.provider.name'], 'kt.mock');
      assert.equal(root.attributes['kt.fallback_count'], 1);
      assert.equal(root.resource['service.name'], 'kt-test-gateway');
      const attempts = receiver.spans.filter((s) => s.parentSpanId === root.spanId).sort((a, b) => a.startMs - b.startMs);
      assert.deepEqual(attempts.map((a) => [a.attributes['kt.provider'], a.attributes['kt.attempt.outcome'], a.status.code]), [['flaky', 'error', 2], ['steady', 'success', 0]]);
      assert.ok(attempts.every((a) => a.traceId === root.traceId));
    }
    await until('3 log records', () => (receiver.logs.length >= 3 ? true : undefined));
    assert.deepEqual(receiver.logs.map((l) => JSON.parse(String(l.body)).id).sort(), [...ids].sort());
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a collector that is down: requests are served as usual, and the gateway stops promptly', { timeout: 60_000 }, async () => {
  const receiver = await startOtlpReceiver();
  const deadUrl = receiver.url;
  await receiver.close();
  const gw = await startTestGateway(CONFIG, { otlp: { tracesUrl: `${deadUrl}/v1/traces`, logsUrl: `${deadUrl}/v1/logs`, headers: {}, serviceName: 'kt' } });
  try {
    for (let i = 0; i < 20; i++) {
      const res = await gw.client.chat.completions.create({ model: 'reliable', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(res.model, 'mock-steady');
    }
    assert.equal(gw.events().length, 20, 'events on disk are unaffected');
    await until('a failed export', () => (gw.gateway.otlp!.stats().failedExports >= 1 ? true : undefined));
  } finally {
    // Shutdown gives the exporter at most 2 s; a close that hung on the collector would time the test out.
    await gw.close();
  }
});
