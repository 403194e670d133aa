import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeOpenAI, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { startTestGateway, hello, target, type TestGateway } from './harness';

let a: FakeUpstream;
let b: FakeUpstream;
let c: FakeUpstream;
before(async () => {
  [a, b, c] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeOpenAI()]);
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
});

const env = () => ({ A_KEY: FAKE_OPENAI_KEY, B_KEY: FAKE_OPENAI_KEY, C_KEY: FAKE_OPENAI_KEY });

function config(groups: string): string {
  return `providers:\n  targets:\n${target('a', a.baseUrl)}${target('b', b.baseUrl)}${target('c', c.baseUrl)}model_groups:\n${groups}`;
}

const fallbackGroup = `  - name: chain
    strategy: fallback
    models:
      - provider: a
        model: gpt-4o
        timeout_ms: 300
      - provider: b
        model: gpt-4o-mini
        timeout_ms: 2000
      - provider: c
        model: gpt-4.1-mini
        timeout_ms: 2000
`;

async function withGateway(groups: string, fn: (gw: TestGateway) => Promise<void>): Promise<void> {
  for (const f of [a, b, c]) f.setBehavior({});
  const gw = await startTestGateway(config(groups), { env: env() });
  try {
    await fn(gw);
  } finally {
    await gw.close();
  }
}

test('a group name routes to its model and the response names the model that served it', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    const { data, response } = await gw.client.chat.completions.create({ model: 'chain', messages: hello }).withResponse();
    assert.equal(data.model, 'gpt-4o');
    assert.equal(response.headers.get('x-kt-provider'), 'a');
    assert.equal(response.headers.get('x-kt-resolved-model'), 'gpt-4o');
    assert.equal(response.headers.get('x-kt-fallback-count'), '0');
    assert.match(response.headers.get('x-kt-event-id') ?? '', /^evt_/);
    const sent = a.requests.at(-1)!;
    assert.equal(sent.body.model, 'gpt-4o');
    assert.equal(sent.headers.authorization, `Bearer ${FAKE_OPENAI_KEY}`);
  });
});

for (const [name, behavior, reason] of [
  ['timeout before headers', { delayMs: 1500 }, /timeout_ms 300/],
  ['503', { failStatus: 503 }, /HTTP 503|503/],
  ['429 with retry-after', { failStatus: 429, retryAfter: 20 }, /429/],
  ['connection reset', { reset: 'before-headers' as const }, /reset|closed|socket/i],
] as const) {
  test(`fallback moves on after ${name}`, async () => {
    await withGateway(fallbackGroup, async (gw) => {
      a.setBehavior(behavior);
      const started = performance.now();
      const { data, response } = await gw.client.chat.completions.create({ model: 'chain', messages: hello }).withResponse();
      assert.equal(data.model, 'gpt-4o-mini');
      assert.equal(response.headers.get('x-kt-fallback-count'), '1');
      if (name.startsWith('timeout')) assert.ok(performance.now() - started < 1400, 'the timeout cut the slow attempt short');
      const [event] = gw.events();
      assert.equal(event.fallback_count, 1);
      assert.equal(event.resolved_model, 'gpt-4o-mini');
      assert.deepEqual(event.attempts.map((x) => x.outcome), [name.startsWith('timeout') ? 'timeout' : 'error', 'success']);
      assert.match(event.attempts[0].error ?? '', reason);
    });
  });
}

test('a 400 from the upstream is returned as it is, without falling back', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    a.setBehavior({ failStatus: 400 });
    const before = b.requests.length;
    await assert.rejects(gw.client.chat.completions.create({ model: 'chain', messages: hello }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.code, 'context_length_exceeded');
      return true;
    });
    assert.equal(b.requests.length, before);
    const [event] = gw.events();
    assert.equal(event.decision, 'error');
    assert.equal(event.http_status, 400);
  });
});

