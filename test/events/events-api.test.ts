import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { request } from 'undici';
import { EventLog } from '../../gateway/events/event-log';
import { parseFilters, type EventFilter } from '../../gateway/events/filter';
import { parseSse } from '../../gateway/providers/sse';
import type { DecisionEvent } from '../../gateway/events/decision-event';
import { abEvent, blockedEvent, fallbackEvent, sampleEvent } from './fixtures/sample-events';
import { startEventsServer } from './fixtures/events-server';

async function setup(t: { after: (fn: () => unknown) => void }, options: { keepAliveMs?: number } = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-api-'));
  const log = new EventLog({ stateDir });
  const server = await startEventsServer(log, options);
  t.after(async () => {
    await server.close();
    log.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { log, url: server.url };
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await request(url);
  return { status: response.statusCode, body: await response.body.json() };
}

test('GET /kt/v1/events lists newest first, with limit and repeated filters', async (t) => {
  const { log, url } = await setup(t);
  const events = [sampleEvent(), fallbackEvent(), abEvent('control'), abEvent('experiment'), blockedEvent(), fallbackEvent()];
  for (const event of events) log.append(event);
  const all = await getJson(`${url}/kt/v1/events`);
  assert.equal(all.status, 200);
  assert.equal(all.body.object, 'list');
  assert.deepEqual(all.body.data.map((e: DecisionEvent) => e.id), events.map((e) => e.id).reverse());
  const two = await getJson(`${url}/kt/v1/events?limit=2`);
  assert.deepEqual(two.body.data.map((e: DecisionEvent) => e.id), [events[5].id, events[4].id]);
  const filtered = await getJson(`${url}/kt/v1/events?filter=${encodeURIComponent('model=chat-experiment')}&filter=${encodeURIComponent('provider=anthropic')}`);
  assert.deepEqual(filtered.body.data.map((e: DecisionEvent) => e.id), [events[3].id]);
});

test('a 10,000-event list goes out in batches as one valid JSON body, newest first, as query returns it', async (t) => {
  const { log, url } = await setup(t);
  for (let i = 0; i < 10_000; i++) log.append(sampleEvent({ id: `evt_big${String(i).padStart(5, '0')}`, latency_ms: i, tag: i % 3 ? 'a' : null }));
  const response = await request(`${url}/kt/v1/events?limit=10000`);
  assert.equal(response.headers['content-length'], undefined, 'chunked, not built in one piece');
  const body = (await response.body.json()) as { object: string; data: DecisionEvent[] };
  assert.equal(body.object, 'list');
  assert.equal(body.data.length, 10_000);
  assert.deepEqual(body.data.map((e) => e.id), log.query({ limit: 10_000 }).map((e) => e.id));
  assert.equal(body.data[0]!.id, 'evt_big09999');
  const filtered = await getJson(`${url}/kt/v1/events?limit=10000&filter=${encodeURIComponent('tag=a')}`);
  assert.equal(filtered.body.data.length, 6666);
});

test('the async query returns exactly what the synchronous one does, for every limit and filter', async (t) => {
  const { log } = await setup(t);
  for (let i = 0; i < 1500; i++) log.append(i % 7 ? sampleEvent() : fallbackEvent());
  for (const limit of [1, 255, 256, 257, 1499, 5000]) {
    const byStrategy = parseFilters(['strategy=fallback']);
    assert.ok(Array.isArray(byStrategy));
    for (const filters of [[], byStrategy as EventFilter[]]) {
      assert.deepEqual((await log.queryAsync({ limit, filters }, 0)).map((e) => e.id), log.query({ limit, filters }).map((e) => e.id));
    }
  }
});

test('bad limits, bad filters and other methods answer in OpenAI error shape', async (t) => {
  const { url } = await setup(t);
  const badLimit = await getJson(`${url}/kt/v1/events?limit=abc`);
  assert.equal(badLimit.status, 400);
  assert.deepEqual(Object.keys(badLimit.body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.deepEqual([badLimit.body.error.code, badLimit.body.error.param, badLimit.body.error.type], ['invalid_limit', 'limit', 'invalid_request_error']);
  const badFilter = await getJson(`${url}/kt/v1/events?filter=nonsense`);
  assert.equal(badFilter.status, 400);
  assert.equal(badFilter.body.error.param, 'filter');
  assert.match(badFilter.body.error.message, /field=value/);
  const post = await request(`${url}/kt/v1/events`, { method: 'POST', body: '{}' });
  assert.equal(post.statusCode, 405);
  assert.equal(post.headers.allow, 'GET');
  assert.equal(((await post.body.json()) as any).error.code, 'method_not_allowed');
});

test('only the exact paths are handled', async (t) => {
  const { url } = await setup(t);
  // node:http sends the path as written; undici would normalise `..` away before sending.
  const statusOf = (path: string) => new Promise<number>((resolve, reject) => {
    get(`${url}/`, { path }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
  assert.equal(await statusOf('/kt/v1/events'), 200);
  for (const path of ['/kt/v1/events/', '/kt/v1/x/../events', '/kt/v1/events/stream/', '//kt/v1/events', '/kt/v1/%65vents', '/kt/v1/events/streams', '/KT/v1/events', '/kt/v1/./events']) {
    assert.equal(await statusOf(path), 404, path);
  }
});

test('the SSE stream delivers each new event live, honours filters and cleans up on close', async (t) => {
  const { log, url } = await setup(t);
  const controller = new AbortController();
  const response = await request(`${url}/kt/v1/events/stream?filter=${encodeURIComponent('decision=blocked')}`, { signal: controller.signal });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/event-stream/);
  const received: Array<{ event: DecisionEvent; at: number }> = [];
  let arrived: () => void = () => undefined;
  void (async () => {
    try {
      for await (const { data } of parseSse(response.body)) {
        received.push({ event: JSON.parse(data), at: performance.now() });
        arrived();
      }
    } catch {
      // the test aborts the stream at its end
    }
  })();
  const listenersBefore = (log as unknown as { listeners: Set<unknown> }).listeners.size;
  assert.equal(listenersBefore, 1);
  log.append(sampleEvent());
  const blocked = log.append(blockedEvent());
  await new Promise<void>((resolve) => (arrived = resolve));
  assert.equal(received.length, 1);
  assert.equal(received[0].event.id, blocked.id);
  // Delivery latency is measured by bench/events-delivery.mjs, not asserted on a shared machine.
  controller.abort();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((log as unknown as { listeners: Set<unknown> }).listeners.size, 0, 'the closed client unsubscribed');
});

test('the SSE stream sends keep-alive comments', async (t) => {
  const { url } = await setup(t, { keepAliveMs: 20 });
  const controller = new AbortController();
  const response = await request(`${url}/kt/v1/events/stream`, { signal: controller.signal });
  response.body.setEncoding('utf8');
  let text = '';
  await new Promise<void>((resolve) => {
    response.body.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes(': keep-alive\n\n')) resolve();
    });
  });
  response.body.on('error', () => undefined);
  controller.abort();
  assert.match(text, /^: connected\n\n(: keep-alive\n\n)+/);
});
