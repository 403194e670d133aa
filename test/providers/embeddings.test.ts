// The embeddings wire logic on its own: OpenAI answers in either encoding become floats in input
// order, and the client gets floats or base64 as it asked, the upstream's text only when it fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64Embedding, embeddingsJson } from '../../gateway/http/embeddings';
import { providerFor } from '../../gateway/providers/index';
import { ollamaEmbedRoute } from '../../gateway/providers/ollama';
import { parseEmbeddings } from '../../gateway/providers/openai';
import { UpstreamError } from '../../gateway/providers/provider';
import { startFakeAzure, FAKE_AZURE_KEY } from '../fakes';
import { fakeVector } from '../fakes/fake-upstream';
import { attempt } from './attempt';

const ctx = attempt({ type: 'openai', baseUrl: 'http://127.0.0.1:9/v1' }, { model: 'text-embedding-3-small' });
const f32 = (xs: number[]) => xs.map((x) => Math.fround(x));
const b64 = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer).toString('base64');
const answer = (data: unknown[], extra: Record<string, unknown> = {}) => ({ object: 'list', data, model: 'text-embedding-3-small', usage: { prompt_tokens: 4, total_tokens: 4 }, ...extra });

test('base64 is the float32 values, little-endian', () => {
  assert.equal(base64Embedding([1, -2.5]), Buffer.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0]).toString('base64'));
});

test('an upstream answer already in the wanted encoding is forwarded byte for byte', () => {
  const text = JSON.stringify(answer([{ object: 'embedding', index: 0, embedding: f32([0.1, 0.2]) }]), null, 1);
  const parsed = parseEmbeddings(JSON.parse(text), text, ctx, 'float');
  assert.equal(embeddingsJson(parsed, 'float'), text);
  const base64Text = JSON.stringify(answer([{ object: 'embedding', index: 0, embedding: b64([0.1, 0.2]) }]));
  const fromBase64 = parseEmbeddings(JSON.parse(base64Text), base64Text, ctx, 'base64');
  assert.deepEqual(fromBase64.data[0].embedding, f32([0.1, 0.2]), 'decoded to floats for the gateway');
  assert.equal(embeddingsJson(fromBase64, 'base64'), base64Text);
});

test('an upstream that ignored encoding_format: the gateway encodes what the client asked', () => {
  const text = JSON.stringify(answer([{ object: 'embedding', index: 0, embedding: f32([0.5, -0.25]) }]));
  const parsed = parseEmbeddings(JSON.parse(text), text, ctx, 'base64');
  const out = JSON.parse(embeddingsJson(parsed, 'base64'));
  assert.equal(out.data[0].embedding, b64([0.5, -0.25]));
  assert.deepEqual(out.usage, { prompt_tokens: 4, total_tokens: 4 });
});

test('vectors out of order are put in input order, and the model defaults to the one asked for', () => {
  const value = { object: 'list', data: [{ object: 'embedding', index: 1, embedding: [2] }, { object: 'embedding', index: 0, embedding: [1] }] };
  const parsed = parseEmbeddings(value, JSON.stringify(value), ctx, 'float');
  assert.deepEqual(parsed.data.map((d) => d.embedding), [[1], [2]]);
  assert.equal(parsed.model, 'text-embedding-3-small');
  assert.deepEqual(parsed.usage, { prompt_tokens: 0, total_tokens: 0 });
  assert.deepEqual(JSON.parse(embeddingsJson(parsed, 'float')).data.map((d: { index: number }) => d.index), [0, 1]);
});

test('an answer without vectors is a protocol error (so routing falls back)', () => {
  for (const bad of [{ object: 'list' }, answer([{ object: 'embedding', index: 0, embedding: ['x'] }]), answer([{ index: 0, embedding: 'AAA' }])]) {
    assert.throws(() => parseEmbeddings(bad, JSON.stringify(bad), ctx, 'float'), (e: unknown) => e instanceof UpstreamError && e.kind === 'protocol' && e.retryable);
  }
});

test('Ollama\'s native /api/embed is found at the server root, whatever the /v1 base_url looks like', () => {
  const route = (baseUrl: string) => ollamaEmbedRoute({ id: 'o', type: 'ollama', baseUrl });
  assert.deepEqual(route('http://localhost:11434/v1'), { origin: 'http://localhost:11434', path: '/api/embed' });
  assert.deepEqual(route('http://localhost:11434/v1/'), { origin: 'http://localhost:11434', path: '/api/embed' });
  assert.deepEqual(route('http://localhost:11434'), { origin: 'http://localhost:11434', path: '/api/embed' });
  assert.deepEqual(route('https://gpu.example.com/ollama/v1'), { origin: 'https://gpu.example.com', path: '/ollama/api/embed' });
});

test('Azure embeddings: deployment form, v1 form (deployment as model), and a bare resource URL', async () => {
  const azure = await startFakeAzure({ deployments: ['embed-small'] });
  try {
    const forms = [
      { baseUrl: `${azure.url}/openai/deployments/embed-small/`, path: '/openai/deployments/embed-small/embeddings' },
      { baseUrl: azure.v1BaseUrl, path: '/openai/v1/embeddings' },
      { baseUrl: azure.url, path: '/openai/deployments/embed-small/embeddings' },
    ];
    for (const form of forms) {
      const ctx = attempt({ type: 'azure-openai', baseUrl: form.baseUrl }, { model: 'embed-small', key: FAKE_AZURE_KEY });
      try {
        const answer = await providerFor('azure-openai').embed!({ model: 'client-name', input: ['one', 'two'], dimensions: 4 }, ctx);
        assert.deepEqual(answer.data.map((d) => d.embedding), [fakeVector('one', 4), fakeVector('two', 4)], form.baseUrl);
        const sent = azure.requests.at(-1)!;
        assert.equal(sent.path, form.path);
        assert.equal(sent.body.model, 'embed-small');
        assert.equal(sent.headers['api-key'], FAKE_AZURE_KEY);
      } finally {
        await ctx.close();
      }
    }
  } finally {
    await azure.close();
  }
});
