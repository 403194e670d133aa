// POST /v1/chat/completions: validate, resolve the model, plan, try models, answer, record one event.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attempt, DecisionEvent } from '../events/decision-event';
import { newEventId } from '../events/event-log';
import { allows, type AuthFailure, type KeyRecord } from '../keys/key-store';
import { Cancellation } from '../providers/cancellation';
import { answerJson, type ChatCompletionChunk, type ChatRequest, type Usage } from '../providers/provider';
import { sessionKey } from '../routing/affinity';
import { exhaustedMessage, round, runAttempts, type AttemptsOutcome } from '../routing/attempts';
import { planRoute, type RoutePlan, type RoutedModel } from '../routing/plan';
import { costUsd, estimatePromptTokens, requestedCompletionTokens } from '../routing/tokens';
import type { Resolution } from '../runtime/routing-table';
import type { GatewayContext } from './gateway-context';
import { errorBody, readJsonBody, sendError, sendJson, typeForStatus } from './respond';
import { validateChatRequest } from './validate';

/** What is known about a request as it goes; turned into its one DecisionEvent at the end. */
interface RequestRecord {
  /** Made once needed (see eventId in handleChatCompletions), so not before the upstream is asked. */
  id: string;
  startedAt: number;
  key: KeyRecord | undefined;
  request?: ChatRequest;
  resolution?: Resolution;
  plan?: RoutePlan;
  sessionId?: string;
  stream: boolean;
  attempts: Attempt[];
  served?: RoutedModel;
  resolvedModel?: string;
  ttftMs: number | null;
  usage?: Usage;
}

export async function handleChatCompletions(req: IncomingMessage, res: ServerResponse, gw: GatewayContext, auth: KeyRecord | AuthFailure): Promise<void> {
  const rec: RequestRecord = { id: '', startedAt: performance.now(), key: undefined, stream: false, attempts: [], ttftMs: null };
  const eventId = (): string => (rec.id ||= newEventId());
  const refuse = (status: number, message: string, code: string | null, param: string | null = null, decision: DecisionEvent['decision'] = 'blocked') => {
    const id = eventId();
    record(gw, rec, decision, status, message, () => sendError(res, status, message, code, param, { 'x-kt-event-id': id }));
  };
  if ('error' in auth) {
    req.resume();
    return refuse(401, authMessage(auth), 'invalid_api_key');
  }
  const key = auth;
  rec.key = key;

  const body = await readJsonBody(req, gw.maxBodyBytes);
  if (!body.ok) return refuse(body.status, body.message, body.code);
  const valid = validateChatRequest(body.value);
  if (!valid.ok) return refuse(400, valid.message, 'invalid_request', valid.param);
  const request = valid.request;
  rec.request = request;
  rec.stream = request.stream === true;

  const table = gw.table();
  const resolution = table.resolve(request.model);
  rec.resolution = resolution;
  if (resolution.kind === 'not_found') return refuse(404, resolution.message, 'model_not_found', 'model');
  if (resolution.kind === 'ambiguous') return refuse(400, resolution.message, 'ambiguous_model', 'model');

  const scope = resolution.kind === 'group' ? { group: resolution.group.name } : { model: request.model };
  const allowed = allows(key, scope);
  if (allowed !== true) return refuse(403, `${allowed}. Use a key scoped to it (kt keys create --groups …).`, 'model_not_allowed', 'model');

  let plan: RoutePlan;
  if (resolution.kind === 'group') {
    rec.sessionId = resolution.group.session_affinity ? sessionKey(request, header(req, 'x-session-id')) : header(req, 'x-session-id');
    plan = planRoute(resolution.group, request, { sessionKey: rec.sessionId, latency: gw.latency, facts: gw.facts });
  } else {
    plan = { order: [resolution.model], skipped: [], estimatedCostUsd: null };
  }
  rec.plan = plan;
  if (plan.blocked) return refuse(plan.blocked.status, plan.blocked.message, plan.blocked.code);

  const client = new Cancellation();
  res.on('close', () => {
    if (!res.writableFinished) client.abort();
  });
  const attempts = runAttempts(plan.order, { table, request, stream: rec.stream, clientSignal: client, latency: gw.latency, startedAt: rec.startedAt });
  // undici writes a request on a reused keep-alive socket from an immediate (it first checks the idle
  // socket); queued behind that one, the event id is made while the upstream works, not before it is asked.
  setImmediate(eventId);
  const outcome = await attempts;
  eventId();
  rec.attempts = outcome.attempts;
  await answer(res, gw, rec, outcome, request);
}

