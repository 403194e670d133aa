// The Vercel AI SDK's OpenAI provider (Responses API by default) against the gateway and the OpenAI fake.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { startFakeOpenAI, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { startTestGateway, target, type TestGateway } from './harness';

let up: FakeUpstream;
let gw: TestGateway;
let openai: ReturnType<typeof createOpenAI>;

before(async () => {
  up = await startFakeOpenAI();
  gw = await startTestGateway(`providers:\n  targets:\n${target('up', up.baseUrl)}model_groups:\n  - name: assistant\n    models:\n      - provider: up\n        model: gpt-4o\n`, { env: { UP_KEY: FAKE_OPENAI_KEY } });
  openai = createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.key });
});
after(async () => {
  await gw.close();
  await up.close();
});

test('generateText: the reply the upstream sent, with usage, over /v1/responses', async () => {
  const from = gw.events().length;
  up.setBehavior({ reply: 'Hello from the upstream, through the AI SDK.' });
  const result = await generateText({ model: openai('assistant'), system: 'Be brief.', prompt: 'Say hello', maxRetries: 0 });
  assert.equal(result.text, 'Hello from the upstream, through the AI SDK.');
  assert.equal(result.finishReason, 'stop');
  assert.ok((result.usage.inputTokens ?? 0) > 0 && (result.usage.outputTokens ?? 0) > 0);
  const sent = up.requests.at(-1)!.body;
  assert.deepEqual(sent.messages.at(-1), { role: 'user', content: [{ type: 'text', text: 'Say hello' }] });
  assert.equal(sent.messages[0].content, 'Be brief.');
  const events = gw.events().slice(from);
  assert.deepEqual(events.map((e) => [e.api, e.decision]), [['responses', 'allowed']]);
});

test('streamText: the text arrives in parts and adds up to what the upstream sent', async () => {
  up.setBehavior({ reply: 'Streamed words arrive one by one.' });
  const result = streamText({ model: openai('assistant'), prompt: 'Stream', maxRetries: 0, onError: () => {} });
  const parts: string[] = [];
  for await (const part of result.textStream) parts.push(part);
  assert.equal(parts.join(''), 'Streamed words arrive one by one.');
  assert.ok(parts.length > 1);
  assert.equal(await result.finishReason, 'stop');
  assert.ok(((await result.usage).outputTokens ?? 0) > 0);
});

test('a tool call: the SDK runs the tool, sends its output back, and gets the final answer', async () => {
  up.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }], times: 1 });
  const before = up.requests.length;
  let asked: string | undefined;
  const result = await generateText({
    model: openai('assistant'),
    prompt: 'Weather in Paris?',
    maxRetries: 0,
    tools: {
      get_weather: tool({
        description: 'Current weather in a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => { asked = city; return { temp_c: 18 }; },
      }),
    },
    stopWhen: stepCountIs(2),
  });
  assert.equal(asked, 'Paris');
  assert.equal(result.steps.length, 2);
  assert.deepEqual(result.steps[0].toolCalls.map((c) => [c.toolName, c.input]), [['get_weather', { city: 'Paris' }]]);
  assert.match(result.text, /^Hello from fake OpenAI/);
  const [first, second] = up.requests.slice(before).map((r) => r.body);
  assert.equal(first.tools[0].function.name, 'get_weather');
  const turns = second.messages.slice(-2);
  assert.equal(turns[0].role, 'assistant');
  assert.equal(turns[0].tool_calls[0].function.name, 'get_weather');
  assert.deepEqual(turns[1], { role: 'tool', tool_call_id: turns[0].tool_calls[0].id, content: '{"temp_c":18}' });
});

test('a conversation fed back: with store on the SDK sends item references, refused with the fix; with store: false it works', async () => {
  up.setBehavior({ reply: 'First answer.' });
  const first = await generateText({ model: openai('assistant'), prompt: 'Hi', maxRetries: 0 });
  const messages = [{ role: 'user' as const, content: 'Hi' }, ...first.response.messages, { role: 'user' as const, content: 'And then?' }];
  await assert.rejects(generateText({ model: openai('assistant'), messages, maxRetries: 0 }), /item_reference.*store.*false/);
  up.setBehavior({ reply: 'Second answer.' });
  const second = await generateText({ model: openai('assistant'), messages, maxRetries: 0, providerOptions: { openai: { store: false } } });
  assert.equal(second.text, 'Second answer.');
  const turns = up.requests.at(-1)!.body.messages;
  assert.deepEqual(turns.slice(-2), [{ role: 'assistant', content: 'First answer.' }, { role: 'user', content: [{ type: 'text', text: 'And then?' }] }]);
});
