// POST /v1/messages: the Anthropic Messages API in, over the same routes as chat, answered in Anthropic's shapes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatRequest } from '../providers/provider';
import { AnthropicStreamEncoder, anthropicErrorBody, anthropicMessageJson, errorTypeForStatus, fromAnthropicRequest, keepClientBody, STATUS_OF_ERROR_TYPE } from '../wire/anthropic';
import type { GatewayContext } from './gateway-context';
import { refuseMethod, serveInbound, untranslatable, type InboundApi } from './pipeline';

export const messagesApi: InboundApi<ChatRequest> = {
  api: 'messages',
  keyHint: '"x-api-key: kt_gk_…" (or "Authorization: Bearer kt_gk_…")',
  parse(body) {
    try {
      // An Anthropic target gets the body itself: nothing the translation drops is lost there.
      const request = keepClientBody(fromAnthropicRequest(body), body as Record<string, unknown>);
      return { ok: true, request, inbound: request };
    } catch (error) {
      return untranslatable(error);
    }
  },
  // An Anthropic upstream's own error type is kept; any other is named by its status.
  errorBody: (status, error) => anthropicErrorBody(Object.hasOwn(STATUS_OF_ERROR_TYPE, error.type) ? error.type : errorTypeForStatus(status), error.message),
  completionJson: (completion) => anthropicMessageJson(completion),
  streamEncoder: (request) => new AnthropicStreamEncoder(request.model),
};

/** Anthropic SDKs send the key as x-api-key; OpenAI-style clients as a bearer token. Either is the gateway key. */
function gatewayKey(req: IncomingMessage): string | undefined {
  if (req.headers.authorization) return req.headers.authorization;
  const key = req.headers['x-api-key'];
  const value = Array.isArray(key) ? key[0] : key;
  return value ? `Bearer ${value}` : undefined;
}

export async function handleMessages(req: IncomingMessage, res: ServerResponse, gw: GatewayContext): Promise<void> {
  if (refuseMethod(req, res, messagesApi, '/v1/messages')) return;
  return serveInbound(req, res, gw, gw.keys.authenticate(gatewayKey(req)), messagesApi);
}
