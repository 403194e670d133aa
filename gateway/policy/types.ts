// The policy model's public types: what policy-config.yaml means once parsed and checked.
// The CLI, the language server and the gateway all read configs through these.

export type ProviderType = 'openai' | 'azure-openai' | 'anthropic' | 'ollama' | 'mock';
export type Strategy = 'weighted' | 'fallback' | 'cost' | 'latency';
export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** 0-based, as in LSP. */
export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

/** Settings of the built-in `mock` provider (offline demos and development). */
export interface MockSettings {
  /** Fixed reply text; default echoes the last user message. */
  reply?: string;
  latency_ms?: number;
  /** HTTP status to fail with, at `failure_rate` (default 1 when status is set). */
  fail_status?: number;
  failure_rate?: number;
  /** Characters per streamed chunk. */
  chunk_chars?: number;
  chunk_delay_ms?: number;
}

export interface ProviderTarget {
  id: string;
  /** Explicit `provider.type`, or inferred from base_url. */
  type: ProviderType;
  baseUrl: string;
  /** Name of the env var holding the key (`secret_key_ref.env`). */
  keyEnv?: string;
  apiVersion?: string;
  mock?: MockSettings;
}

export interface GroupModel {
  provider: string;
  model: string;
  weight?: number;
  timeout_ms?: number;
  tag?: string;
  cost_per_1k_input?: number;
  cost_per_1k_output?: number;
  max_input_tokens?: number;
}

export interface ModelGroup {
  name: string;
  strategy: Strategy;
  session_affinity: boolean;
  budget_per_request_usd?: number;
  models: GroupModel[];
}

export interface AuditLoggerSettings {
  immutable: boolean;
  retention_days?: number;
  log_all_access: boolean;
}

export interface PolicyConfig {
  pack?: { name?: string; version?: string; enabled?: boolean };
  targets: ProviderTarget[];
  policyChain: string[];
  auditLogger?: AuditLoggerSettings;
  groups: ModelGroup[];
}

/** Machine-readable repair attached to a diagnostic; the language server's quick fixes apply it. */
export interface TextEdit { range: Range; newText: string }
export interface DiagnosticFix { title: string; edits: TextEdit[] }

export interface RelatedLocation { range: Range; message: string }

export interface PolicyDiagnostic {
  code: string;
  severity: Severity;
  message: string;
  range: Range;
  related?: RelatedLocation[];
  fixes?: DiagnosticFix[];
}
