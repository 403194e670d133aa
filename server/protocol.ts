// What the KT client and the policy language server agree on: options, diagnostic source and fix data.
import type { DecisionEvent } from '../gateway/events/decision-event';
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

// ---- live routing stats: the extension forwards the running gateway's events to the server

/** Notification client → server: decision events the extension received from the running gateway. */
export const LIVE_EVENTS_NOTIFICATION = 'kt/liveEvents';
export interface LiveEventsParams {
  events: DecisionEvent[];
}

/** Notification client → server: whether a gateway runs and how the live stats are shown. */
export const LIVE_STATE_NOTIFICATION = 'kt/liveState';
export interface LiveStateParams {
  /** False when no local gateway runs: the server drops its events and shows no lenses. */
  gatewayRunning: boolean;
  /** The `kt.liveStats.enabled` setting. */
  liveStats: boolean;
  /** The `kt.liveStats.windowMinutes` setting. */
  windowMinutes: number;
}

/** Client commands the server's code lenses invoke. */
export const TRY_IT_COMMAND = 'kt.group.tryIt';
export const SHOW_GROUP_EVENTS_COMMAND = 'kt.events.showGroup';

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
