// The one request pipeline every inbound API runs: authenticate, resolve the model, check the key's
// scope, plan, try models with fallback, answer, record one DecisionEvent. An InboundApi only
// translates its wire format to the chat request and the chat answer back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attempt, DecisionEvent, GatewayApi } from '../events/decision-event';
import { newEventId } from '../events/event-log';
import { allows, type AuthFailure, type KeyRecord } from '../keys/key-store';
import { Cancellation } from '../providers/cancellation';
import { UpstreamError, type ChatCompletion, type ChatCompletionChunk, type ChatRequest, type Usage } from '../providers/provider';
import { sessionKey } from '../routing/affinity';
import { exhaustedMessage, round, runAttempts, type AttemptsOutcome } from '../routing/attempts';
import { planRoute, type PlanContext, type RoutedGroup, type RoutePlan, type RoutedModel } from '../routing/plan';
import { costUsd, estimatePromptTokens, requestedCompletionTokens } from '../routing/tokens';
import type { ProviderType } from '../policy/types';
import type { Resolution, RoutingTable } from '../runtime/routing-table';
import { recordDecision, type GatewayContext } from './gateway-context';
import { drained, readJsonBody, sendJson, typeForStatus, type OpenAIError } from './respond';

export type Parsed<T> = { ok: true; request: ChatRequest; inbound: T } | { ok: false; message: string; param: string | null };

/** Writes one streamed answer in an inbound API's event format. */
export interface StreamEncoder {
  /** The text to write for a chat chunk ('' for none). */
  chunk(chunk: ChatCompletionChunk): string;
  /** The closing text once the upstream finished. */
  end(): string;
  /** The closing text when the upstream failed after the first byte: an error event the client's SDK raises. */
  fail(message: string): string;
}

/** One inbound wire format (Chat Completions, Anthropic Messages, Responses) over the chat pipeline. */
export interface InboundApi<T> {
  api: GatewayApi;
  /** How the client sends its gateway key, for the 401 message. */
  keyHint: string;
  /** What its body looks like, for the 400s on unreadable bodies. */
  bodyHint: { example: string; fields: string };
  /** Validates the body and translates it to the chat request the routes run. */
  parse(body: unknown, req: IncomingMessage): Parsed<T>;
  /** This API's error body for an OpenAI-shaped error (the gateway's own or an upstream's). */
  errorBody(status: number, error: OpenAIError): unknown;
  /** Why a target of this type cannot serve the request (its content has no chat form), or undefined. */
  refusesTarget?(inbound: T, type: ProviderType): string | undefined;
  completionJson(completion: ChatCompletion, inbound: T): string;
  streamEncoder(inbound: T): StreamEncoder;
}

export type Routed = { ok: true; plan: RoutePlan } | { ok: false; status: number; message: string; code: string; param: string | null };

/**
 * The steps every request route shares once its body is read: resolve the model, check the key's scope,
 * derive the session, plan. Fills `rec` as it goes so a refusal's event says how far the request got.
 */
export function routeRequest<R extends { model: string; user?: unknown; messages?: ChatRequest['messages'] }>(
  req: IncomingMessage, gw: GatewayContext, table: RoutingTable, key: KeyRecord, request: R,
  planGroup: (group: RoutedGroup, request: R, ctx: PlanContext) => RoutePlan,
  rec: { resolution?: Resolution; sessionId?: string },
): Routed {
  const resolution = table.resolve(request.model);
  rec.resolution = resolution;
  if (resolution.kind === 'not_found') return { ok: false, status: 404, message: resolution.message, code: 'model_not_found', param: 'model' };
  if (resolution.kind === 'ambiguous') return { ok: false, status: 400, message: resolution.message, code: 'ambiguous_model', param: 'model' };
  const allowed = allows(key, resolution.kind === 'group' ? { group: resolution.group.name } : { model: request.model });
  if (allowed !== true) return { ok: false, status: 403, message: `${allowed}. Use a key scoped to it (kt keys create --groups …).`, code: 'model_not_allowed', param: 'model' };
  if (resolution.kind !== 'group') return { ok: true, plan: { order: [resolution.model], skipped: [], estimatedCostUsd: null } };
  rec.sessionId = resolution.group.session_affinity ? sessionKey(request, header(req, 'x-session-id')) : header(req, 'x-session-id');
  return { ok: true, plan: planGroup(resolution.group, request, { sessionKey: rec.sessionId, latency: gw.latency, facts: gw.facts }) };
}

