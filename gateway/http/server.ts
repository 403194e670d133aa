// The gateway's HTTP edge: routes, authentication, graceful shutdown and hot reload of the config.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { accessEvent } from '../events/access-event';
import { REPLICA_ID } from '../events/day-files';
import { EventLog } from '../events/event-log';
import { EventLogLockedError } from '../events/writer-lock';
import { OtlpObserver } from '../telemetry/otlp-loader';
import type { OtlpSettings } from '../telemetry/otlp-settings';
import { genAiProviderName } from '../telemetry/otel-records';
import { KeyStore, type AuthFailure, type KeyRecord } from '../keys/key-store';
import { analyzePolicy } from '../policy/analyze';
import { loadDotEnv } from '../policy/dotenv';
import type { PolicyDiagnostic } from '../policy/types';
import { LatencyBoard } from '../routing/latency';
import { knownModelFacts } from '../routing/plan';
import { DispatcherCache, RoutingTable, type OllamaFallback } from '../runtime/routing-table';
import { vocabularyOf, type LabelVocabulary } from '../telemetry/metrics';
import { GatewayMetrics } from '../telemetry/prometheus';
import { authMessage, handleChatCompletions } from './chat';
import { handleEmbeddings } from './embeddings';
import { handleEventsRequest } from './events-api';
import { handleMessages } from './messages';
import { handleResponses } from './responses';
import type { GatewayContext, Logger } from './gateway-context';
import { errorBody, sendError, sendJson } from './respond';

