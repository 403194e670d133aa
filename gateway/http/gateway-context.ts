// What every request handler reads: the live routing table, the event log, keys and shared state.
import type { DecisionEvent } from '../events/decision-event';
import type { EventLog } from '../events/event-log';
import type { KeyStore } from '../keys/key-store';
import type { LatencyBoard } from '../routing/latency';
import type { ModelFacts, RoutedModel } from '../routing/plan';
import type { RoutingTable } from '../runtime/routing-table';

/** Fed every decision event after its answer went out (metrics, OTLP export): must only queue, never block. */
export interface EventObserver {
  observe(event: DecisionEvent): void;
}

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
  observers: readonly EventObserver[];
  keys: KeyStore;
  latency: LatencyBoard;
  log: Logger;
  maxBodyBytes: number;
  facts(model: RoutedModel): ModelFacts | undefined;
}

/** The request's one event: built only when someone takes it, handed to the observers, then appended. */
export function recordDecision(gw: GatewayContext, id: string, build: () => DecisionEvent): void {
  if (!gw.events && gw.observers.length === 0) return;
  try {
    const event = build();
    for (const observer of gw.observers) observer.observe(event);
    gw.events?.append(event);
  } catch (error) {
    gw.log.error(`could not record event ${id}: ${(error as Error).message}`);
  }
}
