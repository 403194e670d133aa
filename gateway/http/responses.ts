// POST /v1/responses: the OpenAI Responses API, stateless, translated onto the chat pipeline so every
// provider and strategy serves it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ResponsesStreamEncoder, fromResponsesRequest, toResponse } from '../wire/responses';
import type { GatewayContext } from './gateway-context';
import { refuseMethod, serveInbound, untranslatable, type InboundApi } from './pipeline';

/** The client's own body, which the `response` object echoes. */
type ResponsesBody = Record<string, unknown>;

export const responsesApi: InboundApi<ResponsesBody> = {
  api: 'responses',
  keyHint: '"Authorization: Bearer kt_gk_…"',
  bodyHint: { example: '{"model": "fast-chat", "input": "Hello"}', fields: '"model" and "input"' },
  parse(body) {
    try {
      const request = fromResponsesRequest(body);
      return { ok: true, request, inbound: body as ResponsesBody };
    } catch (error) {
      return untranslatable(error);
    }
  },
  errorBody: (_status, error) => ({ error }),
  completionJson: (completion, body) => JSON.stringify(toResponse(completion, body)),
  streamEncoder: (body) => new ResponsesStreamEncoder(body, String(body.model)),
};

export async function handleResponses(req: IncomingMessage, res: ServerResponse, gw: GatewayContext): Promise<void> {
  if (refuseMethod(req, res, responsesApi, '/v1/responses')) return;
  return serveInbound(req, res, gw, gw.keys.authenticate(req.headers.authorization), responsesApi);
}
