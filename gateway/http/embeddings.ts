// POST /v1/embeddings: validate, resolve the model, plan, try models, answer in OpenAI's shape, record one event.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attempt, DecisionEvent } from '../events/decision-event';
import { newEventId } from '../events/event-log';
import type { AuthFailure, KeyRecord } from '../keys/key-store';
import { Cancellation } from '../providers/cancellation';
import { embeddingsSentAs, type Embeddings, type EmbeddingsRequest } from '../providers/provider';
import { exhaustedMessage, runEmbeddingAttempts, type EmbeddingsOutcome } from '../routing/attempts';
import { planEmbeddingRoute, type RoutePlan, type RoutedModel } from '../routing/plan';
import { costUsd, embeddingInputTokens } from '../routing/tokens';
import type { Resolution } from '../runtime/routing-table';
import { authMessage, headerSafe, requestEvent, routeRequest } from './pipeline';
import { recordDecision, type GatewayContext } from './gateway-context';
import { errorBody, readJsonBody, sendError, sendJson, typeForStatus } from './respond';
import { validateEmbeddingsRequest } from './validate';

/** What is known about an embeddings request as it goes; turned into its one DecisionEvent at the end. */
interface EmbeddingsRecord {
  id: string;
  startedAt: number;
  key: KeyRecord | undefined;
  request?: EmbeddingsRequest;
  resolution?: Resolution;
  plan?: RoutePlan;
  sessionId?: string;
  attempts: Attempt[];
  served?: RoutedModel;
  resolvedModel?: string;
  ttftMs: number | null;
  promptTokens?: number;
}

/** OpenAI's base64 form: the vector's float32 values, little-endian, as one base64 string. */
export function base64Embedding(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i], i * 4);
  return bytes.toString('base64');
}

/** The answer's JSON for the client, vectors as floats or base64 as it asked: the upstream's own text when it already is. */
export function embeddingsJson(answer: Embeddings, format: EmbeddingsRequest['encoding_format']): string {
  const sent = embeddingsSentAs(answer, format ?? 'float');
  if (sent !== undefined) return sent;
  if (format !== 'base64') return JSON.stringify(answer);
  return JSON.stringify({ ...answer, data: answer.data.map((d) => ({ object: d.object, index: d.index, embedding: base64Embedding(d.embedding) })) });
}

export async function handleEmbeddings(req: IncomingMessage, res: ServerResponse, gw: GatewayContext, auth: KeyRecord | AuthFailure): Promise<void> {
  const rec: EmbeddingsRecord = { id: newEventId(), startedAt: performance.now(), key: undefined, attempts: [], ttftMs: null };
  const refuse = (status: number, message: string, code: string | null, param: string | null = null) => {
    record(gw, rec, 'blocked', status, message, () => sendError(res, status, message, code, param, { 'x-kt-event-id': rec.id }));
  };
  if ('error' in auth) {
    req.resume();
    return refuse(401, authMessage(auth), 'invalid_api_key');
  }
  rec.key = auth;

  const body = await readJsonBody(req, gw.maxBodyBytes);
  if (!body.ok) return refuse(body.status, body.message, body.code);
  const valid = validateEmbeddingsRequest(body.value);
  if (!valid.ok) return refuse(400, valid.message, 'invalid_request', valid.param);
  const request = valid.request;
  rec.request = request;

  const table = gw.table();
  const routed = routeRequest(req, gw, table, auth, request, planEmbeddingRoute, rec);
  if (!routed.ok) return refuse(routed.status, routed.message, routed.code, routed.param);
  const plan = routed.plan;
  rec.plan = plan;
  if (plan.blocked) return refuse(plan.blocked.status, plan.blocked.message, plan.blocked.code);

  const client = new Cancellation();
  res.on('close', () => {
    if (!res.writableFinished) client.abort();
  });
  const outcome = await runEmbeddingAttempts(plan.order, { table, request, clientSignal: client, latency: gw.latency, startedAt: rec.startedAt });
  rec.attempts = outcome.attempts;
  answer(res, gw, rec, outcome, request);
}

function answer(res: ServerResponse, gw: GatewayContext, rec: EmbeddingsRecord, outcome: EmbeddingsOutcome, request: EmbeddingsRequest): void {
  switch (outcome.kind) {
    case 'embeddings': {
      rec.served = outcome.model;
      rec.resolvedModel = outcome.embeddings.model;
      rec.ttftMs = outcome.ttftMs;
      rec.promptTokens = outcome.embeddings.usage.prompt_tokens;
      const payload = embeddingsJson(outcome.embeddings, request.encoding_format);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'x-kt-resolved-model': headerSafe(outcome.embeddings.model),
        'x-kt-provider': outcome.target.id,
        'x-kt-fallback-count': String(outcome.attempts.length - 1),
        'x-kt-event-id': rec.id,
      });
      record(gw, rec, 'allowed', 200, null, () => res.end(payload));
      return;
    }
    case 'client_error': {
      rec.served = outcome.model;
      const status = outcome.error.status ?? 400;
      const body = outcome.error.body ?? errorBody(outcome.error.message, typeForStatus(status));
      record(gw, rec, 'error', status, `${outcome.target.id}/${outcome.model.model} answered HTTP ${status}: ${body.error.message}`, () =>
        sendJson(res, status, body, { 'x-kt-event-id': rec.id, 'x-kt-provider': outcome.target.id, 'x-kt-resolved-model': headerSafe(outcome.model.model) }));
      return;
    }
    case 'aborted':
      record(gw, rec, 'error', 499, 'client disconnected before the answer');
      return;
    case 'exhausted': {
      const message = exhaustedMessage(outcome.attempts);
      record(gw, rec, 'error', 502, message, () =>
        sendError(res, 502, message, 'all_attempts_failed', null, { 'x-kt-event-id': rec.id, 'x-kt-fallback-count': String(Math.max(0, outcome.attempts.length - 1)) }));
    }
  }
}

/** Appends the request's one event; `finish`, the answer's last write, runs once it is written (as in pipeline.ts). */
function record(gw: GatewayContext, rec: EmbeddingsRecord, decision: DecisionEvent['decision'], status: number, reason: string | null, finish?: () => void): void {
  recordDecision(gw, rec.id, () => buildEvent(gw, rec, decision, status, reason), finish);
}

function buildEvent(gw: GatewayContext, rec: EmbeddingsRecord, decision: DecisionEvent['decision'], status: number, reason: string | null): DecisionEvent {
  const served = rec.served;
  // Embeddings are priced on input tokens only.
  const perIn = served ? served.cost_per_1k_input ?? gw.facts(served)?.inputPer1k : undefined;
  let estimated = rec.plan?.estimatedCostUsd ?? null;
  if (estimated === null && served && perIn !== undefined && rec.request) {
    estimated = costUsd(embeddingInputTokens(rec.request.input, served.model).reduce((a, n) => a + n, 0), 0, perIn, 0);
  }
  const prompt = rec.promptTokens;
  const actual = prompt !== undefined && perIn !== undefined ? costUsd(prompt, 0, perIn, 0) : null;
  return requestEvent(rec, { api: 'embeddings', stream: false, tokens: { prompt: prompt ?? 0, completion: 0, total: prompt ?? 0 }, estimated, actual, decision, status, reason });
}
