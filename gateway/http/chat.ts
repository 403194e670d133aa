// POST /v1/chat/completions: the gateway's own API, so the chat request passes through as sent.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthFailure, KeyRecord } from '../keys/key-store';
import { answerJson, type ChatCompletionChunk, type ChatRequest } from '../providers/provider';
import type { GatewayContext } from './gateway-context';
import { CHAT_BODY_HINT, errorBody } from './respond';
import { serveInbound, type InboundApi, type StreamEncoder } from './pipeline';
import { validateChatRequest } from './validate';

export { authMessage } from './pipeline';

/** Chunks as `data:` lines and `[DONE]`; usage only when the client asked for it. */
function chatStream(request: ChatRequest): StreamEncoder {
  const wantsUsage = request.stream_options?.include_usage === true;
  return {
    chunk(chunk: ChatCompletionChunk): string {
      // OpenAI puts "usage": null on every chunk once usage is asked for; only real usage is withheld.
      if (!wantsUsage && chunk.usage) {
        // Usage was asked of the upstream for the event; the client did not ask for it.
        if (chunk.choices.length === 0) return '';
        const { usage: _omit, ...rest } = chunk;
        chunk = rest as ChatCompletionChunk;
      }
      return `data: ${answerJson(chunk)}\n\n`;
    },
    end: () => 'data: [DONE]\n\n',
    fail: (message) => `data: ${JSON.stringify(errorBody(message, 'upstream_error', 'stream_interrupted'))}\n\n`,
  };
}

export const chatApi: InboundApi<ChatRequest> = {
  api: 'chat',
  keyHint: '"Authorization: Bearer kt_gk_…"',
  bodyHint: CHAT_BODY_HINT,
  parse(body) {
    const valid = validateChatRequest(body);
    return valid.ok ? { ok: true, request: valid.request, inbound: valid.request } : valid;
  },
  errorBody: (_status, error) => ({ error }),
  completionJson: (completion) => answerJson(completion),
  streamEncoder: chatStream,
};

export function handleChatCompletions(req: IncomingMessage, res: ServerResponse, gw: GatewayContext, auth: KeyRecord | AuthFailure): Promise<void> {
  return serveInbound(req, res, gw, auth, chatApi);
}
