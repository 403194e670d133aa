// OTLP export against a receiver that decodes with the official protos: spans with GenAI attributes and
// parent links, the event as a log record, and a collector that is down or slow costing nothing but drops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OtlpExport } from '../../gateway/telemetry/otlp-export';
import { otlpSettings, type OtlpSettings } from '../../gateway/telemetry/otlp-settings';
import { fallbackEvent, sampleEvent } from '../events/fixtures/sample-events';
import { startOtlpReceiver } from '../fakes/otlp-receiver';

function settingsFor(url: string): OtlpSettings {
  const result = otlpSettings(url, {});
  assert.ok('settings' in result && result.settings);
  return result.settings;
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a request becomes a server span with a client span per attempt, and its event a log record', async () => {
  const receiver = await startOtlpReceiver();
  const otlp = new OtlpExport(settingsFor(receiver.url), { intervalMs: 50, providerType: (id) => ({ openai: 'openai', anthropic: 'anthropic' })[id] });
  try {
    const event = fallbackEvent({ ts: '2026-12-04T12:00:10.000Z', latency_ms: 5900 });
    otlp.observe(event);
    await until('3 spans and a log', () => (receiver.spans.length >= 3 && receiver.logs.length >= 1 ? true : undefined));
    const request = receiver.spans.find((s) => s.parentSpanId === '')!;
    assert.equal(request.name, 'chat reliable-chat');
    assert.equal(request.kind, 2, 'SERVER');
    assert.equal(request.endMs, Date.parse(event.ts));
    assert.equal(request.startMs, Date.parse(event.ts) - 5900);
    assert.equal(request.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(request.attributes['gen_ai.request.model'], 'reliable-chat');
    assert.equal(request.attributes['gen_ai.response.model'], event.resolved_model);
    assert.equal(request.attributes['gen_ai.provider.name'], 'anthropic');
    assert.equal(request.attributes['gen_ai.usage.input_tokens'], event.tokens.prompt);
    assert.equal(request.attributes['gen_ai.usage.output_tokens'], event.tokens.completion);
    assert.equal(request.attributes['kt.fallback_count'], 1);
    assert.equal(request.attributes['kt.event_id'], event.id);
    assert.equal(request.resource['service.name'], 'kt-gateway');
    const children = receiver.spans.filter((s) => s.parentSpanId === request.spanId);
    assert.equal(children.length, event.attempts.length);
    assert.ok(children.every((c) => c.traceId === request.traceId && c.kind === 3), 'CLIENT spans in the same trace');
    const [timedOut, served] = children.sort((a, b) => a.startMs - b.startMs);
    assert.equal(timedOut!.status.code, 2, 'the timed-out attempt is an error');
    assert.equal(timedOut!.attributes['error.type'], 'timeout');
    assert.equal(served!.status.code, 0);
    assert.ok(served!.startMs >= timedOut!.endMs);
    const log = receiver.logs[0]!;
    assert.equal(log.attributes['kt.event_id'], event.id);
    assert.equal(JSON.parse(String(log.body)).id, event.id);
    assert.equal(log.severityText, 'INFO');
  } finally {
    await otlp.shutdown();
    await receiver.close();
  }
});

test('many events go out in batches and all arrive', async () => {
  const receiver = await startOtlpReceiver();
  const otlp = new OtlpExport(settingsFor(receiver.url), { intervalMs: 20, batchSize: 100 });
  try {
    for (let i = 0; i < 1000; i++) otlp.observe(sampleEvent({ id: `evt_batch${i}` }));
    await until('1000 request spans', () => (receiver.spans.filter((s) => s.parentSpanId === '').length >= 1000 ? true : undefined));
    assert.equal(new Set(receiver.logs.map((l) => l.attributes['kt.event_id'])).size, 1000);
    assert.ok(receiver.requests <= 2 * 12, `batched: ${receiver.requests} requests for 1000 events`);
    // The receiver has them a moment before the exporter's callback counts the last batch.
    await until('the exporter to count 1000', () => (otlp.stats().exportedEvents === 1000 ? true : undefined));
    assert.deepEqual(otlp.stats(), { queued: 0, exportedEvents: 1000, droppedEvents: 0, failedExports: 0 });
  } finally {
    await otlp.shutdown();
    await receiver.close();
  }
});

