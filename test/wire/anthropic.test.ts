// The one Anthropic<->chat mapping, read both ways: inbound Messages bodies, answers and stream events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnthropicStreamTranslator } from '../../gateway/providers/anthropic';
import { Cancellation } from '../../gateway/providers/cancellation';
import { UpstreamError, type AttemptContext, type ChatCompletion, type ChatCompletionChunk } from '../../gateway/providers/provider';
import { createDispatcher } from '../../gateway/providers/upstream';
import { SseParser } from '../../gateway/providers/sse';
import {
  AnthropicStreamEncoder,
  eventText,
  finishReason,
  fromAnthropicMessage,
  fromAnthropicRequest,
  stopReason,
  toAnthropicMessage,
  toAnthropicRequest,
} from '../../gateway/wire/anthropic';
import { messagesViolation } from '../fakes/anthropic';

/** A Messages body using every feature that has a chat form, in the form toAnthropicRequest writes. */
const body = {
  model: 'claude-sonnet-4',
  max_tokens: 300,
  system: 'Be brief.',
  messages: [
    { role: 'user', content: [
      { type: 'text', text: 'Weather in Paris and Rome? Look:' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/sky.jpg' } },
    ] },
    { role: 'assistant', content: [
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
    ] },
    { role: 'user', content: [
      { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temp_c":18}' },
      { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"temp_c":24}' },
      { type: 'text', text: 'Which is warmer?' },
    ] },
  ],
  temperature: 0.3,
  top_p: 0.9,
  stop_sequences: ['END'],
  metadata: { user_id: 'user-42' },
  tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } }, description: 'Current weather' }],
  tool_choice: { type: 'any', disable_parallel_tool_use: true },
};

test('fromAnthropicRequest: system, images, tool_use and tool_result become their chat forms', () => {
  const chat = fromAnthropicRequest(body);
  assert.deepEqual(chat.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [
      { type: 'text', text: 'Weather in Paris and Rome? Look:' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'https://example.com/sky.jpg' } },
    ] },
    { role: 'assistant', content: 'Checking.', tool_calls: [
      { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ] },
    { role: 'tool', tool_call_id: 'toolu_1', content: '{"temp_c":18}' },
    { role: 'tool', tool_call_id: 'toolu_2', content: '{"temp_c":24}' },
    { role: 'user', content: [{ type: 'text', text: 'Which is warmer?' }] },
  ]);
  assert.equal(chat.max_completion_tokens, 300);
  assert.deepEqual(chat.stop, ['END']);
  assert.equal(chat.user, 'user-42');
  assert.equal(chat.tool_choice, 'required');
  assert.equal(chat.parallel_tool_calls, false);
});

test('a Messages body survives the trip to chat and back unchanged: one mapping, read both ways', () => {
  const back = toAnthropicRequest(fromAnthropicRequest(body), body.model, false);
  assert.deepEqual(back, body);
  assert.equal(messagesViolation(back), undefined);
  for (const tool_choice of [{ type: 'auto' }, { type: 'none' }, { type: 'tool', name: 'get_weather' }]) {
    assert.deepEqual(toAnthropicRequest(fromAnthropicRequest({ ...body, tool_choice }), body.model, false).tool_choice, tool_choice);
  }
});

test('system as text blocks, thinking dropped, string content kept as a string', () => {
  const chat = fromAnthropicRequest({
    model: 'm', max_tokens: 10, thinking: { type: 'enabled', budget_tokens: 1024 }, top_k: 5,
    system: [{ type: 'text', text: 'One.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Two.' }],
    messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: [{ type: 'thinking', thinking: '…', signature: 's' }, { type: 'text', text: 'Yo' }] }, { role: 'user', content: 'Again' }],
  });
  assert.deepEqual(chat.messages, [
    { role: 'system', content: 'One.\n\nTwo.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Yo' },
    { role: 'user', content: 'Again' },
  ]);
  assert.equal(chat.thinking, undefined);
  assert.equal(chat.top_k, undefined);
});

