// POST /v1/messages with the official Anthropic SDK as the client, over OpenAI and Anthropic fakes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic, startFakeOpenAI, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { startTestGateway, target, type TestGateway } from './harness';

let a: FakeUpstream;
let b: FakeUpstream;
let claude: FakeUpstream;
let gw: TestGateway;
let client: Anthropic;

before(async () => {
  [a, b, claude] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeAnthropic()]);
  const yaml = `providers:
  targets:
${target('a', a.baseUrl)}${target('b', b.baseUrl)}    - id: claude
      provider:
        type: anthropic
        base_url: ${claude.baseUrl}
        secret_key_ref:
          env: CLAUDE_KEY
model_groups:
  - name: chain
    strategy: fallback
    models:
      - provider: a
        model: gpt-4o
      - provider: b
        model: gpt-4o-mini
  - name: sonnet
    models:
      - provider: claude
        model: claude-sonnet-4
  - name: mixed
    strategy: fallback
    models:
      - provider: claude
        model: claude-sonnet-4
      - provider: a
        model: gpt-4o
`;
  gw = await startTestGateway(yaml, { env: { A_KEY: FAKE_OPENAI_KEY, B_KEY: FAKE_OPENAI_KEY, CLAUDE_KEY: FAKE_ANTHROPIC_KEY } });
  client = new Anthropic({ baseURL: gw.url, apiKey: gw.key, maxRetries: 0, timeout: 20_000 });
});
after(async () => {
  await gw.close();
  await Promise.all([a.close(), b.close(), claude.close()]);
});

function reset(): number {
  for (const f of [a, b, claude]) f.setBehavior({});
  return gw.events().length;
}

/** The events recorded since `from`. */
const eventsSince = (from: number) => gw.events().slice(from);

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

test('a plain message: system prompt and turns reach the upstream as chat, its reply comes back as an Anthropic message', async () => {
  const from = reset();
  a.setBehavior({ reply: 'Bonjour from upstream a.' });
  const { data: msg, response } = await client.messages.create({
    model: 'chain',
    max_tokens: 200,
    system: 'Answer in French.',
    stop_sequences: ['END'],
    messages: [{ role: 'user', content: 'Say hello' }],
  }).withResponse();
  assert.equal(msg.type, 'message');
  assert.equal(msg.role, 'assistant');
  assert.deepEqual(msg.content, [{ type: 'text', text: 'Bonjour from upstream a.' }]);
  assert.equal(msg.stop_reason, 'end_turn');
  assert.equal(msg.model, 'gpt-4o');
  assert.ok(msg.usage.input_tokens > 0 && msg.usage.output_tokens > 0);
  assert.match(msg.id, /^msg_/);
  assert.equal(response.headers.get('x-kt-provider'), 'a');

  const sent = a.requests.at(-1)!.body;
  assert.deepEqual(sent.messages, [{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'Say hello' }]);
  assert.equal(sent.max_completion_tokens, 200);
  assert.deepEqual(sent.stop, ['END']);

  const events = eventsSince(from);
  assert.equal(events.length, 1);
  assert.equal(events[0].api, 'messages');
  assert.equal(events[0].model_group, 'chain');
  assert.equal(events[0].decision, 'allowed');
  assert.ok(events[0].tokens.total > 0);
});

