// The record every /v1 request leaves behind: which model served it, after what, how fast, for how much.

export type Decision = 'allowed' | 'blocked' | 'error';
/** Which inbound API a request came in on. */
export type GatewayApi = 'chat' | 'messages' | 'responses' | 'embeddings';

/** The route each inbound API is served on. */
export const API_ROUTE: Readonly<Record<GatewayApi, string>> = {
  chat: '/v1/chat/completions',
  messages: '/v1/messages',
  responses: '/v1/responses',
  embeddings: '/v1/embeddings',
};
export type AttemptOutcome = 'success' | 'error' | 'timeout' | 'skipped' | 'aborted';

export interface Attempt {
  provider: string;
  model: string;
  outcome: AttemptOutcome;
  status: number | null;
  error: string | null;
  latency_ms: number;
}

export interface DecisionEvent {
  id: string;
  ts: string;
  kind: 'request' | 'access';
  /** Request events: the inbound API (absent in events written before it was recorded: read as chat). */
  api?: GatewayApi;
  key_id: string | null;
  /** As requested by the client: a group name, `provider/model` or a physical model. */
  model: string | null;
  model_group: string | null;
  strategy: string | null;
  provider: string | null;
  resolved_model: string | null;
  tag: string | null;
  session_id: string | null;
  stream: boolean;
  fallback_count: number;
  attempts: Attempt[];
  /** Models the strategy passed over and why (context too small, over budget, …). */
  skipped?: Array<{ provider: string; model: string; reason: string }>;
  latency_ms: number;
  ttft_ms: number | null;
  tokens: { prompt: number; completion: number; total: number };
  estimated_cost_usd: number | null;
  actual_cost_usd: number | null;
  decision: Decision;
  reason: string | null;
  http_status: number;
  /** Access events only: method and path. */
  path?: string;
  /** Set when the audit logger is immutable: hash chain. */
  prev_hash?: string;
  hash?: string;
}
