// OTLP/HTTP export of decision events as spans and log records, with the OpenTelemetry JS SDK.
// Never on the request's path: observe() only queues the event (bounded; over the bound it is dropped
// and counted), and a timer turns batches into SDK spans and log records and exports them, one export
// per signal at a time. A collector that is down costs a failed export per batch, nothing per request.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { SeverityNumber, type Logger as OtelLogger } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor, type ReadableLogRecord, type SdkLogRecord } from '@opentelemetry/sdk-logs';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { DecisionEvent } from '../events/decision-event';
import type { Logger } from '../http/gateway-context';
import { eventLogRecord, requestSpans, type SpanPlan } from './otel-records';
import type { OtlpSettings } from './otlp-settings';

export interface OtlpExportOptions {
  /** Events waiting for export at most; more are dropped and counted (default 4096). */
  maxQueue?: number;
  /** Events per export (default 512). */
  batchSize?: number;
  /** How often a partial batch goes out (default 1000 ms). */
  intervalMs?: number;
  /** One export's time limit (default 10 s). */
  timeoutMs?: number;
  log?: Logger;
  /** Maps a target id to its provider type for `gen_ai.provider.name`. */
  providerType?: (targetId: string) => string | undefined;
  version?: string;
}

export interface OtlpExportStats {
  queued: number;
  exportedEvents: number;
  droppedEvents: number;
  failedExports: number;
}

const SEVERITY: Record<'INFO' | 'WARN' | 'ERROR', SeverityNumber> = { INFO: SeverityNumber.INFO, WARN: SeverityNumber.WARN, ERROR: SeverityNumber.ERROR };
const WARN_EVERY_MS = 60_000;

/** Collects the spans the tracer ends, for our own batching (the SDK's batch processor would hide drops). */
class Collector<T> {
  items: T[] = [];
  take(): T[] {
    const out = this.items;
    this.items = [];
    return out;
  }
}

export class OtlpExport {
  private queue: DecisionEvent[] = [];
  private readonly spans = new Collector<ReadableSpan>();
  private readonly logs = new Collector<ReadableLogRecord>();
  private readonly tracer: Tracer;
  private readonly logger: OtelLogger;
  private readonly tracerProvider: TracerProvider;
  private readonly loggerProvider: LoggerProvider;
  private readonly traceExporter: OTLPTraceExporter;
  private readonly logExporter: OTLPLogExporter;
  private readonly timer: NodeJS.Timeout;
  private exporting = false;
  private soon: NodeJS.Immediate | undefined;
  private lastWarning = 0;
  private closed = false;
  private readonly counts = { exportedEvents: 0, droppedEvents: 0, failedExports: 0 };
  private readonly maxQueue: number;
  private readonly batchSize: number;

  constructor(private readonly settings: OtlpSettings, private readonly options: OtlpExportOptions = {}) {
    this.maxQueue = options.maxQueue ?? 4096;
    this.batchSize = options.batchSize ?? 512;
    const timeoutMillis = options.timeoutMs ?? 10_000;
    const resource = resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': options.version ?? '0.1.0' });
    const spans = this.spans;
    const spanCollector: SpanProcessor = {
      onStart() {},
      onEnd(span) { spans.items.push(span); },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const logs = this.logs;
    const logCollector: LogRecordProcessor = {
      onEmit(record: SdkLogRecord) { logs.items.push(record); },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    this.tracerProvider = new TracerProvider({ resource, spanProcessors: [spanCollector] });
    this.loggerProvider = new LoggerProvider({ resource, processors: [logCollector] });
    this.tracer = this.tracerProvider.getTracer('kt-gateway', options.version);
    this.logger = this.loggerProvider.getLogger('kt-gateway', options.version);
    this.traceExporter = new OTLPTraceExporter({ url: settings.tracesUrl, headers: settings.headers, timeoutMillis, concurrencyLimit: 1 });
    this.logExporter = new OTLPLogExporter({ url: settings.logsUrl, headers: settings.headers, timeoutMillis, concurrencyLimit: 1 });
    this.timer = setInterval(() => this.flush(), options.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Called with every decision event, after its answer went out: queue it and return. */
  observe(event: DecisionEvent): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueue) {
      this.counts.droppedEvents++;
      return;
    }
    this.queue.push(event);
    if (this.queue.length >= this.batchSize && !this.soon) this.soon = setImmediate(() => this.flush());
  }

  stats(): OtlpExportStats {
    return { queued: this.queue.length, ...this.counts };
  }

  /** Exports what is queued, waiting at most `timeoutMs` for the exports in flight. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length || this.exporting) && Date.now() < deadline) {
      this.flush();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.closed = true;
    this.counts.droppedEvents += this.queue.length;
    this.queue = [];
    await Promise.allSettled([this.traceExporter.shutdown(), this.logExporter.shutdown()]);
  }

  private flush(): void {
    this.soon = undefined;
    if (this.exporting || !this.queue.length) return;
    const batch = this.queue.splice(0, this.batchSize);
    for (const event of batch) {
      try {
        this.record(event);
      } catch (error) {
        this.warn(`could not turn event ${event.id} into OTLP: ${(error as Error).message}`);
      }
    }
    const spans = this.spans.take();
    const logs = this.logs.take();
    this.exporting = true;
    let pending = 2;
    let failed = false;
    const done = (what: string) => (result: ExportResult) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        failed = true;
        // The exporter's message names the URL and status; header values (tokens) are not in it.
        this.warn(`OTLP ${what} export to ${what === 'trace' ? this.settings.tracesUrl : this.settings.logsUrl} failed: ${result.error?.message ?? 'unknown error'}`);
      }
      if (--pending > 0) return;
      this.exporting = false;
      if (failed) {
        this.counts.failedExports++;
        this.counts.droppedEvents += batch.length;
      } else {
        this.counts.exportedEvents += batch.length;
      }
      if (this.queue.length >= this.batchSize) this.soon ??= setImmediate(() => this.flush());
    };
    this.traceExporter.export(spans, done('trace'));
    this.logExporter.export(logs, done('log'));
  }

  private record(event: DecisionEvent): void {
    if (event.kind === 'request') {
      const plan = requestSpans(event, this.options.providerType);
      const parent = this.startSpan(plan.request, undefined);
      const parentContext = trace.setSpan(ROOT_CONTEXT, parent);
      for (const attempt of plan.attempts) this.startSpan(attempt, parentContext).end(attempt.end);
      parent.end(plan.request.end);
    }
    const log = eventLogRecord(event);
    this.logger.emit({ timestamp: log.time, severityNumber: SEVERITY[log.severity], severityText: log.severity, body: log.body, attributes: log.attributes });
  }

  private startSpan(plan: SpanPlan, parent: ReturnType<typeof trace.setSpan> | undefined): Span {
    const span = this.tracer.startSpan(plan.name, { kind: plan.kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT, startTime: plan.start, attributes: plan.attributes }, parent ?? ROOT_CONTEXT);
    if (plan.error) span.setStatus({ code: SpanStatusCode.ERROR, message: plan.error });
    return span;
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    const { droppedEvents, failedExports } = this.counts;
    this.options.log?.warn(`${message} (${failedExports} failed exports, ${droppedEvents} events dropped so far; events on disk are unaffected)`);
  }
}
