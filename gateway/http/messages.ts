// POST /v1/messages: the Anthropic Messages API in, over the same routes as chat, answered in Anthropic's shapes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatRequest } from '../providers/provider';
import { AnthropicStreamEncoder, anthropicErrorBody, anthropicMessageJson, errorTypeForStatus, fromAnthropicRequest, keepClientBody, STATUS_OF_ERROR_TYPE } from '../wire/anthropic';
import type { GatewayContext } from './gateway-context';
import { refuseMethod, serveInbound, untranslatable, type InboundApi } from './pipeline';

/** The translated request, and the first content only an Anthropic target can take, if any. */
interface MessagesRequest { request: ChatRequest; anthropicOnly?: string }

export const messagesApi: InboundApi<MessagesRequest> = {
  api: 'messages',
  keyHint: '"x-api-key: kt_gk_…" (or "Authorization: Bearer kt_gk_…")',
  bodyHint: { example: '{"model": "fast-chat", "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello"}]}', fields: '"model", "max_tokens" and "messages"' },
  parse(body, req) {
    try {
      let anthropicOnly: string | undefined;
      const translated = fromAnthropicRequest(body, (reason) => { anthropicOnly ??= reason; });
      // An Anthropic target gets the request itself: nothing the translation drops is lost there.
      const request = keepClientBody(translated, { body: body as Record<string, unknown>, beta: headerValue(req, 'anthropic-beta') });
      return { ok: true, request, inbound: { request, anthropicOnly } };
    } catch (error) {
      return untranslatable(error);
    }
  },
  refusesTarget: (inbound, type) => (inbound.anthropicOnly && type !== 'anthropic' ? inbound.anthropicOnly : undefined),
  // An Anthropic upstream's own error type is kept; any other is named by its status.
  errorBody: (status, error) => anthropicErrorBody(Object.hasOwn(STATUS_OF_ERROR_TYPE, error.type) ? error.type : errorTypeForStatus(status), error.message),
  completionJson: (completion) => anthropicMessageJson(completion),
  streamEncoder: (inbound) => new AnthropicStreamEncoder(inbound.request.model),
};

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return (Array.isArray(v) ? v.join(',') : v) || undefined;
}

/** Anthropic SDKs send the key as x-api-key; OpenAI-style clients as a bearer token. Either is the gateway key. */
function gatewayKey(req: IncomingMessage): string | undefined {
  if (req.headers.authorization) return req.headers.authorization;
  const key = headerValue(req, 'x-api-key');
  return key ? `Bearer ${key}` : undefined;
}

export async function handleMessages(req: IncomingMessage, res: ServerResponse, gw: GatewayContext): Promise<void> {
  if (refuseMethod(req, res, messagesApi, '/v1/messages')) return;
  return serveInbound(req, res, gw, gw.keys.authenticate(gatewayKey(req)), messagesApi);
}