/** What is known about a request as it goes; turned into its one DecisionEvent at the end. */
interface RequestRecord {
  api: GatewayApi;
  /** Made once needed (see eventId in serveInbound), so not before the upstream is asked. */
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

/** Answers an error in the API's shape. */
export function sendApiError<T>(res: ServerResponse, api: InboundApi<T>, status: number, message: string, code: string | null = null, param: string | null = null, headers: Record<string, string> = {}): void {
  sendJson(res, status, api.errorBody(status, { message, type: typeForStatus(status), param, code }), headers);
}

/** 405 for anything but POST on an inbound API's route. */
export function refuseMethod<T>(req: IncomingMessage, res: ServerResponse, api: InboundApi<T>, path: string): boolean {
  if (req.method === 'POST') return false;
  req.resume();
  sendApiError(res, api, 405, `Use POST ${path}.`, 'method_not_allowed', null, { allow: 'POST' });
  return true;
}

export async function serveInbound<T>(req: IncomingMessage, res: ServerResponse, gw: GatewayContext, auth: KeyRecord | AuthFailure, api: InboundApi<T>): Promise<void> {
  const rec: RequestRecord = { api: api.api, id: '', startedAt: performance.now(), key: undefined, stream: false, attempts: [], ttftMs: null };
  const eventId = (): string => (rec.id ||= newEventId());
  const refuse = (status: number, message: string, code: string | null, param: string | null = null, decision: DecisionEvent['decision'] = 'blocked') => {
    const id = eventId();
    record(gw, rec, decision, status, message, () => sendApiError(res, api, status, message, code, param, { 'x-kt-event-id': id }));
  };
  if ('error' in auth) {
    req.resume();
    return refuse(401, authMessage(auth, api.keyHint), 'invalid_api_key');
  }
  const key = auth;
  rec.key = key;

  const body = await readJsonBody(req, gw.maxBodyBytes, api.bodyHint);
  if (!body.ok) return refuse(body.status, body.message, body.code);
  const parsed = api.parse(body.value, req);
  if (!parsed.ok) return refuse(400, parsed.message, 'invalid_request', parsed.param);
  const { request, inbound } = parsed;
  rec.request = request;
  rec.stream = request.stream === true;

  const table = gw.table();
  const routed = routeRequest(req, gw, table, key, request, planRoute, rec);
  if (!routed.ok) return refuse(routed.status, routed.message, routed.code, routed.param);
  let plan = routed.plan;
  if (api.refusesTarget) plan = withoutRefused(plan, table, (type) => api.refusesTarget!(inbound, type));
  rec.plan = plan;
  if (plan.blocked) return refuse(plan.blocked.status, plan.blocked.message, plan.blocked.code);
  if (plan.order.length === 0 && plan.skipped.length) {
    return refuse(400, `No model of "${request.model}" can serve this request: ${plan.skipped[plan.skipped.length - 1].reason}. Send it to a model group with such a target, or leave that content out.`, 'unsupported_content');
  }

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
  await answer(res, gw, rec, outcome, api, inbound);
}

/** The plan without the models whose target cannot serve the request, each recorded as skipped with why. */
function withoutRefused(plan: RoutePlan, table: RoutingTable, refuses: (type: ProviderType) => string | undefined): RoutePlan {
  const skipped = [...plan.skipped];
  const order = plan.order.filter((m) => {
    const type = table.targets.get(m.provider)?.type;
    const reason = type ? refuses(type) : undefined;
    if (reason) skipped.push({ provider: m.provider, model: m.model, reason });
    return !reason;
  });
  return order.length === plan.order.length ? plan : { ...plan, order, skipped };
}

async function answer<T>(res: ServerResponse, gw: GatewayContext, rec: RequestRecord, outcome: AttemptsOutcome, api: InboundApi<T>, inbound: T): Promise<void> {
  switch (outcome.kind) {
    case 'completion': {
      rec.served = outcome.model;
      rec.ttftMs = outcome.ttftMs;
      rec.usage = outcome.completion.usage;
      rec.resolvedModel = outcome.model.model;
      const payload = api.completionJson(outcome.completion, inbound);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...routingHeaders(rec, outcome) });
      record(gw, rec, 'allowed', 200, null, () => res.end(payload));
      return;
    }
    case 'stream':
      return streamAnswer(res, gw, rec, outcome, api.streamEncoder(inbound));
    case 'client_error': {
      rec.served = outcome.model;
      const status = outcome.error.status ?? 400;
      const error = outcome.error.body?.error;
      const shaped: OpenAIError = { message: error?.message ?? outcome.error.message, type: error?.type ?? typeForStatus(status), param: error?.param ?? null, code: error?.code ?? null };
      record(gw, rec, 'error', status, `${outcome.target.id}/${outcome.model.model} answered HTTP ${status}: ${shaped.message}`, () =>
        sendJson(res, status, api.errorBody(status, shaped), { 'x-kt-event-id': rec.id, 'x-kt-provider': outcome.target.id, 'x-kt-resolved-model': headerSafe(outcome.model.model) }));
      return;
    }
    case 'aborted':
      record(gw, rec, 'error', 499, 'client disconnected before the answer');
      return;
    case 'exhausted': {
      const message = exhaustedMessage(outcome.attempts);
      record(gw, rec, 'error', 502, message, () =>
        sendApiError(res, api, 502, message, 'all_attempts_failed', null, { 'x-kt-event-id': rec.id, 'x-kt-fallback-count': String(Math.max(0, outcome.attempts.length - 1)) }));
    }
  }
}

