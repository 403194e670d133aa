import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { planOllamaFallback, probeOllama } from '../../client/ollama/ollama-probe';

// A fake Ollama speaking its real /api/version and /api/tags shapes.
async function fakeOllama(handler: (url: string) => { status: number; body: unknown } | 'stall'): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const answer = handler(req.url ?? '');
    if (answer === 'stall') return; // never answers
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const tags = {
  models: [
    { name: 'llama3.1:latest', model: 'llama3.1:latest', modified_at: '2025-01-10T10:00:00Z', size: 4920753328, digest: 'abc', details: { family: 'llama', parameter_size: '8.0B', quantization_level: 'Q4_K_M' } },
    { name: 'qwen2.5:0.5b', model: 'qwen2.5:0.5b', modified_at: '2025-01-09T10:00:00Z', size: 397821319, digest: 'def', details: { family: 'qwen2' } },
  ],
};

test('an answering Ollama reports its version and pulled models', async () => {
  const { url, server } = await fakeOllama((u) => (u === '/api/version' ? { status: 200, body: { version: '0.5.7' } } : u === '/api/tags' ? { status: 200, body: tags } : { status: 404, body: {} }));
  try {
    const probe = await probeOllama(url, 1000);
    assert.deepEqual(probe, { answered: true, version: '0.5.7', models: ['llama3.1:latest', 'qwen2.5:0.5b'] });
  } finally {
    server.close();
  }
});

test('nothing listening: not answered, with a reason that says Ollama is not running', async () => {
  const { url, server } = await fakeOllama(() => ({ status: 200, body: {} }));
  await new Promise((r) => server.close(r));
  const probe = await probeOllama(url, 1000);
  assert.equal(probe.answered, false);
  assert.deepEqual(probe.models, []);
  assert.match(probe.error ?? '', /connection refused/);
});

test('a stalled server is given up on after the timeout', async () => {
  const { url, server } = await fakeOllama(() => 'stall');
  try {
    const started = Date.now();
    const probe = await probeOllama(url, 200);
    assert.equal(probe.answered, false);
    assert.match(probe.error ?? '', /timeout/);
    assert.ok(Date.now() - started < 3000);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('answered version but failing tags: answered with no models and the reason', async () => {
  const { url, server } = await fakeOllama((u) => (u === '/api/version' ? { status: 200, body: { version: '0.5.7' } } : { status: 500, body: { error: 'boom' } }));
  try {
    const probe = await probeOllama(url, 1000);
    assert.equal(probe.answered, true);
    assert.deepEqual(probe.models, []);
    assert.match(probe.error ?? '', /HTTP 500/);
  } finally {
    server.close();
  }
});

test('planOllamaFallback: first pulled model by default, the chosen one when set, warnings when action is needed', () => {
  const up = { answered: true, version: '0.5.7', models: ['llama3.1:latest', 'qwen2.5:0.5b'] };
  const down = { answered: false, models: [], error: 'connection refused (Ollama is not running)' };

  assert.equal(planOllamaFallback({ enabled: false, model: '' }, up).model, undefined);
  const first = planOllamaFallback({ enabled: true, model: '' }, up);
  assert.equal(first.model, 'llama3.1:latest');
  assert.equal(first.warning, undefined);
  assert.match(first.summary, /Ollama 0\.5\.7: llama3\.1:latest, qwen2\.5:0\.5b/);

  assert.equal(planOllamaFallback({ enabled: true, model: 'qwen2.5:0.5b' }, up).model, 'qwen2.5:0.5b');
  assert.match(planOllamaFallback({ enabled: true, model: 'mistral' }, up).warning ?? '', /ollama pull mistral/);

  const none = planOllamaFallback({ enabled: true, model: '' }, down);
  assert.equal(none.model, undefined);
  assert.match(none.warning ?? '', /did not answer.*Install Ollama.*ollama serve.*kt\.gateway\.ollamaFallback/s);

  assert.equal(planOllamaFallback({ enabled: true, model: 'llama3.1' }, down).model, 'llama3.1');
  const empty = planOllamaFallback({ enabled: true, model: '' }, { answered: true, models: [] });
  assert.equal(empty.model, undefined);
  assert.match(empty.warning ?? '', /no models.*ollama pull/);
});