test('all attempts failed gives 502 listing each attempt', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    a.setBehavior({ failStatus: 500 });
    b.setBehavior({ failStatus: 503 });
    c.setBehavior({ failStatus: 529 });
    const res = await gw.post({ model: 'chain', messages: hello });
    assert.equal(res.status, 502);
    const body = (await res.json()) as { error: { message: string; code: string } };
    assert.equal(body.error.code, 'all_attempts_failed');
    assert.match(body.error.message, /1\) a\/gpt-4o: HTTP 500.*2\) b\/gpt-4o-mini: HTTP 503.*3\) c\/gpt-4\.1-mini: HTTP 529/);
    const [event] = gw.events();
    assert.equal(event.decision, 'error');
    assert.equal(event.attempts.length, 3);
    assert.equal(event.http_status, 502);
  });
});

test('a target whose key variable is unset fails fast naming the variable, and routing moves on', async () => {
  for (const f of [a, b, c]) f.setBehavior({});
  const gw = await startTestGateway(config(fallbackGroup), { env: { B_KEY: FAKE_OPENAI_KEY } });
  try {
    const before = a.requests.length;
    const completion = await gw.client.chat.completions.create({ model: 'chain', messages: hello });
    assert.equal(completion.model, 'gpt-4o-mini');
    assert.equal(a.requests.length, before, 'no request reached the target without a key');
    const [event] = gw.events();
    assert.match(event.attempts[0].error ?? '', /A_KEY is not set/);
  } finally {
    await gw.close();
  }
});

test('streams fall back before the first byte and end with [DONE]', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    a.setBehavior({ failStatus: 502 });
    const stream = await gw.client.chat.completions.create({ model: 'chain', messages: hello, stream: true });
    let text = '';
    let model = '';
    for await (const chunk of stream) {
      model = chunk.model;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(model, 'gpt-4o-mini');
    assert.ok(text.length > 0);
    const [event] = gw.events();
    assert.equal(event.stream, true);
    assert.equal(event.fallback_count, 1);
    assert.ok(event.tokens.total > 0, 'usage was asked of the upstream for the event');
    assert.ok(b.requests.at(-1)!.body.stream_options?.include_usage);
  });
});

test('a stream cut after the first byte raises in the SDK instead of ending cleanly', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    a.setBehavior({ streamErrorAfterChunks: 2 });
    const before = b.requests.length;
    const stream = await gw.client.chat.completions.create({ model: 'chain', messages: hello, stream: true });
    await assert.rejects(async () => {
      for await (const _ of stream) {
        // drain
      }
    }, /failed mid-stream/);
    const [event] = gw.events();
    assert.equal(event.decision, 'error');
    assert.equal(b.requests.length, before, 'no fallback once bytes reached the client');
  });
});

test('a client that disconnects aborts the upstream request', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    a.setBehavior({ delayMs: 250, stall: 'mid-body' });
    const controller = new AbortController();
    const pending = gw.client.chat.completions.create({ model: 'chain', messages: hello, stream: true }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending);
    const aborted = await a.waitForAbort(3000);
    assert.equal(aborted.aborted, true);
  });
});

test('weighted split stays within statistical bounds over 1,000 requests', async () => {
  const groups = `  - name: split
    models:
      - provider: a
        model: gpt-4o
        weight: 70
        tag: control
      - provider: b
        model: gpt-4o-mini
        weight: 30
        tag: experiment
`;
  await withGateway(groups, async (gw) => {
    const n = 1000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => gw.client.chat.completions.create({ model: 'split', messages: hello })));
      for (const r of batch) counts.set(r.model, (counts.get(r.model) ?? 0) + 1);
    }
    const share = counts.get('gpt-4o') ?? 0;
    // Binomial(1000, 0.7): sd ≈ 14.5; 5 sd either side fails by chance about once in 3.5 million runs.
    assert.ok(Math.abs(share - 700) < 73, `gpt-4o served ${share} of ${n}`);
    const tags = gw.events().map((e) => e.tag);
    assert.equal(tags.filter((t) => t === 'control').length, share);
  });
});

