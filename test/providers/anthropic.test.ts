import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { anthropic } from '../../gateway/providers/anthropic';
import { fromAnthropicMessage, toAnthropicRequest } from '../../gateway/wire/anthropic';
import type { ChatRequest } from '../../gateway/providers/provider';
import { UpstreamError } from '../../gateway/providers/provider';
import { FAKE_ANTHROPIC_KEY, startFakeAnthropic, type FakeUpstream } from '../fakes';
import { messagesViolation } from '../fakes/anthropic';
import { attempt, chat, collect, streamedText, streamedToolCalls, upstreamFailure, type Attempt } from './attempt';

let fake: FakeUpstream;
let ctx: Attempt;
before(async () => { fake = await startFakeAnthropic(); });
after(async () => { await ctx?.close(); await fake.close(); });
beforeEach(async () => {
  await ctx?.close();
  fake.setBehavior({});
  fake.requests.length = 0;
  ctx = attempt({ id: 'anthropic', type: 'anthropic', baseUrl: fake.baseUrl, keyEnv: 'ANTHROPIC_API_KEY' }, { model: 'claude-sonnet-4-20250514', key: FAKE_ANTHROPIC_KEY });
});

const weatherTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

/** A conversation with every OpenAI feature that needs translating. */
const conversation: ChatRequest = {
  model: 'premium-chat',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
    { role: 'user', content: 'Weather in Paris and Rome?' },
    { role: 'user', content: [{ type: 'text', text: 'Look at these.' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }, { type: 'image_url', image_url: { url: 'https://example.com/sky.jpg' } }] },
    {
      role: 'assistant', content: '',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":18}' },
    { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '{"temp_c":24}' }] },
    { role: 'user', content: 'Which is warmer?' },
  ],
  tools: [weatherTool],
  tool_choice: 'required',
  parallel_tool_calls: false,
  stop: 'END',
  max_completion_tokens: 300,
  user: 'user-42',
  temperature: 1.4,
  top_p: 0.9,
};

test('toAnthropicRequest translates the whole OpenAI request', () => {
  const body = toAnthropicRequest(conversation, 'claude-sonnet-4', false);
  assert.deepEqual(body, {
    model: 'claude-sonnet-4',
    max_tokens: 300,
    system: 'Be brief.\n\nUse metric units.',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in Paris and Rome?' },
          { type: 'text', text: 'Look at these.' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/sky.jpg' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '{"temp_c":18}' },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '{"temp_c":24}' }] },
          { type: 'text', text: 'Which is warmer?' },
        ],
      },
    ],
    temperature: 1,
    top_p: 0.9,
    stop_sequences: ['END'],
    metadata: { user_id: 'user-42' },
    tools: [{ name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    tool_choice: { type: 'any', disable_parallel_tool_use: true },
  });
  // The fake applies the real API's checks; the translation must pass them.
  assert.equal(messagesViolation(body), undefined);
});

test('toAnthropicRequest: defaults and the other tool_choice forms', () => {
  const plain = toAnthropicRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50, stop: ['a', 'b'] }, 'm', true);
  assert.deepEqual(plain, { model: 'm', max_tokens: 50, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: true, stop_sequences: ['a', 'b'] });
  assert.equal(toAnthropicRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }, 'm', false).max_tokens, 4096);
  const withTools = (tool_choice: unknown) => toAnthropicRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }], tools: [weatherTool], tool_choice }, 'm', false).tool_choice;
  assert.deepEqual(withTools('auto'), { type: 'auto' });
  assert.deepEqual(withTools('none'), { type: 'none' });
  assert.deepEqual(withTools({ type: 'function', function: { name: 'get_weather' } }), { type: 'tool', name: 'get_weather' });
  assert.equal(withTools(undefined), undefined);
});

