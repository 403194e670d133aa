// What a decision event becomes in OpenTelemetry: a server span for the request with a client span per
// attempt (GenAI semantic conventions, the rest under kt.*), and one log record carrying the event.
// Pure: the exporter turns these plans into SDK spans and log records.
import type { Attempt, DecisionEvent } from '../events/decision-event';

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

export interface SpanPlan {
  name: string;
  kind: 'server' | 'client';
  /** Epoch milliseconds. */
  start: number;
  end: number;
  attributes: Attributes;
  error: string | null;
}

export interface RequestSpans {
  request: SpanPlan;
  attempts: SpanPlan[];
}

export interface LogRecordPlan {
  /** Epoch milliseconds. */
  time: number;
  severity: 'INFO' | 'WARN' | 'ERROR';
  body: string;
  attributes: Attributes;
}

/** `gen_ai.provider.name` values of the GenAI semantic conventions for our provider types. */
const GEN_AI_PROVIDER: Record<string, string> = { openai: 'openai', anthropic: 'anthropic', 'azure-openai': 'azure.ai.openai', ollama: 'ollama', mock: 'kt.mock' };

export function genAiProviderName(providerType: string): string {
  return GEN_AI_PROVIDER[providerType] ?? providerType;
}

/** `gen_ai.operation.name` of the inbound API: Anthropic Messages and OpenAI Responses are chat too. */
export function operationOf(event: DecisionEvent): 'chat' | 'embeddings' {
  return event.api === 'embeddings' ? 'embeddings' : 'chat';
}

function defined(attributes: Record<string, AttributeValue | null | undefined>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && !(typeof value === 'number' && !Number.isFinite(value))) out[key] = value;
  }
  return out;
}

/**
 * The request's spans. Events are recorded when the request ends (`ts`), after `latency_ms`; attempts
 * ran one after another from the start, each for its own `latency_ms`.
 */
export function requestSpans(event: DecisionEvent, providerType: (targetId: string) => string | undefined = () => undefined): RequestSpans {
  const end = Date.parse(event.ts);
  const start = end - Math.max(0, event.latency_ms);
  const operation = operationOf(event);
  const failed = event.decision === 'error';
  const request: SpanPlan = {
    name: `${operation} ${event.model ?? 'unknown'}`,
    kind: 'server',
    start,
    end,
    error: failed ? event.reason ?? 'all_attempts_failed' : null,
    attributes: defined({
      'gen_ai.operation.name': operation,
      'gen_ai.request.model': event.model,
      'gen_ai.response.model': event.resolved_model,
      'gen_ai.provider.name': event.provider ? providerType(event.provider) ?? event.provider : null,
      'gen_ai.usage.input_tokens': event.tokens?.prompt,
      'gen_ai.usage.output_tokens': operation === 'embeddings' ? null : event.tokens?.completion,
      'http.response.status_code': event.http_status,
      'error.type': failed ? event.reason ?? 'all_attempts_failed' : null,
      'kt.event_id': event.id,
      'kt.api': event.api ?? 'chat',
      'kt.model_group': event.model_group,
      'kt.strategy': event.strategy,
      'kt.provider': event.provider,
      'kt.decision': event.decision,
      'kt.fallback_count': event.fallback_count,
      'kt.tag': event.tag,
      'kt.stream': event.stream,
      'kt.time_to_first_token_ms': event.ttft_ms,
      'kt.cost_usd': event.actual_cost_usd ?? event.estimated_cost_usd,
      'kt.cost_estimated': event.actual_cost_usd === null && event.estimated_cost_usd !== null ? true : null,
    }),
  };
  let at = start;
  const attempts = (event.attempts ?? []).map((attempt: Attempt): SpanPlan => {
    const from = at;
    const to = Math.min(end, from + Math.max(0, attempt.latency_ms));
    at = to;
    const ok = attempt.outcome === 'success';
    return {
      name: `${operation} ${attempt.model}`,
      kind: 'client',
      start: from,
      end: to,
      error: ok || attempt.outcome === 'skipped' ? null : attempt.error ?? attempt.outcome,
      attributes: defined({
        'gen_ai.operation.name': operation,
        'gen_ai.request.model': attempt.model,
        'gen_ai.provider.name': providerType(attempt.provider) ?? attempt.provider,
        'http.response.status_code': attempt.status,
        'error.type': ok ? null : attempt.outcome,
        'kt.provider': attempt.provider,
        'kt.attempt.outcome': attempt.outcome,
      }),
    };
  });
  return { request, attempts };
}

/** The decision event itself as a log record: the JSON line the events file holds, minus the hash chain. */
export function eventLogRecord(event: DecisionEvent): LogRecordPlan {
  const { prev_hash: _prev, hash: _hash, ...record } = event;
  return {
    time: Date.parse(event.ts),
    severity: event.decision === 'error' ? 'ERROR' : event.decision === 'blocked' ? 'WARN' : 'INFO',
    body: JSON.stringify(record),
    attributes: defined({
      'event.name': event.kind === 'access' ? 'kt.access' : 'kt.decision',
      'kt.event_id': event.id,
      'kt.decision': event.decision,
      'kt.model_group': event.model_group,
      'gen_ai.request.model': event.model,
      'gen_ai.response.model': event.resolved_model,
    }),
  };
}
