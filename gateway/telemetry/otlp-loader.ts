// OTLP export as the gateway sees it: an EventObserver that only queues. Batches go every 100 ms to a
// worker thread running the OpenTelemetry SDK and its OTLP exporters (otlp-worker.ts, bundled apart as
// dist/otlp.js): ~0.3 MB of code a gateway without --otlp-endpoint never loads, and CPU that stays off
// the event loop serving requests.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DecisionEvent } from '../events/decision-event';
import type { EventObserver, Logger } from '../http/gateway-context';
import type { OtlpExportOptions, OtlpExportStats } from './otlp-export';
import type { OtlpSettings } from './otlp-settings';
import type { FromWorker, ToWorker } from './otlp-worker';

export interface OtlpObserverOptions extends Omit<OtlpExportOptions, 'log' | 'providerType'> {
  log?: Logger;
  /** Target id → `gen_ai.provider.name`, read at each batch (the config may have been reloaded). */
  providers?: () => Record<string, string>;
  /** How often queued events go to the worker (default 100 ms). */
  handoffMs?: number;
}

function workerScript(): { code: string; eval: boolean } {
  const bundled = join(__dirname, 'otlp.js');
  if (existsSync(bundled)) return { code: bundled, eval: false };
  // From source (tests under tsx): the worker registers tsx's CommonJS hooks before loading the entry.
  const source = JSON.stringify(join(__dirname, 'otlp-worker.ts'));
  return { code: `require('tsx/cjs'); require(${source});`, eval: true };
}

export class OtlpObserver implements EventObserver {
  private queue: DecisionEvent[] = [];
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;
  private readonly maxQueue: number;
  private droppedHere = 0;
  private reported: OtlpExportStats = { queued: 0, exportedEvents: 0, droppedEvents: 0, failedExports: 0 };
  private closing: Promise<void> | undefined;

  constructor(settings: OtlpSettings, private readonly options: OtlpObserverOptions = {}) {
    this.maxQueue = options.maxQueue ?? 4096;
    const { log: _log, providers: _providers, handoffMs: _handoff, ...exportOptions } = options;
    const script = workerScript();
    this.worker = new Worker(script.code, { eval: script.eval, workerData: { settings, options: exportOptions } });
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'stats') this.reported = { queued: message.queued, exportedEvents: message.exportedEvents, droppedEvents: message.droppedEvents, failedExports: message.failedExports };
      else if (message.type === 'warn') options.log?.warn(message.message);
    });
    this.worker.on('error', (error) => options.log?.error(`the OTLP export worker failed: ${error.message}; export is off until restart, events on disk are unaffected`));
    this.timer = setInterval(() => this.handOff(), options.handoffMs ?? 100);
    this.timer.unref();
  }

  observe(event: DecisionEvent): void {
    if (this.closing) return;
    if (this.queue.length >= this.maxQueue) {
      this.droppedHere++;
      return;
    }
    this.queue.push(event);
  }

  /** Counts so far: the worker's last report plus what this side dropped or still holds. */
  stats(): OtlpExportStats {
    return {
      queued: this.queue.length + this.reported.queued,
      exportedEvents: this.reported.exportedEvents,
      droppedEvents: this.reported.droppedEvents + this.droppedHere,
      failedExports: this.reported.failedExports,
    };
  }

  /** Hands over what is queued, lets the worker export it within `timeoutMs`, then stops the worker. */
  shutdown(timeoutMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      this.handOff();
      const closed = new Promise<void>((resolve) => {
        this.worker.on('message', (message: FromWorker) => { if (message.type === 'closed') resolve(); });
        this.worker.once('exit', () => resolve());
      });
      this.worker.postMessage({ type: 'shutdown', timeoutMs } satisfies ToWorker);
      await Promise.race([closed, new Promise((r) => setTimeout(r, timeoutMs + 1000))]);
      await this.worker.terminate();
    })();
    return this.closing;
  }

  private handOff(): void {
    if (!this.queue.length) return;
    const events = this.queue;
    this.queue = [];
    this.worker.postMessage({ type: 'events', events, providers: this.options.providers?.() ?? {} } satisfies ToWorker);
  }
}
