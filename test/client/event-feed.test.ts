import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventFeed } from '../../client/events/event-feed';
import type { DecisionEvent } from '../../gateway/events/decision-event';
import { decisionEvent } from './fixtures/events';

const KEY = 'kt_gk_test_admin';

// An events API speaking the gateway's contract: list newest first, SSE `data: <json>\n\n`, Bearer admin key.
async function eventsApi(stored: DecisionEvent[]) {
  const streams = new Set<ServerResponse>();
  let streamConnections = 0;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'missing or unknown gateway key', type: 'invalid_request_error', code: 'invalid_api_key' } }));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/kt/v1/events') {
      const limit = Number(url.searchParams.get('limit') ?? 50);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [...stored].reverse().slice(0, limit) }));
    } else if (url.pathname === '/kt/v1/events/stream') {
      streamConnections++;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': connected\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    publish(e: DecisionEvent, split = false) {
      stored.push(e);
      const frame = `data: ${JSON.stringify(e)}\n\n`;
      for (const s of streams) {
        if (split) {
          s.write(frame.slice(0, 10));
          setTimeout(() => s.write(frame.slice(10)), 20);
        } else s.write(frame);
      }
    },
    dropStreams() {
      for (const s of streams) s.end();
    },
    get streamConnections() {
      return streamConnections;
    },
    get openStreams() {
      return streams.size;
    },
    async close() {
      for (const s of streams) s.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('backfill arrives oldest first, then live events from the SSE stream (split frames too), no duplicates', async () => {
  const a = decisionEvent();
  const b = decisionEvent();
  const api = await eventsApi([a, b]);
  const got: string[] = [];
  const feed = new EventFeed({ baseUrl: api.url, key: KEY, backfill: 50, onEvents: (es) => got.push(...es.map((e) => e.id)) });
  try {
    await feed.open();
    assert.deepEqual(got, [a.id, b.id]);
    await until(() => api.openStreams === 1);
    const c = decisionEvent();
    const d = decisionEvent();
    api.publish(c);
    api.publish(d, true);
    await until(() => got.length === 4);
    assert.deepEqual(got, [a.id, b.id, c.id, d.id]);
  } finally {
    feed.close();
    await api.close();
  }
});

test('when the stream drops, the feed reconnects and backfills what it missed', async () => {
  const api = await eventsApi([]);
  const got: string[] = [];
  const feed = new EventFeed({ baseUrl: api.url, key: KEY, backfill: 50, onEvents: (es) => got.push(...es.map((e) => e.id)), reconnectMs: () => 20 });
  try {
    await feed.open();
    await until(() => api.openStreams === 1);
    api.dropStreams();
    // Published while no stream is open: only the backfill after reconnecting can deliver it.
    await until(() => api.openStreams === 0);
    const missed = decisionEvent();
    api.publish(missed);
    await until(() => api.streamConnections === 2 && api.openStreams === 1);
    await until(() => got.includes(missed.id));
    const live = decisionEvent();
    api.publish(live);
    await until(() => got.includes(live.id));
    assert.deepEqual(got, [missed.id, live.id]);
  } finally {
    feed.close();
    await api.close();
  }
});

test('a key that is not accepted is reported without ever printing the key', async () => {
  const api = await eventsApi([decisionEvent()]);
  const problems: string[] = [];
  const got: DecisionEvent[] = [];
  const feed = new EventFeed({ baseUrl: api.url, key: 'kt_gk_wrong_secret', backfill: 5, onEvents: (es) => got.push(...es), onProblem: (m) => problems.push(m), reconnectMs: () => 50 });
  try {
    await feed.open();
    await until(() => problems.length >= 2);
    assert.equal(got.length, 0);
    assert.match(problems[0]!, /HTTP 401 \(the key is not an admin key\)/);
    assert.ok(problems.every((p) => !p.includes('kt_gk_wrong_secret')));
  } finally {
    feed.close();
    await api.close();
  }
});
