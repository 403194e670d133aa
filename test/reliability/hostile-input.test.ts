// Hostile clients: malformed and oversized bodies, deep nesting, header injection, path traversal,
// slow and idle connections. Each gets a clear 4xx or is closed, and the gateway keeps serving others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { startFakeOpenAI, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { startTestGateway, hello, target, type TestGateway } from '../gateway/harness';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../gateway/http/respond';

let up: FakeUpstream;
let gw: TestGateway;
const MAX_BODY = 8192;
const HEADERS_TIMEOUT = 400;

before(async () => {
  up = await startFakeOpenAI();
  const yaml = `providers:\n  targets:\n${target('up', up.baseUrl)}model_groups:\n  - name: chat\n    models:\n      - provider: up\n        model: gpt-4o\n`;
  gw = await startTestGateway(yaml, { env: { UP_KEY: FAKE_OPENAI_KEY }, maxBodyBytes: MAX_BODY, headersTimeoutMs: HEADERS_TIMEOUT });
});
after(async () => {
  await gw.close();
  await up.close();
});

interface ErrorReply { status: number; error: { message: string; type: string; code: string | null; param: string | null } }

async function postRaw(body: string, headers: Record<string, string> = {}): Promise<ErrorReply> {
  const res = await gw.post(body, headers);
  const json = (await res.json()) as { error: ErrorReply['error'] };
  return { status: res.status, error: json.error };
}

/** One request over a raw socket, exactly as written (no URL normalisation, no header validation). */
function rawExchange(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (data += d));
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.write(head + body);
  });
}

async function stillServes(): Promise<void> {
  const r = await gw.client.chat.completions.create({ model: 'chat', messages: hello });
  assert.equal(r.model, 'gpt-4o');
}

test('malformed bodies get a 400 in OpenAI\'s error shape that says what to send, and one blocked event each', async () => {
  const before = gw.events().length;
  const cases: Array<[string, string, RegExp, string | null]> = [
    ['invalid JSON', '{"model": "chat", "messages": [', /not valid JSON/, 'invalid_json'],
    ['empty body', '', /empty/, 'invalid_json'],
    ['not an object', '[1, 2, 3]', /must be a JSON object/, 'invalid_request'],
    ['model of the wrong type', JSON.stringify({ model: 5, messages: hello }), /"model" is required and must be a string/, 'invalid_request'],
    ['missing messages', JSON.stringify({ model: 'chat' }), /"messages" is required/, 'invalid_request'],
    ['messages not an array', JSON.stringify({ model: 'chat', messages: 'hi' }), /"messages" is required/, 'invalid_request'],
    ['a message without a role', JSON.stringify({ model: 'chat', messages: [{ content: 'hi' }] }), /role must be one of/, 'invalid_request'],
    ['content of the wrong type', JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 42 }] }), /content must be a string or an array/, 'invalid_request'],
    ['stream not a boolean', JSON.stringify({ model: 'chat', messages: hello, stream: 'yes' }), /"stream" must be true or false/, 'invalid_request'],
    ['negative max_tokens', JSON.stringify({ model: 'chat', messages: hello, max_tokens: -1 }), /positive integer/, 'invalid_request'],
  ];
  for (const [name, body, message, code] of cases) {
    const r = await postRaw(body);
    assert.equal(r.status, 400, name);
    assert.match(r.error.message, message, name);
    assert.equal(r.error.type, 'invalid_request_error', name);
    assert.equal(r.error.code, code, name);
  }
  const events = gw.events().slice(before);
  assert.equal(events.length, cases.length, 'one event per refused request');
  assert.ok(events.every((e) => e.decision === 'blocked' && e.http_status === 400));
  await stillServes();
});

test('an unknown model is a 404 model_not_found naming the groups, through the SDK', async () => {
  await assert.rejects(gw.client.chat.completions.create({ model: 'no-such-model', messages: hello }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.code, 'model_not_found');
    assert.match(error.message, /model groups \(chat\)/);
    return true;
  });
});

test('a body over the configured limit is a 413, declared or chunked; one just under it is served', async () => {
  const pad = (n: number) => JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(n) }] });
  const over = await postRaw(pad(MAX_BODY));
  assert.equal(over.status, 413);
  assert.equal(over.error.code, 'request_too_large');
  assert.match(over.error.message, new RegExp(`limit of ${MAX_BODY} bytes.*--max-body-bytes`));

  // No content-length: the limit holds while reading a chunked body.
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    const body = pad(MAX_BODY * 4);
    for (let i = 0; i < body.length; i += 1000) req.write(body.slice(i, i + 1000));
    req.end();
  });
  assert.equal(chunked, 413);

  const under = pad(MAX_BODY - 200);
  assert.ok(Buffer.byteLength(under) < MAX_BODY);
  const ok = await gw.post(under);
  assert.equal(ok.status, 200);
  await ok.arrayBuffer();
});