test('session affinity keeps a conversation on one model', async () => {
  const groups = `  - name: sticky
    session_affinity: true
    models:
      - provider: a
        model: gpt-4o
        weight: 50
      - provider: b
        model: gpt-4o-mini
        weight: 50
`;
  await withGateway(groups, async (gw) => {
    const servedBy = new Map<string, Set<string>>();
    for (let s = 0; s < 20; s++) {
      for (let turn = 0; turn < 5; turn++) {
        const r = await gw.client.chat.completions.create({ model: 'sticky', messages: hello }, { headers: { 'x-session-id': `conv-${s}` } });
        servedBy.set(`conv-${s}`, (servedBy.get(`conv-${s}`) ?? new Set()).add(r.model));
      }
    }
    for (const [session, models] of servedBy) assert.equal(models.size, 1, `${session} moved between models`);
    const both = new Set([...servedBy.values()].map((m) => [...m][0]));
    assert.equal(both.size, 2, 'sessions spread over both models');
    // Without a header, the user field is the key.
    const first = await gw.client.chat.completions.create({ model: 'sticky', messages: hello, user: 'alice' });
    const again = await gw.client.chat.completions.create({ model: 'sticky', messages: [...hello, { role: 'assistant', content: 'Hi' }, { role: 'user', content: 'More' }], user: 'alice' });
    assert.equal(again.model, first.model);
    assert.equal(gw.events().at(-1)!.session_id, 'user:alice');
  });
});

test('latency groups prefer the model with the lowest time to first byte', async () => {
  const groups = `  - name: quick
    strategy: latency
    models:
      - provider: a
        model: gpt-4o
      - provider: b
        model: gpt-4o-mini
`;
  await withGateway(groups, async (gw) => {
    a.setBehavior({ delayMs: 120 });
    for (let i = 0; i < 4; i++) await gw.client.chat.completions.create({ model: 'quick', messages: hello });
    const served: string[] = [];
    for (let i = 0; i < 40; i++) served.push((await gw.client.chat.completions.create({ model: 'quick', messages: hello })).model);
    const fast = served.filter((m) => m === 'gpt-4o-mini').length;
    // Exploration sends about 5% elsewhere; 30 of 40 leaves a wide margin.
    assert.ok(fast >= 30, `fast model served ${fast} of 40`);
  });
});

test('a model name that is not routable gives 404 model_not_found listing the groups', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    await assert.rejects(gw.client.chat.completions.create({ model: 'gpt-5-nope', messages: hello }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, 'model_not_found');
      assert.match(error.message, /chain/);
      return true;
    });
  });
});

test('provider-id/model and unique physical names are sent directly', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    const direct = await gw.client.chat.completions.create({ model: 'c/gpt-4.1-nano', messages: hello });
    assert.equal(direct.model, 'gpt-4.1-nano');
    assert.equal(c.requests.at(-1)!.body.model, 'gpt-4.1-nano');
    const physical = await gw.client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    assert.equal(physical.model, 'gpt-4o-mini');
    const events = gw.events();
    assert.equal(events[0].strategy, 'direct');
    assert.equal(events[1].provider, 'b');
  });
});

test('GET /v1/models lists groups and physical models in OpenAI list shape; /healthz needs no key', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    const ids: string[] = [];
    for await (const m of gw.client.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['chain', 'a/gpt-4o', 'b/gpt-4o-mini', 'c/gpt-4.1-mini']);
    const health = await fetch(`${gw.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
  });
});

test('streamed usage: withheld from a client that did not ask (still recorded), delivered to one that did', async () => {
  await withGateway(fallbackGroup, async (gw) => {
    const plain = await gw.client.chat.completions.create({ model: 'chain', messages: hello, stream: true });
    const plainChunks = [];
    for await (const chunk of plain) plainChunks.push(chunk);
    // The fake sends "usage": null on every chunk once usage is asked, as OpenAI does; the final usage chunk is dropped.
    assert.ok(plainChunks.length > 2);
    assert.ok(plainChunks.every((c) => c.choices.length > 0 && !c.usage), 'no usage reaches a client that did not ask');
    assert.ok(a.requests.at(-1)!.body.stream_options?.include_usage, 'usage was asked of the upstream');
    assert.ok(gw.events().at(-1)!.tokens.total > 0, 'the event still has the usage');

    const asked = await gw.client.chat.completions.create({ model: 'chain', messages: hello, stream: true, stream_options: { include_usage: true } });
    const askedChunks = [];
    for await (const chunk of asked) askedChunks.push(chunk);
    const last = askedChunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage && last.usage.total_tokens > 0);
  });
});