test('the gateway key is accepted as x-api-key and as a bearer token; a wrong one is an Anthropic authentication_error', async () => {
  reset();
  const bearer = new Anthropic({ baseURL: gw.url, apiKey: null, authToken: gw.key, maxRetries: 0 });
  const msg = await bearer.messages.create({ model: 'chain', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
  assert.equal(msg.content[0].type, 'text');

  const wrong = new Anthropic({ baseURL: gw.url, apiKey: 'kt_gk_wrong', maxRetries: 0 });
  await assert.rejects(wrong.messages.create({ model: 'chain', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) => {
    assert.ok(error instanceof Anthropic.AuthenticationError);
    assert.equal((error.error as { type: string; error: { type: string } }).type, 'error');
    assert.equal((error.error as { error: { type: string } }).error.type, 'authentication_error');
    assert.match(error.message, /x-api-key/);
    return true;
  });
});

test('errors on the route are in Anthropic shape: unknown model, bad body, wrong method', async () => {
  const from = reset();
  await assert.rejects(client.messages.create({ model: 'no-such-group', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) => {
    assert.ok(error instanceof Anthropic.NotFoundError);
    assert.equal((error.error as { error: { type: string } }).error.type, 'not_found_error');
    return true;
  });
  const res = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': gw.key, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'chain', messages: [{ role: 'system', content: 'x' }] }) });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { type: string; error: { type: string; message: string } };
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'invalid_request_error');
  assert.match(body.error.message, /messages\[0\].*"user" or "assistant"/);
  const get = await fetch(`${gw.url}/v1/messages`, { headers: { 'x-api-key': gw.key } });
  assert.equal(get.status, 405);
  assert.equal(((await get.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
  const events = eventsSince(from);
  assert.deepEqual(events.map((e) => [e.api, e.http_status]), [['messages', 404], ['messages', 400]]);
});

test('streamed: the full Anthropic event sequence, text deltas as sent upstream, usage and stop_reason in message_delta', async () => {
  const from = reset();
  a.setBehavior({ reply: 'One two three four.' });
  const stream = await client.messages.create({ model: 'chain', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Count' }] });
  const types: string[] = [];
  let text = '';
  let delta: Anthropic.MessageDeltaEvent | undefined;
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    if (event.type === 'message_delta') delta = event;
  }
  assert.equal(text, 'One two three four.');
  assert.equal(types[0], 'message_start');
  assert.equal(types[1], 'content_block_start');
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  assert.ok(types.filter((t) => t === 'content_block_delta').length > 1, 'text arrives in several deltas');
  assert.equal(delta!.delta.stop_reason, 'end_turn');
  assert.ok(delta!.usage.output_tokens > 0);
  assert.ok((delta!.usage.input_tokens ?? 0) > 0);
  const [event] = eventsSince(from);
  assert.equal(event.api, 'messages');
  assert.equal(event.stream, true);
  assert.ok(event.tokens.completion > 0);
});

test('streamed through the SDK helper: finalMessage() assembles what the upstream sent', async () => {
  reset();
  a.setBehavior({ reply: 'Assembled by the SDK.' });
  const stream = client.messages.stream({ model: 'chain', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
  let streamed = '';
  stream.on('text', (t) => { streamed += t; });
  const final = await stream.finalMessage();
  assert.equal(streamed, 'Assembled by the SDK.');
  assert.equal(final.content.length, 1);
  assert.equal((final.content[0] as Anthropic.TextBlock).text, 'Assembled by the SDK.');
  assert.ok(final.usage.output_tokens > 0);
});

test('tools: tool definitions and tool_choice go up as functions, tool calls come back as tool_use, tool_result goes up as a tool message', async () => {
  reset();
  a.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] });
  const first = await client.messages.create({
    model: 'chain', max_tokens: 100, tools: [weather], tool_choice: { type: 'any', disable_parallel_tool_use: true },
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
  });
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content.find((c) => c.type === 'tool_use') as Anthropic.ToolUseBlock;
  assert.equal(use.name, 'get_weather');
  assert.deepEqual(use.input, { city: 'Paris' });
  const up = a.requests.at(-1)!.body;
  assert.deepEqual(up.tools, [{ type: 'function', function: { name: 'get_weather', description: 'Current weather in a city', parameters: weather.input_schema } }]);
  assert.equal(up.tool_choice, 'required');
  assert.equal(up.parallel_tool_calls, false);

  a.setBehavior({ reply: 'It is 18 degrees in Paris.' });
  const second = await client.messages.create({
    model: 'chain', max_tokens: 100, tools: [weather],
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"temp_c":18}' }, { type: 'text', text: 'Thanks' }] },
    ],
  });
  assert.deepEqual(second.content, [{ type: 'text', text: 'It is 18 degrees in Paris.' }]);
  const turns = a.requests.at(-1)!.body.messages;
  assert.deepEqual(turns.slice(1), [
    { role: 'assistant', content: null, tool_calls: [{ id: use.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: use.id, content: '{"temp_c":18}' },
    { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
  ]);
});

test('tools streamed: tool_use blocks with input_json_delta, assembled by the SDK into the arguments the upstream sent', async () => {
  reset();
  a.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_weather', arguments: { city: 'Rome' } }] });
  const raw: string[] = [];
  const stream = client.messages.stream({ model: 'chain', max_tokens: 100, tools: [weather], messages: [{ role: 'user', content: 'Paris and Rome?' }] });
  stream.on('streamEvent', (e) => { if (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta') raw.push(e.delta.partial_json); });
  const final = await stream.finalMessage();
  assert.equal(final.stop_reason, 'tool_use');
  const uses = final.content.filter((c) => c.type === 'tool_use') as Anthropic.ToolUseBlock[];
  assert.deepEqual(uses.map((u) => u.input), [{ city: 'Paris' }, { city: 'Rome' }]);
  assert.ok(raw.length >= 2, 'arguments arrive as several input_json_delta fragments');
});

test('images go up as image_url parts: base64 as a data URL, url as is', async () => {
  reset();
  await client.messages.create({
    model: 'chain', max_tokens: 50,
    messages: [{ role: 'user', content: [
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ] }],
  });
  assert.deepEqual(a.requests.at(-1)!.body.messages[0].content, [
    { type: 'text', text: 'What is this?' },
    { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
  ]);
});

/** Everything the chat translation would drop: an Anthropic target still gets it. */
const claudeOnly = {
  max_tokens: 64,
  top_k: 5,
  thinking: { type: 'enabled', budget_tokens: 1024 },
  system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
  stop_sequences: ['END'],
  messages: [{ role: 'user', content: 'Hi' }],
};

async function postMessages(url: string, key: Record<string, string>, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...key }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

test('an Anthropic target gets the client\'s body unchanged but for the model, and its answer comes back as it sent it', async () => {
  for (const stream of [false, true]) {
    const from = reset();
    const body = { ...claudeOnly, ...(stream ? { stream: true } : {}) };
    const via = await postMessages(gw.url, { 'x-api-key': gw.key, 'anthropic-beta': 'interleaved-thinking-2025-05-14' }, { ...body, model: 'sonnet' });
    assert.equal(via.status, 200);
    assert.deepEqual(claude.requests.at(-1)!.body, { ...body, model: 'claude-sonnet-4' });
    assert.equal(claude.requests.at(-1)!.headers['anthropic-beta'], 'interleaved-thinking-2025-05-14', 'beta features the body may use');
    const direct = await postMessages(claude.url, { 'x-api-key': FAKE_ANTHROPIC_KEY }, { ...body, model: 'claude-sonnet-4' });
    assert.equal(via.text, direct.text, stream ? 'the same events, pings included' : 'the same message JSON');
    const [event] = eventsSince(from);
    assert.equal(event.api, 'messages');
    assert.equal(event.provider, 'claude');
    assert.ok(event.tokens.prompt > 0 && event.tokens.completion > 0, 'usage is still read for the event');
  }
});

test('the SDK reads a passed-through stream: text, stop_reason and usage as the Anthropic target sent them', async () => {
  reset();
  claude.setBehavior({ reply: 'Straight from Claude.' });
  const final = await client.messages.stream({ model: 'sonnet', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }).finalMessage();
  assert.equal(final.id, 'msg_fake01');
  assert.deepEqual(final.content.map((c) => (c as Anthropic.TextBlock).text), ['Straight from Claude.']);
  assert.equal(final.stop_reason, 'end_turn');
  assert.ok(final.usage.output_tokens > 0);
});

test('fallback from an Anthropic target to an OpenAI one: the OpenAI one gets the chat translation, the client an Anthropic answer', async () => {
  for (const stream of [false, true]) {
    const from = reset();
    claude.setBehavior({ failStatus: 529 });
    a.setBehavior({ reply: 'served by a after claude' });
    const params = { model: 'mixed', max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user' as const, content: 'Hi' }] };
    const msg = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
    assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'served by a after claude');
    assert.deepEqual(a.requests.at(-1)!.body.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]);
    const [event] = eventsSince(from);
    assert.deepEqual(event.attempts.map((x) => [x.provider, x.outcome]), [['claude', 'error'], ['a', 'success']]);
  }
});

/** A PDF and the web search server tool: content with no chat form. */
const anthropicOnly = {
  max_tokens: 64,
  tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2 }],
  messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQ=' } }, { type: 'text', text: 'Summarize this' }] }],
};

test('content only Anthropic can take goes to an Anthropic target unchanged', async () => {
  reset();
  claude.setBehavior({ reply: 'A summary.' });
  const via = await postMessages(gw.url, { 'x-api-key': gw.key }, { ...anthropicOnly, model: 'sonnet' });
  assert.equal(via.status, 200);
  assert.equal(JSON.parse(via.text).content[0].text, 'A summary.');
  assert.deepEqual(claude.requests.at(-1)!.body, { ...anthropicOnly, model: 'claude-sonnet-4' });
});

test('content only Anthropic can take skips the other targets of a group, and is a 400 where none is left', async () => {
  let from = reset();
  claude.setBehavior({ failStatus: 529 });
  const beforeA = a.requests.length;
  const mixed = await postMessages(gw.url, { 'x-api-key': gw.key }, { ...anthropicOnly, model: 'mixed' });
  assert.equal(mixed.status, 502, 'the Anthropic target failed and the OpenAI one was not an option');
  assert.equal(a.requests.length, beforeA);
  let [event] = eventsSince(from);
  assert.deepEqual(event.attempts.map((x) => x.provider), ['claude']);
  assert.deepEqual(event.skipped?.map((x) => [x.provider, x.reason]), [['a', 'messages[0].content[0]: content block type "document" has no chat form, so only an Anthropic target can take it']]);

  from = reset();
  const none = await postMessages(gw.url, { 'x-api-key': gw.key }, { ...anthropicOnly, model: 'chain' });
  assert.equal(none.status, 400);
  const body = JSON.parse(none.text) as { type: string; error: { type: string; message: string } };
  assert.equal(body.error.type, 'invalid_request_error');
  assert.match(body.error.message, /No model of "chain" can serve this request: messages\[0\]\.content\[0\]: content block type "document" has no chat form/);
  assert.equal(a.requests.length, beforeA);
  [event] = eventsSince(from);
  assert.equal(event.decision, 'blocked');
  assert.deepEqual(event.skipped?.map((x) => x.provider), ['a', 'b']);
});

test('a direct provider/model works as on chat', async () => {
  reset();
  b.setBehavior({ reply: 'direct b' });
  const msg = await client.messages.create({ model: 'b/gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }] });
  assert.deepEqual(msg.content, [{ type: 'text', text: 'direct b' }]);
});

test('fallback before the first byte: a failing first model is passed over, streamed and not', async () => {
  for (const stream of [false, true]) {
    const from = reset();
    a.setBehavior({ failStatus: 503 });
    b.setBehavior({ reply: 'served by b' });
    let text = '';
    if (stream) {
      const s = client.messages.stream({ model: 'chain', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
      s.on('text', (t) => { text += t; });
      await s.finalMessage();
    } else {
      const msg = await client.messages.create({ model: 'chain', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
      text = (msg.content[0] as Anthropic.TextBlock).text;
    }
    assert.equal(text, 'served by b');
    const events = eventsSince(from);
    assert.equal(events.length, 1);
    assert.equal(events[0].api, 'messages');
    assert.equal(events[0].fallback_count, 1);
    assert.deepEqual(events[0].attempts.map((x) => x.outcome), ['error', 'success']);
  }
});

test('an upstream failing after the first byte ends the stream with an Anthropic error event the SDK raises', async () => {
  const from = reset();
  a.setBehavior({ streamErrorAfterChunks: 2 });
  const before = b.requests.length;
  const stream = await client.messages.create({ model: 'chain', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hi' }] });
  await assert.rejects(async () => {
    for await (const _ of stream) {
      // drain
    }
  }, (error: unknown) => {
    assert.ok(error instanceof Anthropic.APIError);
    assert.match(error.message, /failed mid-stream/);
    return true;
  });
  assert.equal(b.requests.length, before, 'no fallback once bytes reached the client');
  const events = eventsSince(from);
  assert.equal(events.length, 1);
  assert.equal(events[0].decision, 'error');
  assert.equal(events[0].api, 'messages');
});

test('all attempts failing is a 502 in Anthropic shape naming each attempt', async () => {
  reset();
  a.setBehavior({ failStatus: 500 });
  b.setBehavior({ failStatus: 503 });
  await assert.rejects(client.messages.create({ model: 'chain', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) => {
    assert.ok(error instanceof Anthropic.APIError);
    assert.equal(error.status, 502);
    assert.equal((error.error as { error: { type: string } }).error.type, 'api_error');
    assert.match(error.message, /a\/gpt-4o: HTTP 500.*b\/gpt-4o-mini: HTTP 503/);
    return true;
  });
});

test('a client that goes away mid-stream aborts the upstream request, and the event says so', async () => {
  const from = reset();
  a.setBehavior({ delayMs: 100, stall: 'mid-body' });
  const controller = new AbortController();
  const stream = await client.messages.create({ model: 'chain', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hi' }] }, { signal: controller.signal });
  // The SDK ends the loop quietly when its own signal aborts it.
  await (async () => { for await (const _ of stream) controller.abort(); })().catch(() => undefined);
  const sent = a.requests.at(-1)!;
  for (let i = 0; i < 150 && !(sent.aborted && eventsSince(from).length); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(sent.aborted, true, 'the upstream request was aborted');
  const [event] = eventsSince(from);
  assert.equal(event.http_status, 499);
  assert.equal(event.api, 'messages');
});