test('a failing collector: exports fail, events are dropped and counted, observe never throws, one warning', async () => {
  const receiver = await startOtlpReceiver();
  receiver.failing = true;
  const warnings: string[] = [];
  const otlp = new OtlpExport({ ...settingsFor(receiver.url), headers: { authorization: 'Bearer collector-secret-token' } }, {
    intervalMs: 20, batchSize: 10, maxQueue: 50, timeoutMs: 2000, log: { info() {}, warn: (m) => warnings.push(m), error() {} },
  });
  try {
    for (let i = 0; i < 200; i++) otlp.observe(sampleEvent());
    await until('failed exports', () => (otlp.stats().failedExports >= 1 ? true : undefined));
    const stats = otlp.stats();
    assert.ok(stats.droppedEvents >= 150, `over the queue bound of 50 the rest were dropped: ${JSON.stringify(stats)}`);
    assert.equal(stats.exportedEvents, 0);
    assert.equal(warnings.length, 1, 'one warning a minute, not one per batch');
    assert.match(warnings[0]!, /OTLP (trace|log) export to http:\/\/127\.0\.0\.1:\d+\/v1\/(traces|logs) failed/);
    assert.ok(!warnings[0]!.includes('collector-secret-token'));
    // Back up: new events flow again.
    receiver.failing = false;
    otlp.observe(sampleEvent({ id: 'evt_after_recovery' }));
    await until('the event after recovery', () => (receiver.logs.some((l) => l.attributes['kt.event_id'] === 'evt_after_recovery') ? true : undefined));
  } finally {
    await otlp.shutdown(1000);
    await receiver.close();
  }
});

test('a collector that is not there at all: nothing throws and shutdown returns', async () => {
  const receiver = await startOtlpReceiver();
  const url = receiver.url;
  await receiver.close();
  const otlp = new OtlpExport(settingsFor(url), { intervalMs: 10, timeoutMs: 500 });
  for (let i = 0; i < 20; i++) otlp.observe(sampleEvent());
  await until('a failed export', () => (otlp.stats().failedExports >= 1 ? true : undefined));
  await otlp.shutdown(500);
  assert.equal(otlp.stats().exportedEvents, 0);
  assert.equal(otlp.stats().droppedEvents, 20);
});

test('settings: --otlp-endpoint, the standard variables, per-signal URLs, headers, and clear errors', () => {
  assert.deepEqual(otlpSettings(undefined, {}), { settings: undefined });
  const flag = otlpSettings('http://collector:4318/', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318', OTEL_SERVICE_NAME: 'gw-staging' });
  assert.ok('settings' in flag);
  assert.equal(flag.settings!.tracesUrl, 'http://collector:4318/v1/traces');
  assert.equal(flag.settings!.logsUrl, 'http://collector:4318/v1/logs');
  assert.equal(flag.settings!.serviceName, 'gw-staging');
  const env = otlpSettings(undefined, {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/custom',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-team=routing',
  });
  assert.ok('settings' in env);
  assert.deepEqual(env.settings, { tracesUrl: 'https://traces.example/custom', logsUrl: 'https://otel.example:4318/v1/logs', headers: { authorization: 'Bearer abc', 'x-team': 'routing' }, serviceName: 'kt-gateway' });
  assert.match((otlpSettings('collector:4318', {}) as { error: string }).error, /must be an http\(s\) URL|is not a URL/);
  assert.match((otlpSettings(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/v1/traces' }) as { error: string }).error, /OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is not set/);
  assert.match((otlpSettings('http://c:4318', { OTEL_EXPORTER_OTLP_HEADERS: 'nonsense' }) as { error: string }).error, /key=value pairs/);
});
