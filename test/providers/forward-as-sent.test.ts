// The OpenAI-compatible provider hands the gateway the upstream's own JSON text for answers it returns
// unchanged (answerJson forwards it byte for byte), and only for those: anything it fixed up, or any
// multi-line SSE data, is serialised again. The upstream here is a real HTTP server sending exact bytes.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openai } from '../../gateway/providers/openai';
import { answerJson, type ChatCompletionChunk } from '../../gateway/providers/provider';
import { attempt, scriptedUpstream, chat, collect, type Attempt } from './attempt';

const KEY = 'sk-forward-as-sent-0123';

/** What the fake upstream does with the next request; each test sets it. */
let respond: (req: IncomingMessage, res: ServerResponse) => void;
const seen: Array<{ path: string | undefined; body: Record<string, unknown> }> = [];
let ctx: Attempt;

const upstream = scriptedUpstream((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    seen.push({ path: req.url, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown> });
    respond(req, res);
  });
});
beforeEach(() => {
  seen.length = 0;
  ctx = attempt({ type: 'openai', baseUrl: upstream.baseUrl }, { model: 'gpt-4o', key: KEY });
});
afterEach(async () => { await ctx.close(); });

function sendJsonText(text: string): void {
  respond = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
}

function sendSse(body: string): void {
  respond = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(body);
  };
}

const chunkText = (id: string, content: string, finish: string | null = null) =>
  `{"id":"${id}","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}`;
const STOP = `{"id":"c9","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`;

test('non-streamed answer with a model: answerJson is exactly the text the upstream sent', async () => {
  // Odd spacing, key order, an escaped character and a trailing newline: none survive JSON.stringify.
  const text =
    '{ "choices" : [ {"message":{"content":"caf\\u00e9  hi","role":"assistant"},"index":0,"finish_reason":"stop"} ],\n' +
    '  "model":"gpt-4o-2024-08-06" ,"object":"chat.completion","id":"chatcmpl-1","created":5,\n' +
    '  "usage":{"total_tokens":3,"prompt_tokens":1,"completion_tokens":2}}\n';
  sendJsonText(text);
  const result = await openai.complete(chat('hello'), ctx);
  assert.equal(seen[0].path, '/v1/chat/completions');
  assert.equal(result.model, 'gpt-4o-2024-08-06');
  assert.equal(result.choices[0].message.content, 'café  hi');
  assert.equal(answerJson(result), text);
  assert.notEqual(JSON.stringify(result), text); // so the equality above is the forwarded text, not a re-serialisation
  assert.deepEqual(JSON.parse(answerJson(result)), result);
});

test('non-streamed answer without a model: model is the attempt model, and the JSON says so too', async () => {
  const text = '{"id":"chatcmpl-2","object":"chat.completion","created":5,"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}';
  sendJsonText(text);
  const result = await openai.complete(chat(), ctx);
  assert.equal(result.model, ctx.model);
  assert.equal(result.model, 'gpt-4o');
  const json = answerJson(result);
  assert.notEqual(json, text);
  assert.equal(JSON.parse(json).model, 'gpt-4o');
  assert.equal(JSON.parse(json).choices[0].message.content, 'ok');
});

test('non-streamed answer with an empty model string is fixed up and not forwarded as sent', async () => {
  const text = '{"id":"chatcmpl-3","object":"chat.completion","created":5,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}';
  sendJsonText(text);
  const result = await openai.complete(chat(), ctx);
  assert.equal(result.model, 'gpt-4o');
  assert.equal(JSON.parse(answerJson(result)).model, 'gpt-4o');
});

test('stream: a chunk sent as one data line is forwarded byte for byte', async () => {
  // Unusual spacing and an escape inside the one-line data; a second chunk with no space after "data:".
  const first = '{"id":"c1" , "object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"caf\\u00e9"},"finish_reason":null}]}';
  const second = chunkText('c2', ' there');
  const usage = '{"id":"c9","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}';
  sendSse(`data: ${first}\n\ndata:${second}\n\ndata: ${STOP}\n\ndata: ${usage}\n\ndata: [DONE]\n\n`);
  const chunks = await collect(await openai.stream(chat('x', { stream: true }), ctx));
  assert.equal(seen[0].body.stream, true);
  assert.equal(chunks.length, 4);
  assert.equal(chunks[0].choices[0].delta.content, 'café');
  assert.equal(answerJson(chunks[0]), first);
  assert.notEqual(JSON.stringify(chunks[0]), first);
  assert.equal(answerJson(chunks[1]), second);
  assert.equal(answerJson(chunks[2]), STOP);
  assert.equal(answerJson(chunks[3]), usage);
});

test('stream: a chunk whose JSON spans two data lines is serialised again onto one line', async () => {
  const line1 = '{"id":"c1","object":"chat.completion.chunk",';
  const line2 = '"created":1,"model":"m","choices":[{"index":0,"delta":{"content":"split"},"finish_reason":null}]}';
  sendSse(`data: ${line1}\ndata: ${line2}\n\ndata: ${STOP}\n\ndata: [DONE]\n\n`);
  const chunks = await collect(await openai.stream(chat('x', { stream: true }), ctx));
  assert.equal(chunks.length, 2);
  const json = answerJson(chunks[0]);
  assert.equal(json.includes('\n'), false);
  assert.deepEqual(JSON.parse(json), JSON.parse(`${line1}\n${line2}`));
  assert.deepEqual(JSON.parse(json), chunks[0]);
  assert.equal(chunks[0].choices[0].delta.content, 'split');
  // What the gateway writes for it is one well-formed SSE event.
  assert.equal(`data: ${json}\n\n`.split('\n').length, 3);
});

test('stream: chunks the provider fixed up (model missing, choice without delta) are not the upstream text', async () => {
  const noModel = '{"id":"c1","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}';
  const noDelta = '{"id":"c2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"finish_reason":null,"content_filter_results":{}}]}';
  sendSse(`data: ${noModel}\n\ndata: ${noDelta}\n\ndata: ${STOP}\n\ndata: [DONE]\n\n`);
  const chunks = await collect(await openai.stream(chat('x', { stream: true }), ctx));
  assert.equal(chunks.length, 3);

  assert.equal(chunks[0].model, 'gpt-4o');
  const a = answerJson(chunks[0]);
  assert.notEqual(a, noModel);
  assert.equal(JSON.parse(a).model, 'gpt-4o');
  assert.deepEqual(JSON.parse(a), { ...JSON.parse(noModel), model: 'gpt-4o' });

  assert.deepEqual(chunks[1].choices[0].delta, {});
  const b = answerJson(chunks[1]);
  assert.notEqual(b, noDelta);
  const parsed = JSON.parse(b) as ChatCompletionChunk;
  assert.deepEqual(parsed.choices[0].delta, {});
  assert.equal(parsed.model, 'm');
  assert.deepEqual((parsed.choices[0] as Record<string, unknown>).content_filter_results, {});

  // The untouched final chunk is still forwarded as sent.
  assert.equal(answerJson(chunks[2]), STOP);
});
