// Round trips through the gateway to Anthropic, Azure and Ollama fakes, with the openai SDK as client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeAnthropic, startFakeAzure, startFakeOllama, FAKE_ANTHROPIC_KEY, FAKE_AZURE_KEY, type FakeUpstream } from '../fakes';
import { startTestGateway, hello, type TestGateway } from './harness';

let anthropic: FakeUpstream;
let azure: FakeUpstream;
let ollama: FakeUpstream;
let gw: TestGateway;

before(async () => {
  [anthropic, azure, ollama] = await Promise.all([startFakeAnthropic(), startFakeAzure(), startFakeOllama()]);
  const yaml = `providers:
  targets:
    - id: anthropic
      provider:
        type: anthropic
        base_url: ${anthropic.baseUrl}
        secret_key_ref:
          env: ANTHROPIC_API_KEY
    - id: azure-openai
      provider:
        type: azure-openai
        base_url: ${azure.baseUrl}
        secret_key_ref:
          env: AZURE_OPENAI_API_KEY
    - id: local-ollama
      provider:
        type: ollama
        base_url: ${ollama.baseUrl}
model_groups:
  - name: claude
    models:
      - provider: anthropic
        model: claude-sonnet-4
  - name: azure
    models:
      - provider: azure-openai
        model: gpt-4o
  - name: local
    models:
      - provider: local-ollama
        model: llama3.2
`;
  gw = await startTestGateway(yaml, { env: { ANTHROPIC_API_KEY: FAKE_ANTHROPIC_KEY, AZURE_OPENAI_API_KEY: FAKE_AZURE_KEY } });
});

after(async () => {
  await gw.close();
  await Promise.all([anthropic.close(), azure.close(), ollama.close()]);
});

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

test('Anthropic: text round trip with system prompt and usage', async () => {
  anthropic.setBehavior({ reply: 'Bonjour!' });
  const r = await gw.client.chat.completions.create({
    model: 'claude',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello in French' }],
    max_tokens: 50,
    stop: ['\n\n'],
  });
  assert.equal(r.choices[0].message.content, 'Bonjour!');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(r.usage && r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);
  const sent = anthropic.requests.at(-1)!;
  assert.equal(sent.path, '/v1/messages');
  assert.equal(sent.headers['x-api-key'], FAKE_ANTHROPIC_KEY);
  assert.equal(sent.body.system, 'Be brief.');
  assert.deepEqual(sent.body.stop_sequences, ['\n\n']);
  assert.equal(sent.body.max_tokens, 50);
  const event = gw.events().at(-1)!;
  assert.equal(event.provider, 'anthropic');
  assert.ok(event.actual_cost_usd !== null && event.actual_cost_usd > 0, 'known claude-sonnet-4 prices give a cost');
});

test('Anthropic: tool call and tool result round trip', async () => {
  anthropic.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }], times: 1 });
  const first = await gw.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool], tool_choice: 'required' });
  const call = first.choices[0].message.tool_calls?.[0];
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  assert.ok(call && call.type === 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  assert.deepEqual(anthropic.requests.at(-1)!.body.tool_choice, { type: 'any' });
  assert.equal(anthropic.requests.at(-1)!.body.tools[0].input_schema.required[0], 'city');

  anthropic.setBehavior({ reply: 'It is sunny in Paris.' });
  const second = await gw.client.chat.completions.create({
    model: 'claude',
    tools: [weatherTool],
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] },
      { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' },
    ],
  });
  assert.equal(second.choices[0].message.content, 'It is sunny in Paris.');
  const sent = anthropic.requests.at(-1)!.body;
  assert.equal(sent.messages[1].content[0].type, 'tool_use');
  assert.equal(sent.messages[2].content[0].type, 'tool_result');
  assert.equal(sent.messages[2].content[0].tool_use_id, call.id);
});

test('Anthropic: streaming is translated into chat.completion.chunk events ending in [DONE]', async () => {
  anthropic.setBehavior({ reply: 'one two three four', unknownEvent: true });
  const stream = await gw.client.chat.completions.create({ model: 'claude', messages: hello, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish: string | null = null;
  let usage: unknown;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, 'one two three four');
  assert.equal(finish, 'stop');
  assert.ok(usage, 'usage chunk delivered when the client asked');
});

test('Anthropic: streamed tool calls arrive as tool_calls deltas', async () => {
  anthropic.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }], times: 1 });
  const stream = await gw.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [weatherTool], stream: true });
  let args = '';
  let name = '';
  for await (const chunk of stream) {
    for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) {
      name ||= call.function?.name ?? '';
      args += call.function?.arguments ?? '';
    }
  }
  assert.equal(name, 'get_weather');
  assert.deepEqual(JSON.parse(args), { city: 'Oslo' });
});

test('Azure: deployment URL, api-key header and api-version; text and stream', async () => {
  azure.setBehavior({ reply: 'Hello from Azure' });
  const r = await gw.client.chat.completions.create({ model: 'azure', messages: hello });
  assert.equal(r.choices[0].message.content, 'Hello from Azure');
  const sent = azure.requests.at(-1)!;
  assert.match(sent.path, /\/openai\/deployments\/[^/]+\/chat\/completions$/);
  assert.equal(sent.headers['api-key'], FAKE_AZURE_KEY);
  assert.equal(sent.headers.authorization, undefined);
  assert.equal(sent.query['api-version'], '2024-10-21');

  const stream = await gw.client.chat.completions.create({ model: 'azure', messages: hello, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, 'Hello from Azure');
});

test('Azure: tool calls round trip', async () => {
  azure.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }], times: 1 });
  const r = await gw.client.chat.completions.create({ model: 'azure', messages: [{ role: 'user', content: 'Weather in Rome?' }], tools: [weatherTool] });
  const call = r.choices[0].message.tool_calls?.[0];
  assert.ok(call && call.type === 'function');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Rome' });
  assert.equal(azure.requests.at(-1)!.body.tools[0].function.name, 'get_weather');
});

test('Ollama: max_completion_tokens is sent as max_tokens, and no key is needed', async () => {
  const r = await gw.client.chat.completions.create({ model: 'local', messages: hello, max_completion_tokens: 64 });
  assert.equal(r.object, 'chat.completion');
  const sent = ollama.requests.at(-1)!;
  assert.equal(sent.path, '/v1/chat/completions');
  assert.equal(sent.body.max_tokens, 64);
  assert.equal(sent.body.max_completion_tokens, undefined);
});
