// What the KT client and the policy language server agree on: options, diagnostic source and fix data.
import type { DiagnosticFix } from '../gateway/policy/types';

export const DIAGNOSTIC_SOURCE = 'kt';

export const DEFAULT_POLICY_GLOBS: readonly string[] = ['**/policy-config.yaml', '**/*.policy.yaml'];

export const DEFAULT_DEBOUNCE_MS = 100;

/** `initializationOptions` of the `initialize` request. */
export interface PolicyServerOptions {
  /** Globs of the files the server treats as policy configs (the `kt.policyFiles` setting). */
  policyGlobs?: string[];
  /** Quiet time after the last edit before diagnostics are computed; 0 for tools and benchmarks. */
  debounceMs?: number;
}

/** `Diagnostic.data`: the policy model's repairs, applied as they are by the quick fixes. */
export interface PolicyDiagnosticData {
  fixes: DiagnosticFix[];
}

/** Request `kt/explainRoute`: the route explanation of a model group, as markdown (`kt route explain`). */
export const EXPLAIN_ROUTE_REQUEST = 'kt/explainRoute';
export interface ExplainRouteParams {
  /** The policy document. */
  uri: string;
  group: string;
}
export interface ExplainRouteResult {
  markdown: string;
}

/** The client command the "Explain route…" code action runs, with arguments [uri, group]. */
export const EXPLAIN_ROUTE_COMMAND = 'kt.route.explain';
