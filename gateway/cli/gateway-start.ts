// `kt gateway start`: lint the config, refuse on errors, serve until SIGINT/SIGTERM.
import { isLoopbackHost } from '../policy/provider-type';
import { resolveStateDir } from '../state-dir';
import { ConfigError, Gateway, DEFAULT_MAX_BODY_BYTES } from '../http/server';
import { otlpSettings } from '../telemetry/otlp-settings';
import type { Logger } from '../http/gateway-context';
import { formatText } from './lint';
import { isUsageError, parseCommandArgs } from './args';

export const GATEWAY_START_HELP = `Usage: kt gateway start --config FILE [options]

Runs the OpenAI-compatible routing gateway on the model groups of a policy-config.yaml.
Refuses to start when the config has lint errors. Reloads the config when the file changes.

Options:
  --config FILE            the policy-config.yaml to serve (required)
  --host HOST              address to bind (default 127.0.0.1)
  --port PORT              port to listen on (default 41002; 0 picks a free one)
  --state-dir DIR          events, keys and the dev key (default .kt/ beside the config)
  --ollama-fallback MODEL  append a local Ollama model as the last fallback of every group without one
  --ollama-url URL         Ollama's OpenAI-compatible URL (default http://localhost:11434/v1)
  --max-body-bytes N       largest request body accepted (default ${DEFAULT_MAX_BODY_BYTES})
  --allow-remote           required to bind an address other than loopback
  --no-events              do not record decision events
  --replica-id ID          when several gateways share --state-dir: this one's events go to
                           events-ID-<day>.jsonl with their own hash chain (default $KT_REPLICA_ID)
  --metrics-port PORT      also serve Prometheus metrics at /metrics on this port without a key (0 picks a free one)
  --no-metrics             keep no metrics (GET /metrics answers 404)
  --otlp-endpoint URL      export each request as OpenTelemetry spans and its event as a log record, over
                           OTLP/HTTP to this collector (e.g. http://127.0.0.1:4318); default
                           $OTEL_EXPORTER_OTLP_ENDPOINT. Events on disk stay as they are.
  -h, --help               show this help

On first start with no gateway keys, a development key "dev" (all groups, admin) is created and
stored in <state-dir>/dev-key. Rotate it with: kt keys revoke dev && kt keys create --name dev --admin`;