/** A header value from text the client or an upstream chose (a direct model name): printable ASCII as is, the rest percent-encoded. */
export function headerSafe(value: string): string {
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

async function streamAnswer(res: ServerResponse, gw: GatewayContext, rec: RequestRecord, outcome: Extract<AttemptsOutcome, { kind: 'stream' }>, encoder: StreamEncoder): Promise<void> {
  rec.served = outcome.model;
  rec.ttftMs = outcome.ttftMs;
  rec.resolvedModel = outcome.model.model;
  // No connection header: Node sends keep-alive itself, and every header is costly to validate here.
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...routingHeaders(rec, outcome) });
  let finished = false;
  const write = (chunk: ChatCompletionChunk): boolean => {
    if (chunk.usage) rec.usage = chunk.usage;
    if (!finished) for (const c of chunk.choices) if (c.finish_reason) finished = true;
    const text = encoder.chunk(chunk);
    return text === '' || res.write(text);
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
    record(gw, rec, 'allowed', 200, null, () => res.end(encoder.end()));
  } catch (error) {
    const clientGone = res.destroyed || (error as Error)?.message === 'client disconnected' || (error as { kind?: string })?.kind === 'aborted';
    if (clientGone) {
      await outcome.rest.return?.().catch(() => undefined);
      record(gw, rec, 'error', 499, 'client disconnected during the stream');
    } else {
      // After the first byte there is no falling back: end with an error event the SDK raises.
      const message = `The upstream ${outcome.target.id}/${outcome.model.model} failed mid-stream: ${(error as Error)?.message ?? String(error)}`;
      rec.attempts[rec.attempts.length - 1] = { ...rec.attempts[rec.attempts.length - 1], outcome: 'error', error: message };
      record(gw, rec, 'error', 200, message, () => res.end(encoder.fail(message)));
    }
  } finally {
    outcome.release();
  }
}


/** The parse result for a translation that threw: an UpstreamError 400 names what to fix, anything else is a bug. */
export function untranslatable(error: unknown): { ok: false; message: string; param: string | null } {
  if (error instanceof UpstreamError && error.status === 400) return { ok: false, message: error.message, param: error.body?.error.param ?? null };
  throw error;
}