test('toAnthropicRequest rejects what Anthropic cannot take with a 400 the client can fix', () => {
  const bad = (messages: ChatRequest['messages']) => () => toAnthropicRequest({ model: 'x', messages }, 'm', false);
  const is400 = (re: RegExp) => (err: unknown) => err instanceof UpstreamError && err.status === 400 && !err.retryable && re.test(err.message) && err.body?.error.type === 'invalid_request_error';
  assert.throws(bad([{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }]), is400(/input_audio/));
  assert.throws(bad([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,raw' } }] }]), is400(/base64/));
  assert.throws(bad([{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] }]), is400(/not valid JSON/));
  assert.throws(bad([{ role: 'function', content: 'x' }]), is400(/role "function"/));
});

test('fromAnthropicMessage maps text, tool_use, stop reasons and usage', () => {
  const res = fromAnthropicMessage({
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514',
    content: [{ type: 'text', text: 'Let me check. ' }, { type: 'text', text: 'One moment.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
    stop_reason: 'tool_use', stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 2 },
  }, 'fallback');
  assert.equal(res.model, 'claude-sonnet-4-20250514');
  assert.deepEqual(res.choices[0].message, {
    role: 'assistant', content: 'Let me check. One moment.',
    tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
  });
  assert.equal(res.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(res.usage, { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
  const reason = (stop_reason: string) => fromAnthropicMessage({ content: [], stop_reason }, 'm').choices[0].finish_reason;
  assert.deepEqual(['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal'].map(reason), ['stop', 'stop', 'length', 'tool_calls', 'content_filter']);
  assert.equal(fromAnthropicMessage({ content: [] }, 'fallback').model, 'fallback');
});

test('text round trip against the fake: headers, path, translated body', async () => {
  const res = await anthropic.complete(chat('Hello Claude', { messages: [{ role: 'system', content: 'Be nice.' }, { role: 'user', content: 'Hello Claude' }] }), ctx);
  const rec = fake.requests[0];
  assert.equal(rec.path, '/v1/messages');
  assert.equal(rec.headers['x-api-key'], FAKE_ANTHROPIC_KEY);
  assert.equal(rec.headers['anthropic-version'], '2023-06-01');
  assert.equal(rec.headers.authorization, undefined);
  assert.equal(rec.body.system, 'Be nice.');
  assert.equal(rec.body.max_tokens, 4096);
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.model, 'claude-sonnet-4-20250514');
  assert.equal(res.choices[0].message.content, 'Hello from fake Anthropic (claude-sonnet-4-20250514). You said: Hello Claude');
  assert.equal(res.choices[0].finish_reason, 'stop');
  assert.ok(res.usage!.prompt_tokens > 0 && res.usage!.completion_tokens > 0);
});

test('stream round trip: role first, text deltas, finish_reason, usage chunk last; pings ignored', async () => {
  const chunks = await collect(await anthropic.stream(chat('Stream it', { stream: true }), ctx));
  assert.equal(fake.requests[0].body.stream, true);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.filter((c) => c.choices[0]?.delta.role).length, 1);
  assert.equal(streamedText(chunks), 'Hello from fake Anthropic (claude-sonnet-4-20250514). You said: Stream it');
  assert.ok(chunks.filter((c) => c.choices[0]?.delta.content).length > 3);
  const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
  assert.deepEqual(finishes.map((c) => c.choices[0].finish_reason), ['stop']);
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage!.prompt_tokens > 0 && last.usage!.completion_tokens > 1);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === 'msg_fake01'));
});

test('tools round trip: multi-turn tool conversation accepted by the fake, tool_use back as tool_calls', async () => {
  fake.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris', days: 2 } }] });
  const res = await anthropic.complete(conversation, ctx);
  const sent = fake.requests[0].body;
  assert.equal(sent.messages.length, 3);
  assert.deepEqual(sent.messages[1].content.map((b: any) => b.type), ['tool_use', 'tool_use']);
  assert.deepEqual(sent.messages[2].content.map((b: any) => b.type), ['tool_result', 'tool_result', 'text']);
  assert.deepEqual(sent.tool_choice, { type: 'any', disable_parallel_tool_use: true });
  assert.equal(res.choices[0].finish_reason, 'tool_calls');
  assert.equal(res.choices[0].message.content, null);
  assert.deepEqual(res.choices[0].message.tool_calls, [{ id: 'toolu_fake_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","days":2}' } }]);

  const chunks = await collect(await anthropic.stream(conversation, ctx));
  assert.deepEqual(streamedToolCalls(chunks), [{ id: 'toolu_fake_0', name: 'get_weather', arguments: '{"city":"Paris","days":2}' }]);
  const first = chunks.find((c) => c.choices[0]?.delta.tool_calls)!;
  assert.deepEqual(first.choices[0].delta.tool_calls, [{ index: 0, id: 'toolu_fake_0', type: 'function', function: { name: 'get_weather', arguments: '' } }]);
  assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason, 'tool_calls');
});

