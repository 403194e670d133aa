// Entry of dist/otlp.js: the OTLP exporter in a worker thread. Building spans and log records and
// serializing them to protobuf costs ~100 µs of CPU per request; here it runs beside the event loop that
// serves requests instead of on it. The main thread posts batches of events (otlp-loader.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { DecisionEvent } from '../events/decision-event';
import { OtlpExport, type OtlpExportOptions } from './otlp-export';
import type { OtlpSettings } from './otlp-settings';

export type ToWorker =
  | { type: 'events'; events: DecisionEvent[]; providers: Record<string, string> }
  | { type: 'shutdown'; timeoutMs: number };

export type FromWorker =
  | { type: 'stats'; exportedEvents: number; droppedEvents: number; failedExports: number; queued: number }
  | { type: 'warn'; message: string }
  | { type: 'closed' };

if (parentPort) {
  const port = parentPort;
  const { settings, options } = workerData as { settings: OtlpSettings; options: Omit<OtlpExportOptions, 'log' | 'providerType'> };
  let providers: Record<string, string> = {};
  const exporter = new OtlpExport(settings, {
    ...options,
    providerType: (id) => providers[id],
    log: { info() {}, error: (message) => port.postMessage({ type: 'warn', message } satisfies FromWorker), warn: (message) => port.postMessage({ type: 'warn', message } satisfies FromWorker) },
  });
  const report = () => port.postMessage({ type: 'stats', ...exporter.stats() } satisfies FromWorker);
  const timer = setInterval(report, 250);
  port.on('message', (message: ToWorker) => {
    if (message.type === 'events') {
      providers = message.providers;
      for (const event of message.events) exporter.observe(event);
    } else if (message.type === 'shutdown') {
      clearInterval(timer);
      void exporter.shutdown(message.timeoutMs).finally(() => {
        report();
        port.postMessage({ type: 'closed' } satisfies FromWorker);
      });
    }
  });
}