export function authMessage(failure: AuthFailure, keyHint = '"Authorization: Bearer kt_gk_…"'): string {
  if (failure.error === 'missing') return `Missing gateway key: send ${keyHint}. Create one with "kt keys create --name NAME", or use the development key in .kt/dev-key.`;
  if (failure.error === 'revoked') return 'This gateway key has been revoked. Create a new one with "kt keys create --name NAME".';
  return `Unknown gateway key. Check the ${keyHint} header; "kt keys list" shows the keys this gateway accepts.`;
}

export function header(req: IncomingMessage, name: string): string | undefined {
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
 * Builds and appends the request's one event. `finish`, the answer's last write, runs once the event is
 * written (grouped with the others of this turn, see EventLog.append): a client holding a whole answer
 * means its event is on disk.
 */
function record(gw: GatewayContext, rec: RequestRecord, decision: DecisionEvent['decision'], status: number, reason: string | null, finish?: () => void): void {
  recordDecision(gw, rec.id, () => buildEvent(gw, rec, decision, status, reason), finish);
}

function buildEvent(gw: GatewayContext, rec: RequestRecord, decision: DecisionEvent['decision'], status: number, reason: string | null): DecisionEvent {
  const served = rec.served;
  const usage = rec.usage;
  const price = served ? prices(gw, served) : undefined;
  let estimated = rec.plan?.estimatedCostUsd ?? null;
  if (estimated === null && served && price && rec.request) {
    estimated = costUsd(estimatePromptTokens(rec.request, served.model), requestedCompletionTokens(rec.request), price.perIn, price.perOut);
  }
  const actual = usage && price ? costUsd(usage.prompt_tokens, usage.completion_tokens, price.perIn, price.perOut) : null;
  const tokens = { prompt: usage?.prompt_tokens ?? 0, completion: usage?.completion_tokens ?? 0, total: usage?.total_tokens ?? (usage ? usage.prompt_tokens + usage.completion_tokens : 0) };
  return requestEvent(rec, { api: rec.api, stream: rec.stream, tokens, estimated, actual, decision, status, reason });
}

/** What a request route knows when its event is built; the route computes tokens and cost its own way. */
export interface RequestFacts {
  id: string;
  startedAt: number;
  key: KeyRecord | undefined;
  request?: { model: string };
  resolution?: Resolution;
  plan?: RoutePlan;
  sessionId?: string;
  attempts: Attempt[];
  served?: RoutedModel;
  resolvedModel?: string;
  ttftMs: number | null;
}

/** The one shape of a request's DecisionEvent, for every route. */
export function requestEvent(
  rec: RequestFacts,
  o: { api: GatewayApi; stream: boolean; tokens: DecisionEvent['tokens']; estimated: number | null; actual: number | null; decision: DecisionEvent['decision']; status: number; reason: string | null },
): DecisionEvent {
  const resolution = rec.resolution;
  const group = resolution?.kind === 'group' ? resolution.group : undefined;
  const served = rec.served;
  const successIndex = rec.attempts.findIndex((a) => a.outcome === 'success');
  return {
    id: rec.id,
    ts: new Date().toISOString(),
    kind: 'request',
    api: o.api,
    key_id: rec.key?.name ?? null,
    model: rec.request?.model ?? null,
    model_group: group?.name ?? null,
    strategy: group ? group.strategy : resolution?.kind === 'direct' ? 'direct' : null,
    provider: served?.provider ?? null,
    resolved_model: rec.resolvedModel ?? null,
    tag: served?.tag ?? null,
    session_id: rec.sessionId ?? null,
    stream: o.stream,
    fallback_count: successIndex >= 0 ? successIndex : Math.max(0, rec.attempts.length - 1),
    attempts: rec.attempts,
    skipped: rec.plan?.skipped.length ? rec.plan.skipped : undefined,
    latency_ms: round(performance.now() - rec.startedAt),
    ttft_ms: rec.ttftMs,
    tokens: o.tokens,
    estimated_cost_usd: o.estimated === null ? null : roundUsd(o.estimated),
    actual_cost_usd: o.actual === null ? null : roundUsd(o.actual),
    decision: o.decision,
    reason: o.reason,
    http_status: o.status,
  };
}

export function roundUsd(v: number): number {
  return Math.round(v * 1e8) / 1e8;
}