test('text then two tool calls stream with tool indexes 0 and 1', async () => {
  fake.setBehavior({ reply: 'Checking both.', toolCalls: [{ name: 'a', arguments: { x: 1 } }, { name: 'b', arguments: { y: 2 } }] });
  const chunks = await collect(await anthropic.stream(chat('go', { tools: [weatherTool] }), ctx));
  assert.equal(streamedText(chunks), 'Checking both.');
  assert.deepEqual(streamedToolCalls(chunks), [
    { id: 'toolu_fake_0', name: 'a', arguments: '{"x":1}' },
    { id: 'toolu_fake_1', name: 'b', arguments: '{"y":2}' },
  ]);
});

test('unknown event types are ignored', async () => {
  fake.setBehavior({ unknownEvent: true });
  const chunks = await collect(await anthropic.stream(chat('new events'), ctx));
  assert.equal(streamedText(chunks), 'Hello from fake Anthropic (claude-sonnet-4-20250514). You said: new events');
});

test('mid-stream `event: error` throws an UpstreamError (overloaded → 529, retryable)', async () => {
  fake.setBehavior({ streamErrorAfterChunks: 4 });
  const stream = await anthropic.stream(chat('one two three four five'), ctx);
  const seen: string[] = [];
  const err = await upstreamFailure((async () => { for await (const c of stream) seen.push(String(c.choices[0]?.delta.content ?? '')); })());
  assert.ok(seen.length > 0, 'content before the error was delivered');
  assert.equal(err.kind, 'http');
  assert.equal(err.status, 529);
  assert.equal(err.retryable, true);
  assert.deepEqual(err.body, { error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: null } });
});

test('errors: 429 with retry-after, 529 retryable, 400 returned in OpenAI shape', async () => {
  fake.setBehavior({ failStatus: 429, retryAfter: 12 });
  let err = await upstreamFailure(anthropic.complete(chat(), ctx));
  assert.equal(err.status, 429);
  assert.equal(err.retryAfterMs, 12_000);
  assert.equal(err.body?.error.type, 'rate_limit_error');
  fake.setBehavior({ failStatus: 529 });
  err = await upstreamFailure(anthropic.stream(chat(), ctx));
  assert.equal(err.retryable, true);
  assert.equal(err.body?.error.message, 'Overloaded');
  fake.setBehavior({ failStatus: 400, errorMessage: 'prompt is too long: 210000 tokens > 200000 maximum' });
  err = await upstreamFailure(anthropic.complete(chat(), ctx));
  assert.equal(err.retryable, false);
  assert.deepEqual(err.body, { error: { message: 'prompt is too long: 210000 tokens > 200000 maximum', type: 'invalid_request_error', param: null, code: null } });
});

test('wrong key is a 401 authentication_error; missing key fails before I/O', async () => {
  const bad = attempt({ type: 'anthropic', baseUrl: fake.baseUrl }, { model: 'claude-sonnet-4', key: 'sk-ant-wrong-key-123456' });
  try {
    const err = await upstreamFailure(anthropic.complete(chat(), bad));
    assert.equal(err.status, 401);
    assert.equal(err.body?.error.type, 'authentication_error');
    assert.equal(err.body?.error.message, 'invalid x-api-key');
  } finally { await bad.close(); }
  fake.requests.length = 0;
  const none = attempt({ id: 'anthropic', type: 'anthropic', baseUrl: fake.baseUrl, keyEnv: 'ANTHROPIC_API_KEY' }, { model: 'claude-sonnet-4' });
  try {
    const err = await upstreamFailure(anthropic.stream(chat(), none));
    assert.equal(err.kind, 'missing_key');
    assert.equal(err.message, 'environment variable ANTHROPIC_API_KEY is not set (secret_key_ref.env of target "anthropic")');
    assert.equal(fake.requests.length, 0);
  } finally { await none.close(); }
});

test('a stream closed before message_start is a protocol error; after content it has ended', async () => {
  fake.setBehavior({ cutAfterChunks: 0 });
  assert.equal((await upstreamFailure(anthropic.stream(chat(), ctx).then(collect))).kind, 'protocol');
  fake.setBehavior({ cutAfterChunks: 5 });
  const chunks = await collect(await anthropic.stream(chat('a b c d e f g'), ctx));
  assert.ok(streamedText(chunks).length > 0);
});

test('abort mid-stream reaches the upstream', async () => {
  fake.setBehavior({ stall: 'mid-body' });
  const it = (await anthropic.stream(chat('a b c d e f'), ctx))[Symbol.asyncIterator]();
  await it.next();
  ctx.controller.abort();
  const err = await upstreamFailure((async () => { while (!(await it.next()).done); })());
  assert.equal(err.kind, 'aborted');
  await fake.waitForAbort();
});