async function answer(res: ServerResponse, gw: GatewayContext, rec: RequestRecord, outcome: AttemptsOutcome, request: ChatRequest): Promise<void> {
  switch (outcome.kind) {
    case 'completion': {
      rec.served = outcome.model;
      rec.ttftMs = outcome.ttftMs;
      rec.usage = outcome.completion.usage;
      rec.resolvedModel = outcome.model.model;
      const payload = answerJson(outcome.completion);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...routingHeaders(rec, outcome) });
      record(gw, rec, 'allowed', 200, null, () => res.end(payload));
      return;
    }
    case 'stream':
      return streamAnswer(res, gw, rec, outcome, request);
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

/** A header value from text the client or an upstream chose (a direct model name): printable ASCII as is, the rest percent-encoded. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

function routingHeaders(rec: RequestRecord, outcome: { model: RoutedModel; target: { id: string } }): Record<string, string> {
  return {
    'x-kt-resolved-model': headerSafe(outcome.model.model),
    'x-kt-provider': outcome.target.id,
    'x-kt-fallback-count': String(rec.attempts.length - 1),
    'x-kt-event-id': rec.id,
  };
}

async function streamAnswer(res: ServerResponse, gw: GatewayContext, rec: RequestRecord, outcome: Extract<AttemptsOutcome, { kind: 'stream' }>, request: ChatRequest): Promise<void> {
  rec.served = outcome.model;
  rec.ttftMs = outcome.ttftMs;
  rec.resolvedModel = outcome.model.model;
  const wantsUsage = request.stream_options?.include_usage === true;
  // No connection header: Node sends keep-alive itself, and every header is costly to validate here.
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...routingHeaders(rec, outcome) });
  let finished = false;
  const write = (chunk: ChatCompletionChunk): boolean => {
    if (chunk.usage) rec.usage = chunk.usage;
    if (!finished) for (const c of chunk.choices) if (c.finish_reason) finished = true;
    // OpenAI puts "usage": null on every chunk once usage is asked for; only real usage is withheld.
    if (!wantsUsage && chunk.usage) {
      // Usage was asked of the upstream for the event; the client did not ask for it.
      if (chunk.choices.length === 0) return true;
      const { usage: _omit, ...rest } = chunk;
      chunk = rest as ChatCompletionChunk;
    }
    return res.write(`data: ${answerJson(chunk)}\n\n`);
  };
  try {
    if (outcome.first) write(outcome.first);
    for (;;) {
      const next = await outcome.rest.next();
      if (next.done) break;
      if (!write(next.value) && !res.destroyed) await drained(res);
      if (res.destroyed) throw new Error('client disconnected');
    }
    // A stream that stops before any finish_reason was cut: ending it cleanly would pass off a truncated answer as whole.
    if (!finished) throw new Error('the upstream stream ended before the model finished (no finish_reason)');
    record(gw, rec, 'allowed', 200, null, () => res.end('data: [DONE]\n\n'));
  } catch (error) {
    const clientGone = res.destroyed || (error as Error)?.message === 'client disconnected' || (error as { kind?: string })?.kind === 'aborted';
    if (clientGone) {
      await outcome.rest.return?.().catch(() => undefined);
      record(gw, rec, 'error', 499, 'client disconnected during the stream');
    } else {
      // After the first byte there is no falling back: end with an error event the SDK raises.
      const message = `The upstream ${outcome.target.id}/${outcome.model.model} failed mid-stream: ${(error as Error)?.message ?? String(error)}`;
      rec.attempts[rec.attempts.length - 1] = { ...rec.attempts[rec.attempts.length - 1], outcome: 'error', error: message };
      record(gw, rec, 'error', 200, message, () => res.end(`data: ${JSON.stringify(errorBody(message, 'upstream_error', 'stream_interrupted'))}\n\n`));
    }
  } finally {
    outcome.release();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function authMessage(failure: AuthFailure): string {
  if (failure.error === 'missing') return 'Missing gateway key: send "Authorization: Bearer kt_gk_…". Create one with "kt keys create --name NAME", or use the development key in .kt/dev-key.';
  if (failure.error === 'revoked') return 'This gateway key has been revoked. Create a new one with "kt keys create --name NAME".';
  return 'Unknown gateway key. Check the "Authorization: Bearer kt_gk_…" header; "kt keys list" shows the keys this gateway accepts.';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function prices(gw: GatewayContext, m: RoutedModel): { perIn: number; perOut: number } | undefined {
  const facts = gw.facts(m);
  const perIn = m.cost_per_1k_input ?? facts?.inputPer1k;
  const perOut = m.cost_per_1k_output ?? facts?.outputPer1k;
  return perIn === undefined || perOut === undefined ? undefined : { perIn, perOut };
}

/**
 * Builds and appends the request's one event. `finish`, the answer's last write, runs once the event
 * is written (grouped with the others of this turn, see EventLog.append): a client holding a whole
 * answer means its event is on disk.
 */