export interface GatewayOptions {
  configPath: string;
  stateDir: string;
  host?: string;
  port?: number;
  ollamaFallback?: OllamaFallback;
  maxBodyBytes?: number;
  /** Record decision events (default true); the benchmark turns it off to measure their cost. */
  recordEvents?: boolean;
  /** Replica id when several gateways share the state dir: each writes its own events files (`--replica-id`). */
  replicaId?: string;
  /** Keep Prometheus metrics, served at GET /metrics to admin keys (default true); the benchmark turns it off. */
  metrics?: boolean;
  /** Also serve GET /metrics without a key on this port of `host` (0 picks a free one). */
  metricsPort?: number;
  /** Export each request as OTLP spans and its event as a log record (`--otlp-endpoint`, OTEL_EXPORTER_OTLP_*). */
  otlp?: OtlpSettings;
  /** Watch the config file and reload it on change (default true). */
  watchConfig?: boolean;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Longest wait for in-flight requests on shutdown. */
  drainTimeoutMs?: number;
  /** Longest time a client may take to send a request's headers (default 15 s); slower ones get 408 and are closed. */
  headersTimeoutMs?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export class ConfigError extends Error {
  constructor(message: string, readonly diagnostics: PolicyDiagnostic[] = [], readonly text = '') {
    super(message);
  }
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export type ReloadResult = { ok: true; version: number } | { ok: false; diagnostics: PolicyDiagnostic[]; message: string };

export class Gateway {
  readonly server: Server;
  readonly events: EventLog | undefined;
  readonly metrics: GatewayMetrics | undefined;
  readonly otlp: OtlpObserver | undefined;
  /** The unauthenticated metrics listener of `metricsPort`. */
  readonly metricsServer: Server | undefined;
  readonly keys: KeyStore;
  private current: RoutingTable;
  private version = 1;
  private readonly latency = new LatencyBoard();
  private readonly log: Logger;
  private readonly ctx: GatewayContext;
  private readonly sockets = new Set<Socket>();
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private closing = false;
  private providerNamesFor: { table: RoutingTable; names: Record<string, string> } | undefined;

  private constructor(readonly options: GatewayOptions, private readonly pools: DispatcherCache, table: RoutingTable) {
    this.log = options.log ?? silentLogger;
    this.current = table;
    this.keys = new KeyStore(options.stateDir);
    this.events = options.recordEvents === false
      ? undefined
      : EventLog.fromSettings(options.stateDir, table.config.auditLogger, { onWarning: (m) => this.log.warn(m), replica: options.replicaId ?? null, exclusive: true });
    this.metrics = options.metrics === false ? undefined : new GatewayMetrics(() => this.labelVocabulary());
    this.otlp = options.otlp ? new OtlpObserver(options.otlp, { log: this.log, providers: () => this.providerNames() }) : undefined;
    this.ctx = {
      table: () => this.current,
      events: this.events,
      observers: [this.metrics, this.otlp].filter((o): o is GatewayMetrics | OtlpObserver => o !== undefined),
      keys: this.keys,
      latency: this.latency,
      log: this.log,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      facts: knownModelFacts,
    };
    const headersTimeout = options.headersTimeoutMs ?? 15_000;
    this.server = createServer({
      keepAliveTimeout: 65_000,
      headersTimeout,
      requestTimeout: Math.max(120_000, headersTimeout),
      // Node checks the timeouts only this often (30 s by default), so a slow client could outlive its bound by that much.
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 2))),
    }, (req, res) => this.handle(req, res));
    this.server.on('connection', (socket: Socket) => this.track(socket));
    if (this.metrics && options.metricsPort !== undefined) {
      this.metricsServer = createServer({ headersTimeout, requestTimeout: Math.max(30_000, headersTimeout) }, (req, res) => this.handleMetricsPort(req, res));
      this.metricsServer.on('connection', (socket: Socket) => this.track(socket));
    }
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      // A client too slow to send its headers gets 408, as Node itself answers; anything unparsable gets 400.
      const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const body = JSON.stringify(errorBody(timedOut ? 'The request headers took too long to arrive.' : 'The request is not valid HTTP.', 'invalid_request_error', timedOut ? 'request_timeout' : 'bad_request'));
      socket.end(`HTTP/1.1 ${timedOut ? '408 Request Timeout' : '400 Bad Request'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  /** Loads and lints the config, then listens. Throws ConfigError when the config has errors. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const pools = new DispatcherCache();
    if (options.replicaId !== undefined && !REPLICA_ID.test(options.replicaId)) {
      throw new ConfigError(`invalid replica id '${options.replicaId}': use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    }
    const table = loadTable(options, pools);
    let gateway: Gateway;
    try {
      gateway = new Gateway(options, pools, table);
    } catch (error) {
      if (error instanceof EventLogLockedError) throw new ConfigError(error.message);
      throw error;
    }
    try {
      await listen(gateway.server, options.port ?? 41002, options.host);
    } catch (error) {
      // Not listening, so nothing to drain: let go of the events lock and the keys watcher.
      gateway.events?.close();
      gateway.keys.close();
      throw error;
    }
    if (gateway.metricsServer) {
      try {
        await listen(gateway.metricsServer, options.metricsPort ?? 0, options.host);
      } catch (error) {
        await gateway.close();
        throw error;
      }
    }
    if (options.watchConfig !== false) gateway.watchConfig();
    return gateway;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return urlOf(this.options.host, this.port);
  }

  /** Where `metricsPort` serves GET /metrics without a key; undefined when it is not set. */
  get metricsUrl(): string | undefined {
    if (!this.metricsServer?.listening) return undefined;
    return `${urlOf(this.options.host, (this.metricsServer.address() as AddressInfo).port)}/metrics`;
  }

  get table(): RoutingTable {
    return this.current;
  }

  /** Re-reads the config: a clean one replaces the table for new requests; a broken one is logged and ignored. */
  reload(): ReloadResult {
    try {
      const table = loadTable(this.options, this.pools);
      this.current = table;
      this.version++;
      this.log.info(`config reloaded (version ${this.version}): ${table.groups.size} model groups, ${table.targets.size} targets`);
      return { ok: true, version: this.version };
    } catch (error) {
      const diagnostics = error instanceof ConfigError ? error.diagnostics : [];
      const message = `config not reloaded, still serving the last good version: ${(error as Error).message}`;
      this.log.error(message);
      for (const d of diagnostics.filter((x) => x.severity === 'error')) this.log.error(`  ${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code} ${d.message}`);
      return { ok: false, diagnostics, message };
    }
  }

  private watchConfig(): void {
    const file = resolve(this.options.configPath);
    // Watch the folder: editors often save by replacing the file, which ends a watch on the file itself.
    try {
      this.watcher = watch(dirname(file), (_event, name) => {
        if (name && name !== basename(file) && name !== '.env') return;
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => this.reloadIfChanged(file), 100);
      });
      this.watcher.on('error', (e) => this.log.warn(`config watch stopped: ${e.message}`));
    } catch (error) {
      this.log.warn(`cannot watch ${file} for changes (${(error as Error).message}); restart to apply edits`);
    }
  }

  private lastText: string | undefined;
  private reloadIfChanged(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // mid-save; the next event reloads
    }
    const envText = safeRead(join(dirname(file), '.env'));
    const fingerprint = `${text}\0${envText}`;
    if (fingerprint === this.lastText) return;
    this.lastText = fingerprint;
    this.reload();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.watcher?.close();
    clearTimeout(this.reloadTimer);
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    const metricsClosed = this.metricsServer?.listening ? new Promise<void>((r) => this.metricsServer!.close(() => r())) : undefined;
    const deadline = Date.now() + (this.options.drainTimeoutMs ?? 10_000);
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await metricsClosed;
    await this.pools.destroy();
    // The last events go out to the collector, but a collector that is down cannot hold the stop.
    await this.otlp?.shutdown(2000);
    this.events?.close();
    this.keys.close();
  }

  /** Target id → `gen_ai.provider.name` of the current config, for OTLP spans. */
  private providerNames(): Record<string, string> {
    if (this.providerNamesFor?.table !== this.current) {
      this.providerNamesFor = { table: this.current, names: Object.fromEntries([...this.current.targets].map(([id, t]) => [id, genAiProviderName(t.type)])) };
    }
    return this.providerNamesFor.names;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private labelNames: { table: RoutingTable; vocabulary: LabelVocabulary } | undefined;
  /** Metric labels take only names the current config defines. */
  private labelVocabulary(): LabelVocabulary {
    if (this.labelNames?.table !== this.current) {
      this.labelNames = { table: this.current, vocabulary: vocabularyOf(this.current.groups.values(), this.current.targets.keys()) };
    }
    return this.labelNames.vocabulary;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++;
    res.once('close', () => this.inFlight--);
    if (this.closing) res.setHeader('connection', 'close');
    this.route(req, res).catch((error: unknown) => {
      this.log.error(`internal error on ${req.method} ${safePath(req)}: ${(error as Error)?.message ?? String(error)}`);
      if (!res.headersSent) sendError(res, 500, 'The gateway hit an internal error; see its log.', 'internal_error');
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = safePath(req);
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'Use GET /healthz.', 'method_not_allowed');
      return sendJson(res, 200, { status: 'ok', config_version: this.version, model_groups: this.current.groups.size });
    }
    if (path === '/v1/chat/completions') {
      if (req.method !== 'POST') return sendError(res, 405, 'Use POST /v1/chat/completions.', 'method_not_allowed', null, { allow: 'POST' });
      return handleChatCompletions(req, res, this.ctx, this.keys.authenticate(req.headers.authorization));
    }
    if (path === '/v1/messages') return handleMessages(req, res, this.ctx);
    if (path === '/v1/responses') return handleResponses(req, res, this.ctx);
    if (path === '/v1/embeddings') {
      if (req.method !== 'POST') return sendError(res, 405, 'Use POST /v1/embeddings.', 'method_not_allowed', null, { allow: 'POST' });
      return handleEmbeddings(req, res, this.ctx, this.keys.authenticate(req.headers.authorization));
    }
    if (path === '/v1/models') {
      const key = this.authorize(req, res, path);
      if (!key) return;
      if (req.method !== 'GET') return sendError(res, 405, 'Use GET /v1/models.', 'method_not_allowed', null, { allow: 'GET' });
      const created = Math.floor(Date.now() / 1000);
      const data = this.current.listModels()
        .filter((m) => key.groups.length === 0 || key.groups.includes(m.id))
        .map((m) => ({ id: m.id, object: 'model', created, owned_by: m.owned_by }));
      sendJson(res, 200, { object: 'list', data });
      this.access(req, path, key, 200);
      return;
    }
    if (path === '/metrics') {
      const key = this.authorize(req, res, path, 'the metrics endpoint');
      if (!key) return;
      await this.serveMetrics(req, res);
      this.access(req, path, key, res.statusCode);
      return;
    }
    if (path.startsWith('/kt/v1/events')) {
      const key = this.authorize(req, res, path, 'the events API');
      if (!key || !this.events) {
        if (key) sendError(res, 404, 'Decision events are turned off on this gateway.', 'events_disabled');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://gateway.local');
      if (!handleEventsRequest(req, res, url, this.events)) return sendError(res, 404, `No such events endpoint: ${path}. Use GET /kt/v1/events or GET /kt/v1/events/stream.`, 'not_found');
      this.access(req, path, key, res.statusCode);
      return;
    }
    sendError(res, 404, `No route for ${req.method} ${path}. The gateway serves POST /v1/chat/completions, POST /v1/messages, POST /v1/responses, POST /v1/embeddings, GET /v1/models and GET /healthz.`, 'not_found');
  }

  private async serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'Use GET /metrics.', 'method_not_allowed', null, { allow: 'GET' });
    if (!this.metrics) return sendError(res, 404, 'Metrics are turned off on this gateway (started with --no-metrics).', 'metrics_disabled');
    const text = await this.metrics.render();
    res.writeHead(200, { 'content-type': this.metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  /** The `metricsPort` listener: metrics only, no key, nothing else. */
  private handleMetricsPort(req: IncomingMessage, res: ServerResponse): void {
    const path = safePath(req);
    if (path !== '/metrics') return sendError(res, 404, `No route for ${req.method} ${path}. The metrics port serves GET /metrics only.`, 'not_found');
    this.serveMetrics(req, res).catch((error: unknown) => {
      this.log.error(`internal error on the metrics port: ${(error as Error)?.message ?? String(error)}`);
      if (!res.headersSent) sendError(res, 500, 'The gateway could not render its metrics; see its log.', 'internal_error');
      else res.destroy();
    });
  }

  /** The caller's key, or undefined after answering 401/403. `adminFor` names what needs an admin key. */
  private authorize(req: IncomingMessage, res: ServerResponse, path: string, adminFor?: string): KeyRecord | undefined {
    const auth = this.keys.authenticate(req.headers.authorization);
    if ('error' in auth) {
      sendError(res, 401, authMessage(auth as AuthFailure), 'invalid_api_key');
      this.access(req, path, undefined, 401, `authentication failed: ${(auth as AuthFailure).error} key`);
      return undefined;
    }
    if (adminFor && !auth.admin) {
      sendError(res, 403, `Key "${auth.name}" has no admin scope, which ${adminFor} needs. Use an admin key (kt keys create --name NAME --admin).`, 'admin_required');
      this.access(req, path, auth, 403, 'admin scope required');
      return undefined;
    }
    return auth;
  }

  /** With `log_all_access`, model listings, events reads and auth failures are recorded too. */
  private access(req: IncomingMessage, path: string, key: KeyRecord | undefined, status: number, reason: string | null = null): void {
    if (!this.events || !this.current.config.auditLogger?.log_all_access) return;
    const event = accessEvent({
      method: req.method ?? 'GET', path, http_status: status, key_id: key?.name ?? null,
      decision: status < 400 ? 'allowed' : 'blocked', reason,
    });
    try {
      this.events.append(event);
    } catch (error) {
      this.log.error(`could not record access event: ${(error as Error).message}`);
    }
  }
}

function listen(server: Server, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
}

function urlOf(host = '127.0.0.1', port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function safePath(req: IncomingMessage): string {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  return (q === -1 ? raw : raw.slice(0, q)).slice(0, 300);
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Reads and lints the config and builds a routing table; a config with errors is refused. */
export function loadTable(options: GatewayOptions, pools: DispatcherCache): RoutingTable {
  const file = resolve(options.configPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read config ${options.configPath}: ${code === 'ENOENT' ? 'no such file' : code ?? 'unreadable'}`);
  }
  const analysis = analyzePolicy(text);
  if (!analysis.config) {
    throw new ConfigError(`${options.configPath} has ${analysis.errorCount} error${analysis.errorCount === 1 ? '' : 's'}; fix them (kt policy lint --file ${options.configPath})`, analysis.diagnostics, text);
  }
  const env = { ...loadDotEnv(join(dirname(file), '.env')), ...(options.env ?? process.env) };
  return new RoutingTable(analysis.config, pools, env, options.ollamaFallback);
}
