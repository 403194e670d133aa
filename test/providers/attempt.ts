// Builds an AttemptContext against a fake upstream, the way the router will.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before } from 'node:test';
import type { Dispatcher } from 'undici';
import type { ProviderTarget, ProviderType } from '../../gateway/policy/types';
import type { AttemptContext, ChatCompletionChunk, ChatRequest } from '../../gateway/providers/provider';
import { UpstreamError } from '../../gateway/providers/provider';
import { Cancellation } from '../../gateway/providers/cancellation';
import { createDispatcher } from '../../gateway/providers/upstream';

export interface Attempt extends AttemptContext {
  controller: Cancellation;
  close(): Promise<void>;
}

export function attempt(
  target: Partial<ProviderTarget> & { type: ProviderType; baseUrl: string },
  opts: { model: string; key?: string; dispatcher?: Dispatcher },
): Attempt {
  const t: ProviderTarget = { id: target.type, ...target };
  const controller = new Cancellation();
  const dispatcher = opts.dispatcher ?? createDispatcher(t);
  return {
    target: t,
    model: opts.model,
    apiKey: opts.key,
    signal: controller,
    dispatcher,
    controller,
    close: () => (opts.dispatcher ? Promise.resolve() : dispatcher.close()),
  };
}

export function chat(text = 'Say hi', extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'client-model', messages: [{ role: 'user', content: text }], ...extra };
}

export async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

/** Text of the content deltas, in order. */
export function streamedText(chunks: ChatCompletionChunk[]): string {
  return chunks.map((c) => (c.choices[0]?.delta.content as string | undefined) ?? '').join('');
}

/** Tool calls assembled from tool_calls deltas, as an OpenAI SDK client would. */
export function streamedToolCalls(chunks: ChatCompletionChunk[]): Array<{ id: string; name: string; arguments: string }> {
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const c of chunks) {
    const deltas = (c.choices[0]?.delta.tool_calls ?? []) as Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }>;
    for (const d of deltas) {
      const call = (calls[d.index] ??= { id: '', name: '', arguments: '' });
      if (d.id) call.id = d.id;
      if (d.function?.name) call.name = d.function.name;
      if (d.function?.arguments) call.arguments += d.function.arguments;
    }
  }
  return calls;
}

/** Awaits a rejection and returns it as an UpstreamError (fails the test otherwise). */
export async function upstreamFailure(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UpstreamError) return err;
    throw new Error(`expected an UpstreamError, got ${String(err)}`);
  }
  throw new Error('expected the call to fail, it succeeded');
}

/**
 * A bare HTTP server on 127.0.0.1 port 0 whose answers a test writes byte for byte, started before
 * and closed after the file's tests. `baseUrl` ends in /v1, as an OpenAI-compatible base_url does.
 */
export function scriptedUpstream(handle: (req: IncomingMessage, res: ServerResponse) => void): { readonly baseUrl: string } {
  let server: Server;
  const upstream = { baseUrl: '' };
  before(async () => {
    server = createServer(handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    upstream.baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return upstream;
}
