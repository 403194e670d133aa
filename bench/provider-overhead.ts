// CPU cost of a non-streamed call through the provider layer vs a raw undici request to the same
// upstream. The upstream runs in a child process so only the client's CPU is counted.
// Run: node --import tsx bench/provider-overhead.ts [calls]
import { fork } from 'node:child_process';
import { Pool } from 'undici';
import { openai } from '../gateway/providers/openai';
import { anthropic } from '../gateway/providers/anthropic';
import type { AttemptContext, ChatRequest } from '../gateway/providers/provider';
import type { ProviderTarget } from '../gateway/policy/types';

const CALLS = Number(process.argv[2] ?? 3000);

if (process.argv[2] === 'serve') {
  const { createServer } = require('node:http') as typeof import('node:http');
  const openaiBody = JSON.stringify({
    id: 'chatcmpl-bench', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(600), refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 40, completion_tokens: 150, total_tokens: 190 }, system_fingerprint: 'fp_bench',
  });
  const anthropicBody = JSON.stringify({
    id: 'msg_bench', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content: [{ type: 'text', text: 'x'.repeat(600) }],
    stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 40, output_tokens: 150 },
  });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = req.url === '/v1/messages' ? anthropicBody : openaiBody;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
} else {
  void main();
}

async function main(): Promise<void> {
  const child = fork(__filename, ['serve'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)));
  const origin = `http://127.0.0.1:${port}`;
  const request: ChatRequest = {
    model: 'fast-chat',
    messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Summarise the plot of Hamlet in two sentences, please.' }],
    temperature: 0.3,
    max_tokens: 200,
  };
  const pool = new Pool(origin, { connections: null, pipelining: 1, connect: { noDelay: true } });
  const ctxFor = (type: ProviderTarget['type'], baseUrl: string): AttemptContext => ({
    target: { id: 'bench', type, baseUrl }, model: 'gpt-4o', apiKey: 'sk-bench-key-123456', signal: new AbortController().signal, dispatcher: pool,
  });
  const oaCtx = ctxFor('openai', origin + '/v1');
  const anCtx = ctxFor('anthropic', origin + '/v1');

  const raw = async () => {
    const res = await pool.request({
      origin, path: '/v1/chat/completions', method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-key-123456' },
      body: JSON.stringify({ ...request, model: 'gpt-4o' }),
    });
    return JSON.parse(await res.body.text());
  };
  const viaOpenAI = () => openai.complete(request, oaCtx);
  const viaAnthropic = () => anthropic.complete(request, anCtx);

  async function measure(name: string, fn: () => Promise<unknown>): Promise<number> {
    for (let i = 0; i < 300; i++) await fn(); // warm-up: JIT and pooled sockets
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) await fn();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const perCallUs = (cpu.user + cpu.system) / CALLS;
    console.log(`${name.padEnd(22)} ${perCallUs.toFixed(1).padStart(7)} µs CPU/call   ${(wall / CALLS * 1000).toFixed(1).padStart(7)} µs wall/call`);
    return perCallUs;
  }

  console.log(`${CALLS} sequential non-streamed calls, client CPU only`);
  // Interleave rounds so machine noise hits every variant alike; keep the best round of each.
  const best = { raw: Infinity, openai: Infinity, anthropic: Infinity };
  for (let round = 0; round < 5; round++) {
    best.raw = Math.min(best.raw, await measure('raw undici + parse', raw));
    best.openai = Math.min(best.openai, await measure('openai.complete', viaOpenAI));
    best.anthropic = Math.min(best.anthropic, await measure('anthropic.complete', viaAnthropic));
  }
  console.log(`overhead vs raw (best of 5): openai ${(best.openai - best.raw).toFixed(1)} µs/call, anthropic (with translation) ${(best.anthropic - best.raw).toFixed(1)} µs/call`);
  await pool.close();
  child.kill();
}
