// LangChain's OpenAI integration (@langchain/openai) pointed at the gateway: ChatOpenAI invoke, stream
// and bindTools over /v1/chat/completions, OpenAIEmbeddings over /v1/embeddings. Each asserts that what
// the fake upstream sent is what LangChain handed back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { startFakeOpenAI, FAKE_OPENAI_KEY, type FakeUpstream } from '../fakes';
import { fakeVector } from '../fakes/fake-upstream';
import { FAKE_EMBEDDING_DIMENSIONS } from '../fakes/openai';
import { startTestGateway, target, type TestGateway } from './harness';

let upstream: FakeUpstream;
let gw: TestGateway;

before(async () => {
  upstream = await startFakeOpenAI();
  const yaml = `providers:
  targets:
${target('openai', upstream.baseUrl)}model_groups:
  - name: chat
    models:
      - provider: openai
        model: gpt-4o-mini
  - name: embed
    models:
      - provider: openai
        model: text-embedding-3-small
`;
  gw = await startTestGateway(yaml, { env: { OPENAI_KEY: FAKE_OPENAI_KEY } });
});

after(async () => {
  await gw?.close();
  await upstream?.close();
});

const chat = () => new ChatOpenAI({ model: 'chat', apiKey: gw.key, maxRetries: 0, configuration: { baseURL: `${gw.url}/v1` } });

test('ChatOpenAI.invoke: the upstream\'s reply and usage come back, and the group was asked', async () => {
  upstream.setBehavior({ reply: 'Hello from the fake, via LangChain.' });
  const message = await chat().invoke([['system', 'Be brief.'], ['human', 'Say hello']]);
  assert.equal(message.content, 'Hello from the fake, via LangChain.');
  assert.ok(message.usage_metadata && message.usage_metadata.input_tokens > 0 && message.usage_metadata.output_tokens > 0);
  assert.equal(message.response_metadata.model_name, 'gpt-4o-mini');
  const sent = upstream.requests.at(-1)!.body;
  assert.equal(sent.model, 'gpt-4o-mini');
  assert.deepEqual(sent.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }]);
  assert.equal(gw.events().at(-1)!.model_group, 'chat');
});

test('ChatOpenAI.stream: the chunks join to the upstream\'s reply, with usage at the end', async () => {
  upstream.setBehavior({ reply: 'one two three four five' });
  const chunks: string[] = [];
  let usage: unknown;
  for await (const chunk of await chat().stream('Count to five')) {
    if (typeof chunk.content === 'string' && chunk.content) chunks.push(chunk.content);
    if (chunk.usage_metadata) usage = chunk.usage_metadata;
  }
  assert.ok(chunks.length > 1, 'streamed in several pieces');
  assert.equal(chunks.join(''), 'one two three four five');
  assert.ok(usage, 'LangChain asks for usage in the stream and gets it');
  assert.equal(upstream.requests.at(-1)!.body.stream, true);
});

test('ChatOpenAI.bindTools: the tool call the upstream made reaches LangChain with parsed args', async () => {
  upstream.setBehavior({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Lisbon', unit: 'celsius' } }], times: 1 });
  const withTools = chat().bindTools([{
    type: 'function',
    function: { name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] } },
  }]);
  const message = await withTools.invoke('What is the weather in Lisbon?');
  assert.equal(message.tool_calls?.length, 1);
  assert.equal(message.tool_calls![0].name, 'get_weather');
  assert.deepEqual(message.tool_calls![0].args, { city: 'Lisbon', unit: 'celsius' });
  assert.equal(message.tool_calls![0].id, 'call_fake_0');
  const sent = upstream.requests.at(-1)!.body;
  assert.equal(sent.tools[0].function.name, 'get_weather');
});

test('OpenAIEmbeddings: embedQuery and embedDocuments return the upstream\'s vectors, in order', async () => {
  const embeddings = new OpenAIEmbeddings({ model: 'embed', apiKey: gw.key, maxRetries: 0, configuration: { baseURL: `${gw.url}/v1` } });
  const query = await embeddings.embedQuery('what is a gateway?');
  assert.deepEqual(query, fakeVector('what is a gateway?', FAKE_EMBEDDING_DIMENSIONS));
  const docs = await embeddings.embedDocuments(['first document', 'second\ndocument']);
  // LangChain strips newlines before sending by default.
  assert.deepEqual(docs, [fakeVector('first document', FAKE_EMBEDDING_DIMENSIONS), fakeVector('second document', FAKE_EMBEDDING_DIMENSIONS)]);
  const sent = upstream.requests.at(-1)!;
  assert.equal(sent.path, '/v1/embeddings');
  assert.deepEqual(sent.body.input, ['first document', 'second document']);
  assert.equal(sent.body.model, 'text-embedding-3-small');
  const event = gw.events().at(-1)!;
  assert.equal(event.api, 'embeddings');
  assert.equal(event.model_group, 'embed');

  const small = new OpenAIEmbeddings({ model: 'embed', dimensions: 32, apiKey: gw.key, maxRetries: 0, configuration: { baseURL: `${gw.url}/v1` } });
  assert.deepEqual(await small.embedQuery('short'), fakeVector('short', 32));
  assert.equal(upstream.requests.at(-1)!.body.dimensions, 32);
});
