// Ollama through its OpenAI-compatible /v1 API for chat, with Ollama's field quirks, and its native
// /api/embed for embeddings.
import type { ProviderTarget } from '../policy/types';
import { createOpenAICompatible } from './openai';
import { UpstreamError, type AttemptContext, type Embeddings, type EmbeddingsRequest, type Provider } from './provider';
import { openAIErrorShape, postJson, readJson, routeFor, targetLabel, upstreamError, type UpstreamRoute } from './upstream';

/** Ollama reads `max_tokens` only and ignores tool_choice, n and user. */
export function adjustForOllama(body: Record<string, unknown>): void {
  if (body.max_completion_tokens !== undefined) {
    if (body.max_tokens === undefined) body.max_tokens = body.max_completion_tokens;
    delete body.max_completion_tokens;
  }
  // Ollama would ignore "none" and still call tools; not offering them keeps the client's meaning.
  if (body.tool_choice === 'none') delete body.tools;
  delete body.tool_choice;
  delete body.n;
  delete body.user;
}

// Ollama ignores the key but OpenAI clients always send one; an unset key is fine.
const headers = (ctx: AttemptContext) => ({ 'content-type': 'application/json', authorization: `Bearer ${ctx.apiKey || 'ollama'}` });

/** The native API lives at the server's root: `http://host:11434/v1` → `http://host:11434/api/embed`. */
export function ollamaEmbedRoute(target: ProviderTarget): UpstreamRoute {
  const url = new URL(target.baseUrl);
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return routeFor(url.toString(), 'api/embed');
}

/** POST /api/embed `{model, input, dimensions}` → `{embeddings: [[…]], prompt_eval_count}`, answered in OpenAI's shape. */
async function embed(request: EmbeddingsRequest, ctx: AttemptContext): Promise<Embeddings> {
  const input = request.input;
  if (Array.isArray(input) && input.some((x) => typeof x !== 'string')) {
    const message = `target "${ctx.target.id}" is Ollama, whose /api/embed takes text, not token ids. Send input as a string or a list of strings.`;
    throw new UpstreamError('unsupported', message, 400, { error: { message, type: 'invalid_request_error', param: 'input', code: 'token_input_not_supported' } });
  }
  const body: Record<string, unknown> = { model: ctx.model, input };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  const res = await postJson(ctx, ollamaEmbedRoute(ctx.target), headers(ctx), JSON.stringify(body), openAIErrorShape);
  const obj = (await readJson(res, ctx)) as { model?: unknown; embeddings?: unknown; prompt_eval_count?: unknown } | null;
  const vectors = obj?.embeddings;
  if (!Array.isArray(vectors) || !vectors.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'))) {
    throw upstreamError(ctx, 'protocol', `${targetLabel(ctx)} answered /api/embed without a list of embeddings`);
  }
  const tokens = typeof obj?.prompt_eval_count === 'number' ? obj.prompt_eval_count : 0;
  return {
    object: 'list',
    data: (vectors as number[][]).map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model: typeof obj?.model === 'string' && obj.model ? obj.model : ctx.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

export const ollama: Provider = {
  ...createOpenAICompatible({
    type: 'ollama',
    route: (target) => routeFor(target.baseUrl, 'chat/completions'),
    headers,
    adjust: adjustForOllama,
  }),
  embed,
};