const consoleLogger: Logger = {
  info: (m) => process.stdout.write(`${new Date().toISOString()} info  ${m}\n`),
  warn: (m) => process.stderr.write(`${new Date().toISOString()} warn  ${m}\n`),
  error: (m) => process.stderr.write(`${new Date().toISOString()} error ${m}\n`),
};

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('kt gateway start', argv, {
    config: { type: 'string', short: 'c' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '41002' },
    'state-dir': { type: 'string' },
    'ollama-fallback': { type: 'string' },
    'ollama-url': { type: 'string' },
    'max-body-bytes': { type: 'string' },
    'allow-remote': { type: 'boolean', default: false },
    'no-events': { type: 'boolean', default: false },
    'replica-id': { type: 'string' },
    'metrics-port': { type: 'string' },
    'no-metrics': { type: 'boolean', default: false },
    'otlp-endpoint': { type: 'string' },
  });
  if (isUsageError(parsed)) {
    process.stderr.write(`${parsed.message}\n`);
    return 2;
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(`${GATEWAY_START_HELP}\n`);
    return 0;
  }
  const fail = (message: string) => {
    process.stderr.write(`kt gateway start: ${message}\n`);
    return 2;
  };
  const config = v.config as string | undefined;
  if (!config) return fail('missing --config FILE (the policy-config.yaml to serve). Run "kt gateway start --help" for usage.');
  const port = Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(`--port must be a number from 0 to 65535, not "${v.port}".`);
  const metricsPort = v['metrics-port'] === undefined ? undefined : Number(v['metrics-port']);
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)) return fail(`--metrics-port must be a number from 0 to 65535, not "${v['metrics-port']}".`);
  if (metricsPort !== undefined && v['no-metrics']) return fail('--metrics-port and --no-metrics contradict each other; pass one of them.');
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) return fail(`--metrics-port must differ from --port (both are ${port}).`);
  const maxBody = v['max-body-bytes'] === undefined ? DEFAULT_MAX_BODY_BYTES : Number(v['max-body-bytes']);
  if (!Number.isInteger(maxBody) || maxBody < 1024) return fail('--max-body-bytes must be a whole number of at least 1024.');
  const host = String(v.host);
  if (!isLoopbackHost(host)) {
    if (!v['allow-remote']) return fail(`refusing to bind ${host}: the gateway would be reachable from the network. Pass --allow-remote to do it anyway.`);
    consoleLogger.warn(`binding ${host}: the gateway is reachable from other machines; only gateway keys protect it`);
  }

  const otlp = otlpSettings(v['otlp-endpoint'] as string | undefined, process.env);
  if ('error' in otlp) return fail(otlp.error);

  const stateDir = resolveStateDir({ stateDir: v['state-dir'] as string | undefined, config });
  let gateway: Gateway;
  try {
    gateway = await Gateway.start({
      configPath: config,
      stateDir,
      host,
      port,
      maxBodyBytes: maxBody,
      recordEvents: !v['no-events'],
      replicaId: (v['replica-id'] as string | undefined) ?? (process.env.KT_REPLICA_ID || undefined),
      metrics: !v['no-metrics'],
      metricsPort,
      otlp: otlp.settings,
      ollamaFallback: v['ollama-fallback'] ? { model: String(v['ollama-fallback']), baseUrl: v['ollama-url'] as string | undefined } : undefined,
      log: consoleLogger,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      if (error.diagnostics.length) process.stdout.write(`${formatText(config, error.diagnostics, error.diagnostics.filter((d) => d.severity === 'error').length, error.diagnostics.filter((d) => d.severity === 'warning').length)}\n`);
      process.stderr.write(`kt gateway start: ${error.message}\n`);
      return 1;
    }
    const code = (error as NodeJS.ErrnoException).code;
    // Node names the port that failed: --port's or --metrics-port's.
    const failed = (error as { port?: number }).port ?? port;
    const flag = failed === metricsPort && failed !== port ? '--metrics-port' : '--port';
    if (code === 'EADDRINUSE') process.stderr.write(`kt gateway start: port ${failed} on ${host} is already in use. Stop what uses it, or pass ${flag} with another port (0 picks a free one).\n`);
    else if (code === 'EACCES') process.stderr.write(`kt gateway start: not allowed to listen on ${host}:${failed}. Use a port above 1024.\n`);
    else process.stderr.write(`kt gateway start: ${(error as Error).message}\n`);
    return 1;
  }

  const devKey = gateway.keys.ensureDevKey();
  if (devKey) {
    // The key goes to an interactive terminal only; logs (the editor's output channel) never carry it.
    if (process.stdout.isTTY) consoleLogger.info(`created development key "dev": ${devKey} (also in ${gateway.keys.devKeyPath}; shown once)`);
    else consoleLogger.info(`created development key "dev"; read it from ${gateway.keys.devKeyPath}`);
  }
  const table = gateway.table;
  const replica = gateway.events?.replica ? ` as replica ${gateway.events.replica}` : '';
  if (otlp.settings) consoleLogger.info(`exporting OTLP traces to ${otlp.settings.tracesUrl} and logs to ${otlp.settings.logsUrl}`);
  consoleLogger.info(`serving ${table.groups.size} model groups (${[...table.groups.keys()].join(', ')}) over ${table.targets.size} targets; state in ${stateDir}${replica}`);
  // Signal handlers go in before the ready line: a supervisor may stop us the moment it reads it.
  const stopped = new Promise<number>((resolveExit) => {
    const stop = (signal: string) => {
      consoleLogger.info(`${signal}: finishing in-flight requests, then stopping`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      gateway.close().then(() => resolveExit(0), () => resolveExit(0));
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  if (gateway.metricsUrl) consoleLogger.info(`Prometheus metrics without a key on ${gateway.metricsUrl}`);
  process.stdout.write(`listening on ${gateway.url}\n`);
  return stopped;
}