function record(gw: GatewayContext, rec: RequestRecord, decision: DecisionEvent['decision'], status: number, reason: string | null, finish?: () => void): void {
  if (!gw.events) return finish?.();
  try {
    gw.events.append(buildEvent(gw, rec, decision, status, reason), finish);
  } catch (error) {
    gw.log.error(`could not record event ${rec.id}: ${(error as Error).message}`);
    finish?.();
  }
}

function buildEvent(gw: GatewayContext, rec: RequestRecord, decision: DecisionEvent['decision'], status: number, reason: string | null): DecisionEvent {
  const resolution = rec.resolution;
  const group = resolution?.kind === 'group' ? resolution.group : undefined;
  const served = rec.served;
  const usage = rec.usage;
  const price = served ? prices(gw, served) : undefined;
  let estimated = rec.plan?.estimatedCostUsd ?? null;
  if (estimated === null && served && price && rec.request) {
    estimated = costUsd(estimatePromptTokens(rec.request, served.model), requestedCompletionTokens(rec.request), price.perIn, price.perOut);
  }
  const actual = usage && price ? costUsd(usage.prompt_tokens, usage.completion_tokens, price.perIn, price.perOut) : null;
  const successIndex = rec.attempts.findIndex((a) => a.outcome === 'success');
  return {
    id: rec.id,
    ts: new Date().toISOString(),
    kind: 'request',
    api: 'chat',
    key_id: rec.key?.name ?? null,
    model: rec.request?.model ?? null,
    model_group: group?.name ?? null,
    strategy: group ? group.strategy : resolution?.kind === 'direct' ? 'direct' : null,
    provider: served?.provider ?? null,
    resolved_model: rec.resolvedModel ?? null,
    tag: served?.tag ?? null,
    session_id: rec.sessionId ?? null,
    stream: rec.stream,
    fallback_count: successIndex >= 0 ? successIndex : Math.max(0, rec.attempts.length - 1),
    attempts: rec.attempts,
    skipped: rec.plan?.skipped.length ? rec.plan.skipped : undefined,
    latency_ms: round(performance.now() - rec.startedAt),
    ttft_ms: rec.ttftMs,
    tokens: { prompt: usage?.prompt_tokens ?? 0, completion: usage?.completion_tokens ?? 0, total: usage?.total_tokens ?? (usage ? usage.prompt_tokens + usage.completion_tokens : 0) },
    estimated_cost_usd: estimated === null ? null : roundUsd(estimated),
    actual_cost_usd: actual === null ? null : roundUsd(actual),
    decision,
    reason,
    http_status: status,
  };
}

function roundUsd(v: number): number {
  return Math.round(v * 1e8) / 1e8;
}
