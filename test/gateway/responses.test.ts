// POST /v1/responses with the official openai SDK (client.responses) as the client, over OpenAI and Anthropic fakes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeAnthropic, startFakeOpenAI, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { startTestGateway, target, type TestGateway } from './harness';

let a: FakeUpstream;
let b: FakeUpstream;
let claude: FakeUpstream;
let gw: TestGateway;

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
`;
  gw = await startTestGateway(yaml, { env: { A_KEY: FAKE_OPENAI_KEY, B_KEY: FAKE_OPENAI_KEY, CLAUDE_KEY: FAKE_ANTHROPIC_KEY } });
});
after(async () => {
  await gw.close();
  await Promise.all([a.close(), b.close(), claude.close()]);
});

function reset(): number {
  for (const f of [a, b, claude]) f.setBehavior({});
  return gw.events().length;
}
const eventsSince = (from: number) => gw.events().slice(from);

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

test('a string input with instructions: the upstream gets system + user, the client gets output_text and usage', async () => {
  const from = reset();
  a.setBehavior({ reply: 'Hello from a, via Responses.' });
  const { data: response, response: raw } = await gw.client.responses.create({
    model: 'chain', instructions: 'Be brief.', input: 'Say hello', max_output_tokens: 120, temperature: 0.5,
  }).withResponse();
  assert.equal(response.object, 'response');
  assert.equal(response.status, 'completed');
  assert.equal(response.output_text, 'Hello from a, via Responses.');
  assert.match(response.id, /^resp_/);
  assert.equal(response.model, 'gpt-4o');
  assert.equal(response.instructions, 'Be brief.');
  assert.ok(response.usage!.input_tokens > 0 && response.usage!.output_tokens > 0);
  assert.equal(response.usage!.total_tokens, response.usage!.input_tokens + response.usage!.output_tokens);
  assert.equal(raw.headers.get('x-kt-provider'), 'a');
  const sent = a.requests.at(-1)!.body;
  assert.deepEqual(sent.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }]);
  assert.equal(sent.max_completion_tokens, 120);
  assert.equal(sent.temperature, 0.5);
  const events = eventsSince(from);
  assert.equal(events.length, 1);
  assert.equal(events[0].api, 'responses');
  assert.equal(events[0].decision, 'allowed');
});

test('message items with content parts, an image and an earlier assistant turn', async () => {
  reset();
  a.setBehavior({ reply: 'A cat.' });
  const response = await gw.client.responses.create({
    model: 'chain',
    input: [
      { role: 'developer', content: 'Answer in two words.' },
      { role: 'user', content: 'Hi' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!', annotations: [] }], id: 'msg_prev', status: 'completed' },
      { role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' }] },
    ],
  });
  assert.equal(response.output_text, 'A cat.');
  assert.deepEqual(a.requests.at(-1)!.body.messages, [
    { role: 'developer', content: 'Answer in two words.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello!' },
    { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
  ]);
});

test('function tools: the call comes back as a function_call item, its output goes up as a tool message', async () => {
  reset();
  a.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] });
  const first = await gw.client.responses.create({ model: 'chain', input: 'Weather in Paris?', tools: [weather], tool_choice: 'required', parallel_tool_calls: false });
  const call = first.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
  assert.ok(call, 'a function_call item');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
  assert.match(call.id!, /^fc_/);
  const up = a.requests.at(-1)!.body;
  assert.deepEqual(up.tools, [{ type: 'function', function: { name: 'get_weather', description: 'Current weather in a city', parameters: weather.parameters, strict: true } }]);
  assert.equal(up.tool_choice, 'required');
  assert.equal(up.parallel_tool_calls, false);

  a.setBehavior({ reply: 'It is 18 degrees.' });
  const second = await gw.client.responses.create({
    model: 'chain', tools: [weather],
    input: [
      { role: 'user', content: 'Weather in Paris?' },
      { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
      { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":18}' },
    ],
  });
  assert.equal(second.output_text, 'It is 18 degrees.');
  assert.deepEqual(a.requests.at(-1)!.body.messages.slice(1), [
    { role: 'assistant', content: null, tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'get_weather', arguments: call.arguments } }] },
    { role: 'tool', tool_call_id: call.call_id, content: '{"temp_c":18}' },
  ]);
});

test('streamed: the documented event sequence with sequence numbers, text as the upstream sent it, usage on response.completed', async () => {
  const from = reset();
  a.setBehavior({ reply: 'Streaming through the Responses API.' });
  const stream = await gw.client.responses.create({ model: 'chain', input: 'Go', stream: true });
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
  assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
  const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
  assert.equal(text, 'Streaming through the Responses API.');
  assert.ok(types.filter((t) => t === 'response.output_text.delta').length > 1);
  const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
  assert.equal(completed.response.status, 'completed');
  assert.ok(completed.response.usage!.output_tokens > 0);
  assert.equal((completed.response.output[0] as OpenAI.Responses.ResponseOutputMessage).content[0].type, 'output_text');
  const [event] = eventsSince(from);
  assert.equal(event.api, 'responses');
  assert.equal(event.stream, true);
  assert.ok(event.tokens.completion > 0);
});

test('streamed through the SDK helper: responses.stream() assembles the final response', async () => {
  reset();
  a.setBehavior({ reply: 'Assembled.' });
  const stream = gw.client.responses.stream({ model: 'chain', input: 'Go' });
  let deltas = '';
  stream.on('response.output_text.delta', (e) => { deltas += e.delta; });
  const final = await stream.finalResponse();
  assert.equal(deltas, 'Assembled.');
  assert.equal(final.output_text, 'Assembled.');
});

test('streamed tools: function_call items with arguments deltas, assembled into the arguments the upstream sent', async () => {
  reset();
  a.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_weather', arguments: { city: 'Rome' } }] });
  const stream = gw.client.responses.stream({ model: 'chain', input: 'Paris and Rome?', tools: [weather] });
  let fragments = 0;
  stream.on('response.function_call_arguments.delta', () => { fragments++; });
  const final = await stream.finalResponse();
  const calls = final.output.filter((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall[];
  assert.deepEqual(calls.map((c) => JSON.parse(c.arguments)), [{ city: 'Paris' }, { city: 'Rome' }]);
  assert.ok(calls.every((c) => c.status === 'completed' && c.call_id));
  assert.ok(fragments >= 2);
});

test('an Anthropic target serves the Responses API too', async () => {
  const from = reset();
  claude.setBehavior({ reply: 'Claude via Responses.' });
  const response = await gw.client.responses.create({ model: 'sonnet', instructions: 'Be brief.', input: 'Hi' });
  assert.equal(response.output_text, 'Claude via Responses.');
  assert.equal(claude.requests.at(-1)!.body.system, 'Be brief.');
  assert.equal(eventsSince(from)[0].provider, 'claude');
});

test('previous_response_id is a 400 saying the gateway keeps no responses', async () => {
  const from = reset();
  const before = a.requests.length;
  await assert.rejects(gw.client.responses.create({ model: 'chain', input: 'Hi', previous_response_id: 'resp_123' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.param, 'previous_response_id');
    assert.match(error.message, /does not keep.*whole conversation in "input"/);
    return true;
  });
  assert.equal(a.requests.length, before);
  assert.deepEqual(eventsSince(from).map((e) => [e.api, e.http_status, e.decision]), [['responses', 400, 'blocked']]);
});

test('built-in tools and unknown models are refused with a clear 4xx', async () => {
  reset();
  await assert.rejects(gw.client.responses.create({ model: 'chain', input: 'Hi', tools: [{ type: 'web_search' }] }), /only function tools/);
  await assert.rejects(gw.client.responses.create({ model: 'nope', input: 'Hi' }), (error: unknown) => error instanceof OpenAI.NotFoundError);
});

test('fallback before the first byte, streamed and not', async () => {
  for (const stream of [false, true]) {
    const from = reset();
    a.setBehavior({ failStatus: 503 });
    b.setBehavior({ reply: 'served by b' });
    let text: string;
    if (stream) text = (await gw.client.responses.stream({ model: 'chain', input: 'Hi' }).finalResponse()).output_text;
    else text = (await gw.client.responses.create({ model: 'chain', input: 'Hi' })).output_text;
    assert.equal(text, 'served by b');
    const events = eventsSince(from);
    assert.equal(events.length, 1);
    assert.equal(events[0].api, 'responses');
    assert.equal(events[0].fallback_count, 1);
    assert.deepEqual(events[0].attempts.map((x) => x.outcome), ['error', 'success']);
  }
});

test('an upstream failing after the first byte ends the stream with an error event the SDK raises', async () => {
  const from = reset();
  a.setBehavior({ streamErrorAfterChunks: 2 });
  const before = b.requests.length;
  const stream = await gw.client.responses.create({ model: 'chain', input: 'Hi', stream: true });
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const e of stream) seen.push(e.type);
  }, (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError);
    assert.match(error.message, /failed mid-stream/);
    return true;
  });
  assert.equal(seen[0], 'response.created');
  assert.ok(!seen.includes('response.completed'));
  assert.equal(b.requests.length, before, 'no fallback once bytes reached the client');
  const events = eventsSince(from);
  assert.equal(events.length, 1);
  assert.equal(events[0].decision, 'error');
});

test('an unreadable body is a 400 that shows a Responses body, not a chat one', async () => {
  const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' }, body: '{"model": "chain", "input": ' });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { message: string; code: string } };
  assert.equal(body.error.code, 'invalid_json');
  assert.match(body.error.message, /"model" and "input"/);
});

test('unknown routes name the new ones', async () => {
  const res = await fetch(`${gw.url}/v1/nothing`, { method: 'POST', headers: { authorization: `Bearer ${gw.key}` } });
  assert.equal(res.status, 404);
  const body = (await res.json()) as { error: { message: string } };
  assert.match(body.error.message, /POST \/v1\/chat\/completions, POST \/v1\/messages, POST \/v1\/responses/);
});
