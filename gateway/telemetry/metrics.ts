// What a decision event adds to the gateway's Prometheus metrics: pure, so the mapping is tested without a server.
// Names follow the OpenTelemetry GenAI semantic conventions as Prometheus spells them; the rest are kt_.
import type { DecisionEvent, GatewayApi } from '../events/decision-event';

export type Labels = Record<string, string>;

export type CounterName = 'kt_requests_total' | 'kt_fallbacks_total' | 'kt_cost_usd_total';
export type HistogramName = 'gen_ai_client_operation_duration_seconds' | 'gen_ai_client_token_usage' | 'kt_time_to_first_token_seconds';

export type MetricUpdate =
  | { metric: CounterName; labels: Labels; inc: number }
  | { metric: HistogramName; labels: Labels; observe: number };

export interface MetricSpec {
  type: 'counter' | 'histogram';
  help: string;
  labelNames: readonly string[];
  buckets?: readonly number[];
}

/** 1 ms to 60 s: a cached mock answer and a long completion both land in a bucket of their own. */
export const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60] as const;
/** The GenAI conventions' advice for gen_ai.client.token.usage. */
export const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] as const;

const KT_LABELS = ['api', 'model_group', 'resolved_model', 'provider'] as const;
const GEN_AI_LABELS = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_response_model'] as const;

export const METRICS: Record<CounterName | HistogramName, MetricSpec> = {
  kt_requests_total: { type: 'counter', help: 'Requests the gateway answered, by routing outcome.', labelNames: [...KT_LABELS, 'decision'] },
  kt_fallbacks_total: { type: 'counter', help: 'Attempts that failed before the one that answered (or before giving up).', labelNames: KT_LABELS },
  kt_cost_usd_total: { type: 'counter', help: 'Cost in USD of the tokens used, at the configured or known prices.', labelNames: KT_LABELS },
  kt_time_to_first_token_seconds: { type: 'histogram', help: 'Time from the request to the first byte of the answer.', labelNames: [...KT_LABELS, 'stream'], buckets: SECONDS_BUCKETS },
  gen_ai_client_operation_duration_seconds: { type: 'histogram', help: 'GenAI operation duration: the whole request, as the gateway served it.', labelNames: [...GEN_AI_LABELS, 'error_type'], buckets: SECONDS_BUCKETS },
  gen_ai_client_token_usage: { type: 'histogram', help: 'Tokens used per request, input and output apart.', labelNames: [...GEN_AI_LABELS, 'gen_ai_token_type'], buckets: TOKEN_BUCKETS },
};

/** The names a config defines: the only label values allowed, so clients cannot grow the series count. */
export interface LabelVocabulary {
  groups: ReadonlySet<string>;
  models: ReadonlySet<string>;
  providers: ReadonlySet<string>;
}

/** A name from outside the config (a direct `provider/anything` request) is counted under this. */
export const OTHER = 'other';

const APIS: ReadonlySet<GatewayApi> = new Set(['chat', 'messages', 'responses', 'embeddings']);
const OPERATION: Record<GatewayApi, string> = { chat: 'chat', messages: 'chat', responses: 'chat', embeddings: 'embeddings' };

export function vocabularyOf(groups: Iterable<{ name: string; models: Iterable<{ provider: string; model: string }> }>, providers: Iterable<string>): LabelVocabulary {
  const g = new Set<string>();
  const models = new Set<string>();
  for (const group of groups) {
    g.add(group.name);
    for (const m of group.models) models.add(m.model);
  }
  return { groups: g, models, providers: new Set(providers) };
}

export function metricUpdates(event: DecisionEvent, vocabulary: LabelVocabulary): MetricUpdate[] {
  if (event.kind !== 'request') return [];
  const api: GatewayApi = event.api && APIS.has(event.api) ? event.api : 'chat';
  const group = known(event.model_group, vocabulary.groups);
  const resolved = known(event.resolved_model, vocabulary.models);
  const provider = known(event.provider, vocabulary.providers);
  const operation = OPERATION[api];
  const requested = group || requestedDirect(event, vocabulary);
  // Label objects are written out in full: this runs for every request, and spreads cost more here.
  const kt = { api, model_group: group, resolved_model: resolved, provider };
  const updates: MetricUpdate[] = [
    { metric: 'kt_requests_total', labels: { api, model_group: group, resolved_model: resolved, provider, decision: event.decision }, inc: 1 },
    {
      metric: 'gen_ai_client_operation_duration_seconds',
      labels: { gen_ai_operation_name: operation, gen_ai_provider_name: provider, gen_ai_request_model: requested, gen_ai_response_model: resolved, error_type: errorType(event) },
      observe: event.latency_ms / 1000,
    },
  ];
  if (event.fallback_count > 0) updates.push({ metric: 'kt_fallbacks_total', labels: kt, inc: event.fallback_count });
  if (event.actual_cost_usd !== null && event.actual_cost_usd > 0) updates.push({ metric: 'kt_cost_usd_total', labels: kt, inc: event.actual_cost_usd });
  if (event.ttft_ms !== null) {
    updates.push({ metric: 'kt_time_to_first_token_seconds', labels: { api, model_group: group, resolved_model: resolved, provider, stream: event.stream ? 'true' : 'false' }, observe: event.ttft_ms / 1000 });
  }
  // Usage is only known when an upstream reported it; zeros there mean "not reported", not "no tokens".
  if (event.tokens.prompt > 0 || event.tokens.completion > 0) {
    updates.push({
      metric: 'gen_ai_client_token_usage',
      labels: { gen_ai_operation_name: operation, gen_ai_provider_name: provider, gen_ai_request_model: requested, gen_ai_response_model: resolved, gen_ai_token_type: 'input' },
      observe: event.tokens.prompt,
    });
    updates.push({
      metric: 'gen_ai_client_token_usage',
      labels: { gen_ai_operation_name: operation, gen_ai_provider_name: provider, gen_ai_request_model: requested, gen_ai_response_model: resolved, gen_ai_token_type: 'output' },
      observe: event.tokens.completion,
    });
  }
  return updates;
}

/** Empty when the event has none (unresolved, refused before routing); `other` when the config does not name it. */
function known(value: string | null, names: ReadonlySet<string>): string {
  if (value === null) return '';
  return names.has(value) ? value : OTHER;
}

/** A direct request's model as asked (`provider/model` or `model`), kept only when the config names both parts. */
function requestedDirect(event: DecisionEvent, vocabulary: LabelVocabulary): string {
  if (event.strategy !== 'direct' || event.model === null) return '';
  if (vocabulary.models.has(event.model)) return event.model;
  const slash = event.model.indexOf('/');
  const ok = slash > 0 && vocabulary.providers.has(event.model.slice(0, slash)) && vocabulary.models.has(event.model.slice(slash + 1));
  return ok ? event.model : OTHER;
}

/** OpenTelemetry's error.type: the HTTP status answered, or the stream's failure after a 200. */
function errorType(event: DecisionEvent): string {
  if (event.decision === 'allowed') return '';
  if (event.http_status === 200) return 'stream_interrupted';
  return String(event.http_status);
}
