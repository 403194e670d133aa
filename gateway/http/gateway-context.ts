// What every request handler reads: the live routing table, the event log, keys and shared state.
import type { EventLog } from '../events/event-log';
import type { KeyStore } from '../keys/key-store';
import type { LatencyBoard } from '../routing/latency';
import type { ModelFacts, RoutedModel } from '../routing/plan';
import type { RoutingTable } from '../runtime/routing-table';
import type { GatewayMetrics } from '../telemetry/prometheus';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface GatewayContext {
  /** The current config version; swapped atomically by hot reload. */
  table(): RoutingTable;
  events: EventLog | undefined;
  /** Fed with every decision event, recorded or not. */
  metrics: GatewayMetrics | undefined;
  keys: KeyStore;
  latency: LatencyBoard;
  log: Logger;
  maxBodyBytes: number;
  facts(model: RoutedModel): ModelFacts | undefined;
}