test('fromAnthropicRequest refuses what has no chat form with a 400 naming the field', () => {
  const refused = (b: unknown, param: RegExp, message: RegExp) => assert.throws(() => fromAnthropicRequest(b), (e: unknown) => {
    assert.ok(e instanceof UpstreamError);
    assert.equal(e.status, 400);
    assert.match(String(e.body?.error.param), param);
    assert.match(e.message, message);
    return true;
  });
  const ok = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] };
  refused({ ...ok, model: '' }, /^model$/, /"model" is required/);
  refused({ ...ok, messages: [] }, /^messages$/, /non-empty/);
  refused({ ...ok, max_tokens: 0 }, /^max_tokens$/, /positive integer/);
  refused({ ...ok, messages: [{ role: 'system', content: 'x' }] }, /messages\[0\]\.role/, /"user" or "assistant"/);
  refused({ ...ok, messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] }, /messages\[0\]\.content\[0\]/, /document/);
  refused({ ...ok, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] }, /messages\[0\]\.content\[0\]/, /image from a "file" source/);
  refused({ ...ok, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64' } }] }] }, /source/, /base64/);
  refused({ ...ok, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, /tools\[0\]/, /server tool "web_search_20250305" has no chat form/);
  refused({ ...ok, tools: [{ name: 't' }] }, /tools\[0\]/, /input_schema/);
  refused({ ...ok, tools: [{ name: 't', input_schema: {} }], tool_choice: { type: 'sometimes' } }, /tool_choice/, /tool_choice/);
  refused({ ...ok, system: 5 }, /system/, /string or an array/);
  refused({ ...ok, stop_sequences: 'END' }, /stop_sequences/, /array of strings/);
  refused([], /^null$/, /JSON object/);
});

test('content only Anthropic can take is left out of the translation and reported, when the caller keeps the body for Anthropic', () => {
  const reasons: string[] = [];
  const chat = fromAnthropicRequest({
    model: 'm', max_tokens: 10,
    tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2 }, { name: 'f', input_schema: { type: 'object' } }],
    messages: [
      { role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }, { type: 'text', text: 'Summarize' }] },
      { role: 'assistant', content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'x' } }, { type: 'text', text: 'Found it.' }] },
      { role: 'user', content: 'Thanks' },
    ],
  }, (reason) => reasons.push(reason));
  assert.deepEqual(reasons, [
    'messages[0].content[0]: content block type "document" has no chat form, so only an Anthropic target can take it',
    'messages[1].content[0]: assistant block type "server_tool_use" has no chat form, so only an Anthropic target can take it',
    'tools[0]: server tool "web_search_20250305" has no chat form, so only an Anthropic target can take it',
  ]);
  assert.deepEqual(chat.messages, [
    { role: 'user', content: [{ type: 'text', text: 'Summarize' }] },
    { role: 'assistant', content: 'Found it.' },
    { role: 'user', content: 'Thanks' },
  ]);
  assert.deepEqual(chat.tools, [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }]);
});

const completion = (message: Record<string, unknown>, finish: string): ChatCompletion => ({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});