test('the nesting scan skips strings, escaped quotes and brackets inside them', () => {
  const deep = (d: number) => '['.repeat(d) + ']'.repeat(d);
  assert.equal(nestedDeeperThan(deep(MAX_JSON_DEPTH), MAX_JSON_DEPTH), false);
  assert.equal(nestedDeeperThan(deep(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH), true);
  const inString = JSON.stringify({ s: '['.repeat(10_000) + '\\"[[[' + '{'.repeat(5000) });
  assert.equal(nestedDeeperThan(inString, MAX_JSON_DEPTH), false);
  const afterEscapes = `{"a":"x\\\\","b":${deep(300)}}`;
  assert.equal(nestedDeeperThan(afterEscapes, MAX_JSON_DEPTH), true, 'an escaped backslash does not hide the closing quote');
});

test('100,000-deep nesting is a clean 400 before parsing, wherever it is, and reaches no upstream', async () => {
  const d = 100_000;
  const arrays = '['.repeat(d) + ']'.repeat(d);
  const objects = '{"a":'.repeat(d) + '1' + '}'.repeat(d);
  const sentBefore = up.requests.length;
  const bodies = [
    `{"model":"chat","messages":[{"role":"user","content":"hi"}],"extra":${arrays}}`,
    `{"model":"chat","messages":[{"role":"user","content":${arrays}}]}`,
    `{"model":"chat","messages":[{"role":"user","content":"hi"}],"extra":${objects}}`,
    arrays,
  ];
  // A big enough limit that the depth, not the size, is what gets refused.
  const big = await startTestGateway(`providers:\n  targets:\n${target('up', up.baseUrl)}model_groups:\n  - name: chat\n    models:\n      - provider: up\n        model: gpt-4o\n`, { env: { UP_KEY: FAKE_OPENAI_KEY }, maxBodyBytes: 4 * 1024 * 1024 });
  try {
    for (const body of bodies) {
      const res = await big.post(body);
      const json = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(res.status, 400);
      assert.equal(json.error.code, 'invalid_json');
      assert.match(json.error.message, new RegExp(`more than ${MAX_JSON_DEPTH} levels`));
    }
    assert.equal(up.requests.length, sentBefore, 'nothing was sent upstream');
    const r = await big.client.chat.completions.create({ model: 'chat', messages: hello });
    assert.equal(r.model, 'gpt-4o');
  } finally {
    await big.close();
  }
});

test('CRLF in a request header is refused by the parser with 400; the gateway keeps serving', async () => {
  const port = gw.gateway.port;
  const body = JSON.stringify({ model: 'chat', messages: hello });
  const reply = await rawExchange(port, `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${gw.key}\r\ncontent-type: application/json\r\nx-session-id: abc\rset-cookie: pwned=1\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`, body);
  assert.match(reply, /^HTTP\/1\.1 400 /);
  assert.doesNotMatch(reply, /set-cookie/i);
  await stillServes();
});

test('client-chosen model names never land in a response header unescaped', async () => {
  const port = gw.gateway.port;
  for (const model of ['up/gpt-4o\r\nset-cookie: pwned=1', 'up/gpt-4o-\u{1F600}', 'up/gpt\u0000x', 'up/gpt-\u00e9']) {
    const body = JSON.stringify({ model, messages: hello });
    const reply = await rawExchange(port, `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${gw.key}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`, body);
    const [head] = reply.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200 /, `${JSON.stringify(model)} is served: ${head.split('\r\n')[0]}`);
    assert.doesNotMatch(head, /^set-cookie/im);
    const resolved = head.split('\r\n').find((l) => l.toLowerCase().startsWith('x-kt-resolved-model:'));
    assert.ok(resolved, 'the resolved-model header is there');
    assert.match(resolved, /^x-kt-resolved-model: [\x20-\x7e]*$/i, 'printable ASCII only');
    assert.equal(decodeURIComponent(resolved.slice(resolved.indexOf(':') + 2)), model.slice(3));
  }
  await stillServes();
});

