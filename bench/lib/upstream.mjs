// Benchmark upstream: a minimal OpenAI-compatible (and, at /v1/messages, Anthropic) server (child process) with a fixed answer,
// an optional delay, a 64-chunk stream at a fixed gap, and /v1/embeddings with one fixed 1536-float
// vector per answer (as floats or base64, as asked).
import { createServer } from 'node:http';

const delayMs = Number(process.env.UPSTREAM_DELAY_MS ?? 0);
const chunkGapMs = Number(process.env.UPSTREAM_CHUNK_GAP_MS ?? 2);
const completion = JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: 1700000000, model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog.' }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 },
});
const chunk = (i, last) => `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1700000000, model: 'bench-model', choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: 'tok ' } : last ? {} : { content: 'tok ' }, finish_reason: last ? 'stop' : null, logprobs: null }] })}\n\n`;

// Anthropic's Messages answer, for the /v1/messages pass-through row.
const message = JSON.stringify({
  id: 'msg_bench', type: 'message', role: 'assistant', model: 'bench-model', content: [{ type: 'text', text: 'The quick brown fox jumps over the lazy dog.' }],
  stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 12, output_tokens: 10 },
});

const vector = Array.from({ length: 1536 }, (_, i) => Math.fround(Math.sin(i + 1) / 40));
const embeddingsAnswer = (embedding) => JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding }], model: 'bench-model', usage: { prompt_tokens: 7, total_tokens: 7 } });
const embeddings = { float: embeddingsAnswer(vector), base64: embeddingsAnswer(Buffer.from(new Float32Array(vector).buffer).toString('base64')) };

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const stream = body.includes('"stream":true');
    const answer = () => {
      if (req.url === '/v1/messages') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(message) });
        res.end(message);
        return;
      }
      if (req.url === '/v1/embeddings') {
        const text = body.includes('"encoding_format":"base64"') ? embeddings.base64 : embeddings.float;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(completion) });
        res.end(completion);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const send = () => {
        if (res.destroyed) return;
        if (i < 64) {
          res.write(chunk(i, i === 63));
          i++;
          setTimeout(send, chunkGapMs);
        } else {
          res.end('data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":64,"total_tokens":76}}\n\ndata: [DONE]\n\n');
        }
      };
      send();
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