test('toAnthropicMessage is the inverse of fromAnthropicMessage', () => {
  const msg = toAnthropicMessage(completion({ content: 'Sure.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, 'tool_calls'));
  assert.deepEqual(msg, {
    id: 'msg_chatcmpl-1', type: 'message', role: 'assistant', model: 'gpt-4o',
    content: [{ type: 'text', text: 'Sure.' }, { type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } }],
    stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 12, output_tokens: 7 },
  });
  const again = fromAnthropicMessage(msg, 'x');
  assert.deepEqual(again.choices[0].message, { role: 'assistant', content: 'Sure.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] });
  assert.equal(again.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(again.usage, { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });
  // Broken arguments from a model cannot be an object: kept as text rather than lost.
  const broken = toAnthropicMessage(completion({ content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }, 'tool_calls'));
  assert.deepEqual((broken.content as Array<Record<string, unknown>>)[0].input, { arguments: '{"a":' });
});

test('stop reasons: each finish reason maps to a stop reason that maps back to it', () => {
  for (const finish of ['stop', 'length', 'tool_calls', 'content_filter']) assert.equal(finishReason(stopReason(finish)), finish);
  assert.equal(stopReason('stop'), 'end_turn');
  assert.equal(stopReason('length'), 'max_tokens');
  assert.equal(stopReason(null), 'end_turn');
  assert.equal(stopReason('function_call'), 'tool_use');
});

function chunk(delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk {
  return { id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] };
}
const usageChunk: ChatCompletionChunk = { id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } };
const chunks = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'check.' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
  chunk({}, 'tool_calls'),
  usageChunk,
];

function encode(list: ChatCompletionChunk[]): string {
  const encoder = new AnthropicStreamEncoder('client-model');
  return list.map((c) => encoder.chunk(c)).join('') + encoder.end();
}

test('AnthropicStreamEncoder: the documented event sequence, one block at a time, usage and stop_reason last', () => {
  const events = new SseParser().push(encode(chunks));
  const data = events.map((e) => JSON.parse(e.data) as Record<string, any>);
  assert.deepEqual(events.map((e) => e.event), data.map((d) => d.type), 'event names match their data types');
  assert.deepEqual(data.map((d) => (d.index === undefined ? d.type : `${d.type}:${d.index}`)), [
    'message_start',
    'content_block_start:0', 'content_block_delta:0', 'content_block_delta:0', 'content_block_stop:0',
    'content_block_start:1', 'content_block_delta:1', 'content_block_delta:1', 'content_block_stop:1',
    'content_block_start:2', 'content_block_delta:2', 'content_block_stop:2',
    'message_delta', 'message_stop',
  ]);
  assert.deepEqual(data[5].content_block, { type: 'tool_use', id: 'call_a', name: 'f', input: {} });
  assert.deepEqual(data[6].delta, { type: 'input_json_delta', partial_json: '{"a":' });
  assert.deepEqual(data.at(-2), { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 5, output_tokens: 9 } });
  assert.equal(data[0].message.model, 'gpt-4o');
});

test('encoder then the provider translator give back the same text, tool calls, finish and usage', () => {
  const ctx: AttemptContext = { target: { id: 't', type: 'anthropic', baseUrl: 'http://127.0.0.1:9' }, model: 'm', apiKey: undefined, signal: new Cancellation(), dispatcher: createDispatcher('mock:x') };
  const translator = new AnthropicStreamTranslator(ctx);
  const back = new SseParser().push(encode(chunks)).flatMap((e) => translator.push(e) ?? []);
  let text = '';
  const calls: Array<{ id?: string; name?: string; arguments: string }> = [];
  for (const c of back) {
    const d = c.choices[0]?.delta ?? {};
    if (typeof d.content === 'string') text += d.content;
    for (const t of (d.tool_calls ?? []) as Array<{ index: number; id?: string; function: { name?: string; arguments: string } }>) {
      calls[t.index] ??= { id: t.id, name: t.function.name, arguments: '' };
      calls[t.index].arguments += t.function.arguments;
    }
  }
  assert.equal(text, 'Let me check.');
  assert.deepEqual(calls, [{ id: 'call_a', name: 'f', arguments: '{"a":1}' }, { id: 'call_b', name: 'g', arguments: '{}' }]);
  assert.equal(back.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason, 'tool_calls');
  assert.deepEqual(back.at(-1)!.usage, usageChunk.usage);
  assert.ok(translator.done);
});

test('an empty answer still opens and closes the message; a failure is an Anthropic error event', () => {
  const encoder = new AnthropicStreamEncoder('client-model');
  const types = new SseParser().push(encoder.end()).map((e) => e.event);
  assert.deepEqual(types, ['message_start', 'message_delta', 'message_stop']);
  const failed = new AnthropicStreamEncoder('m');
  const events = new SseParser().push(failed.chunk(chunk({ content: 'x' })) + failed.fail('upstream broke'));
  assert.deepEqual(events.map((e) => e.event), ['message_start', 'content_block_start', 'content_block_delta', 'error']);
  assert.deepEqual(JSON.parse(events.at(-1)!.data), { type: 'error', error: { type: 'api_error', message: 'upstream broke' } });
});

test('eventText writes an upstream event back as SSE that parses to the same event, multi-line data included', () => {
  for (const event of [{ event: 'ping', data: '{"type":"ping"}' }, { event: 'message_delta', data: '{\n  "type": "message_delta"\n}' }]) {
    assert.deepEqual(new SseParser().push(eventText(event)), [event]);
  }
});