function getRaw(path: string, auth = true): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: gw.gateway.port, path, headers: auth ? { authorization: `Bearer ${gw.key}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('path traversal in the events API is a 404 that reads no file', async () => {
  const keysFile = JSON.parse(readFileSync(gw.gateway.keys.path, 'utf8')) as { keys: Array<{ hash: string }> };
  const hash = keysFile.keys[0].hash;
  const paths = [
    '/kt/v1/events/../../keys.json',
    '/kt/v1/events/../../../../../../etc/passwd',
    '/kt/v1/events/%2e%2e/%2e%2e/keys.json',
    '/kt/v1/events%2f..%2f..%2fkeys.json',
    '/kt/v1/events/..%2f..%2fkeys.json',
    '/kt/v1/events/..\\..\\keys.json',
    '/kt/v1/events/%252e%252e/keys.json',
    '/kt/v1/events/stream/../../../keys.json',
    '/kt/v1/events/',
    '/kt/v1/events;/../keys.json',
  ];
  for (const path of paths) {
    for (const auth of [true, false]) {
      const r = await getRaw(path, auth);
      assert.ok(r.status === 404 || r.status === 401 || r.status === 400, `${path}: ${r.status}`);
      assert.ok(!r.body.includes(hash), `${path} leaks keys.json`);
      assert.doesNotMatch(r.body, /root:/, `${path} leaks /etc/passwd`);
      assert.equal(JSON.parse(r.body).error !== undefined, true, `${path}: OpenAI-shaped error`);
    }
  }
  assert.equal((await getRaw('/kt/v1/events?limit=1')).status, 200, 'the real endpoint still answers');
});

test('a client sending its headers byte by byte is cut off by the headers timeout; others are served meanwhile', async () => {
  const socket = connect(gw.gateway.port, '127.0.0.1');
  const closed = new Promise<{ ms: number; data: string }>((resolve) => {
    let data = '';
    const started = Date.now();
    socket.setEncoding('latin1');
    socket.on('data', (d) => (data += d));
    socket.on('close', () => resolve({ ms: Date.now() - started, data }));
    socket.on('error', () => undefined);
  });
  const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${gw.key}\r\nx-padding: ${'a'.repeat(400)}\r\n`;
  let i = 0;
  const drip = setInterval(() => {
    if (socket.destroyed || i >= head.length) return clearInterval(drip);
    socket.write(head[i++]);
  }, 10);
  try {
    await stillServes(); // while the drip goes on
    const result = await closed;
    assert.ok(result.ms < HEADERS_TIMEOUT * 6, `closed after ${result.ms} ms`);
    assert.ok(i < head.length, 'cut off before it finished sending');
    assert.match(result.data, /^HTTP\/1\.1 408 [^]*"code":"request_timeout"/, 'a 408 in OpenAI\'s error shape');
  } finally {
    clearInterval(drip);
    socket.destroy();
  }
  await stillServes();
});

test('2,000 idle connections do not stop the gateway from serving others', async () => {
  // Default timeouts here, so the idle connections stay open for the whole test.
  const idle = await startTestGateway(`providers:\n  targets:\n${target('up', up.baseUrl)}model_groups:\n  - name: chat\n    models:\n      - provider: up\n        model: gpt-4o\n`, { env: { UP_KEY: FAKE_OPENAI_KEY } });
  const sockets: Socket[] = [];
  try {
    const connections = () => new Promise<number>((r) => idle.gateway.server.getConnections((_e, n) => r(n)));
    // In batches below the listen backlog (511): a single burst of 2,000 SYNs measures the kernel, not the gateway.
    for (let batch = 0; batch < 8; batch++) {
      await Promise.all(Array.from({ length: 250 }, () => new Promise<void>((resolve, reject) => {
        const s = connect(idle.gateway.port, '127.0.0.1', () => resolve());
        s.on('error', reject);
        sockets.push(s);
      })));
      const deadline = Date.now() + 3000;
      while ((await connections()) < sockets.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok((await connections()) >= 2000, `${await connections()} connections open at the gateway`);
    const r = await idle.client.chat.completions.create({ model: 'chat', messages: hello });
    assert.equal(r.model, 'gpt-4o');
    const stream = await idle.client.chat.completions.create({ model: 'chat', messages: hello, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.ok(text.length > 0);
    const health = await fetch(`${idle.url}/healthz`);
    assert.equal(health.status, 200);
    await health.arrayBuffer();
    const closedAll = Promise.all(sockets.map((s) => new Promise<void>((res) => (s.destroyed ? res() : s.on('close', () => res())))));
    await idle.close();
    await closedAll; // close() ends idle connections too
  } finally {
    for (const s of sockets) s.destroy();
    await idle.close();
  }
});
