// Responses API <-> chat: request bodies in, response objects and stream events out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamError, type ChatCompletion, type ChatCompletionChunk } from '../../gateway/providers/provider';
import { SseParser } from '../../gateway/providers/sse';
import { ResponsesStreamEncoder, fromResponsesRequest, toResponse } from '../../gateway/wire/responses';

test('fromResponsesRequest: instructions, string input and settings', () => {
  const chat = fromResponsesRequest({
    model: 'fast-chat', instructions: 'Be brief.', input: 'Hi', stream: true, max_output_tokens: 64, temperature: 0.2, top_p: 0.8,
    user: 'u1', reasoning: { effort: 'low' }, text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
    store: true, metadata: { a: '1' }, truncation: 'auto',
  });
  assert.deepEqual(chat, {
    model: 'fast-chat', stream: true, max_completion_tokens: 64, temperature: 0.2, top_p: 0.8, user: 'u1', reasoning_effort: 'low',
    response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
  });
});

test('fromResponsesRequest: items, with function calls grouped into one assistant turn after its text', () => {
  const chat = fromResponsesRequest({
    model: 'm',
    input: [
      { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'auto' }] },
      { type: 'reasoning', id: 'rs_1', summary: [] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '18' },
      { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: '24' }] },
    ],
    tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
    tool_choice: { type: 'function', name: 'get_weather' },
  });
  assert.deepEqual(chat.messages, [
    { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
    { role: 'assistant', content: 'Checking.', tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ] },
    { role: 'tool', tool_call_id: 'call_1', content: '18' },
    { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '24' }] },
  ]);
  assert.deepEqual(chat.tools, [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }]);
  assert.deepEqual(chat.tool_choice, { type: 'function', function: { name: 'get_weather' } });
});

test('fromResponsesRequest refuses stored state and what has no chat form, naming the field', () => {
  const refused = (b: unknown, param: RegExp, message: RegExp) => assert.throws(() => fromResponsesRequest(b), (e: unknown) => {
    assert.ok(e instanceof UpstreamError);
    assert.equal(e.status, 400);
    assert.match(String(e.body?.error.param), param);
    assert.match(e.message, message);
    return true;
  });
  const ok = { model: 'm', input: 'Hi' };
  refused({ ...ok, previous_response_id: 'resp_1' }, /previous_response_id/, /does not keep/);
  refused({ ...ok, conversation: 'conv_1' }, /conversation/, /does not keep/);
  refused({ ...ok, background: true }, /background/, /storage/);
  refused({ model: 'm' }, /^input$/, /"input" is required/);
  refused({ model: 'm', input: [], instructions: 'x' }, /^input$/, /no message/);
  refused({ ...ok, model: 3 }, /^model$/, /"model" is required/);
  refused({ ...ok, tools: [{ type: 'file_search', vector_store_ids: [] }] }, /tools\[0\]/, /only function tools/);
  refused({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }, /input\[0\]\.type/, /item_reference/);
  refused({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }, /input\[0\]\.content\[0\]\.type/, /input_file/);
  refused({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }] }, /image_url/, /stored files/);
  refused({ model: 'm', input: [{ role: 'tool', content: 'x' }] }, /input\[0\]\.role/, /one of user/);
  refused({ ...ok, max_output_tokens: 0 }, /max_output_tokens/, /positive integer/);
});

const completion = (message: Record<string, unknown>, finish: string): ChatCompletion => ({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});

test('toResponse: message and function_call items, usage, and the settings echoed', () => {
  const r = toResponse(completion({ content: 'Sure.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, 'tool_calls'), { model: 'g', instructions: 'Be brief.', tools: [{ type: 'function', name: 'f' }] });
  assert.equal(r.object, 'response');
  assert.equal(r.status, 'completed');
  assert.equal(r.model, 'gpt-4o');
  assert.equal(r.created_at, 1_700_000_000);
  assert.equal(r.instructions, 'Be brief.');
  assert.deepEqual(r.tools, [{ type: 'function', name: 'f' }]);
  const [message, call] = r.output as Array<Record<string, unknown>>;
  assert.match(String(message.id), /^msg_/);
  assert.deepEqual({ ...message, id: 'x' }, { id: 'x', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Sure.', annotations: [], logprobs: [] }] });
  assert.match(String(call.id), /^fc_/);
  assert.deepEqual({ ...call, id: 'x' }, { id: 'x', type: 'function_call', status: 'completed', arguments: '{"a":1}', call_id: 'call_1', name: 'f' });
  assert.deepEqual(r.usage, { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 19 });
});

test('toResponse: a length stop is incomplete with max_output_tokens as the reason', () => {
  const r = toResponse(completion({ content: 'Cut' }, 'length'), { model: 'g' });
  assert.equal(r.status, 'incomplete');
  assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
});

function chunk(delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk {
  return { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] };
}

test('ResponsesStreamEncoder: items in order with consecutive sequence numbers; the final response holds them all', () => {
  const encoder = new ResponsesStreamEncoder({ model: 'g' }, 'g');
  const text = [
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: 'Hi ' }),
    chunk({ content: 'there.' }),
    chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
    chunk({}, 'tool_calls'),
    { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'gpt-4o', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
  ].map((c) => encoder.chunk(c)).join('') + encoder.end();
  const events = new SseParser().push(text);
  const data = events.map((e) => JSON.parse(e.data) as Record<string, any>);
  assert.deepEqual(events.map((e) => e.event), data.map((d) => d.type));
  assert.deepEqual(data.map((d) => d.sequence_number), data.map((_, i) => i));
  assert.deepEqual(data.map((d) => d.type), [
    'response.created', 'response.in_progress',
    'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta',
    'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
    'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
    'response.function_call_arguments.done', 'response.output_item.done',
    'response.completed',
  ]);
  assert.equal(data[9].output_index, 1);
  assert.equal(data[12].arguments, '{"a":1}');
  const final = data.at(-1)!.response;
  assert.equal(final.status, 'completed');
  assert.equal(final.id, data[0].response.id);
  assert.deepEqual(final.output.map((o: any) => o.type), ['message', 'function_call']);
  assert.equal(final.output[0].content[0].text, 'Hi there.');
  assert.equal(final.usage.total_tokens, 7);
});

test('ResponsesStreamEncoder: a failure is a nested error event after what was sent', () => {
  const encoder = new ResponsesStreamEncoder({ model: 'g' }, 'g');
  const events = new SseParser().push(encoder.chunk(chunk({ content: 'x' })) + encoder.fail('upstream broke'));
  const last = JSON.parse(events.at(-1)!.data);
  assert.equal(last.type, 'error');
  assert.equal(last.sequence_number, events.length - 1);
  assert.deepEqual(last.error, { type: 'server_error', code: 'stream_interrupted', message: 'upstream broke', param: null });
});
