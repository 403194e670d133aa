// Ollama through its OpenAI-compatible /v1 API: the OpenAI code path with Ollama's field quirks.
import { createOpenAICompatible } from './openai';
import type { Provider } from './provider';
import { routeFor } from './upstream';

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

export const ollama: Provider = createOpenAICompatible({
  type: 'ollama',
  route: (target) => routeFor(target.baseUrl, 'chat/completions'),
  // Ollama ignores the key but OpenAI clients always send one; an unset key is fine.
  headers: (ctx) => ({ 'content-type': 'application/json', authorization: `Bearer ${ctx.apiKey || 'ollama'}` }),
  adjust: adjustForOllama,
});
