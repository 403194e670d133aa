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

/**
 * The request's one event: built only when someone takes it, handed to the observers, then appended.
 * `finish` (the answer's last write) runs once the event is written, or at once when nothing records.
 */
export function recordDecision(gw: GatewayContext, id: string, build: () => DecisionEvent, finish?: () => void): void {
  if (!gw.events && gw.observers.length === 0) return finish?.();
  let event: DecisionEvent;
  try {
    event = build();
  } catch (error) {
    gw.log.error(`could not record event ${id}: ${(error as Error).message}`);
    return finish?.();
  }
  for (const observer of gw.observers) {
    try {
      observer.observe(event);
    } catch (error) {
      gw.log.error(`an event observer failed on ${id}: ${(error as Error).message}`);
    }
  }
  if (!gw.events) return finish?.();
  try {
    gw.events.append(event, finish);
  } catch (error) {
    gw.log.error(`could not record event ${id}: ${(error as Error).message}`);
    finish?.();
  }
}
