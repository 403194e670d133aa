// Access events (`log_all_access: true`): auth failures, /v1/models and events API reads, in the same log.
import type { DecisionEvent } from './decision-event';
import { newEventId } from './event-log';

export interface AccessFields {
  method: string;
  path: string;
  http_status: number;
  /** The key's name once authenticated; never the secret. */
  key_id: string | null;
  decision: DecisionEvent['decision'];
  reason?: string | null;
  latency_ms?: number;
}

export function accessEvent(fields: AccessFields, now = new Date()): DecisionEvent {
  return {
    id: newEventId(now.getTime()),
    ts: now.toISOString(),
    kind: 'access',
    key_id: fields.key_id,
    model: null,
    model_group: null,
    strategy: null,
    provider: null,
    resolved_model: null,
    tag: null,
    session_id: null,
    stream: false,
    fallback_count: 0,
    attempts: [],
    latency_ms: fields.latency_ms ?? 0,
    ttft_ms: null,
    tokens: { prompt: 0, completion: 0, total: 0 },
    estimated_cost_usd: null,
    actual_cost_usd: null,
    decision: fields.decision,
    reason: fields.reason ?? null,
    http_status: fields.http_status,
    // Query strings are left out: they are the client's business and could carry anything.
    path: `${fields.method.toUpperCase()} ${fields.path.split('?')[0]}`,
  };
}
