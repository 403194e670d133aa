// Where OTLP goes: `--otlp-endpoint URL`, else the standard OTEL_EXPORTER_OTLP_* variables (OTLP/HTTP,
// protobuf). A base endpoint gets the signal paths appended; a per-signal variable is used as it is.

export interface OtlpSettings {
  tracesUrl: string;
  logsUrl: string;
  /** Header values are secrets (collector tokens): never logged, never in errors. */
  headers: Record<string, string>;
  serviceName: string;
}

export type OtlpSettingsResult = { settings: OtlpSettings | undefined } | { error: string };

export function otlpSettings(flag: string | undefined, env: NodeJS.ProcessEnv): OtlpSettingsResult {
  const base = flag ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const traces = flag ? undefined : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const logs = flag ? undefined : env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;
  if (!base && !traces && !logs) return { settings: undefined };
  const source = flag ? '--otlp-endpoint' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const signal = (exact: string | undefined, path: string, name: string): string | { error: string } => {
    const url = exact ?? (base ? `${base.replace(/\/+$/, '')}${path}` : undefined);
    const from = exact ? name : source;
    if (!url) return { error: `${name} is not set while another OTLP endpoint is: set OTEL_EXPORTER_OTLP_ENDPOINT (the collector's base URL, e.g. http://127.0.0.1:4318) instead` };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { error: `${from} is not a URL: use the collector's OTLP/HTTP address, e.g. http://127.0.0.1:4318` };
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { error: `${from} must be an http(s) URL (OTLP/HTTP), not ${parsed.protocol}` };
    return url;
  };
  const tracesUrl = signal(traces, '/v1/traces', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (typeof tracesUrl !== 'string') return tracesUrl;
  const logsUrl = signal(logs, '/v1/logs', 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT');
  if (typeof logsUrl !== 'string') return logsUrl;
  const headers = parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS);
  if ('error' in headers) return headers;
  return { settings: { tracesUrl, logsUrl, headers: headers.headers, serviceName: env.OTEL_SERVICE_NAME || 'kt-gateway' } };
}

/** `key=value,key2=value2`, values URL-encoded, as the OpenTelemetry spec has it. */
function parseHeaders(text: string | undefined): { headers: Record<string, string> } | { error: string } {
  const headers: Record<string, string> = {};
  if (!text) return { headers };
  for (const part of text.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return { error: 'OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas' };
    try {
      headers[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return { error: 'OTEL_EXPORTER_OTLP_HEADERS has a value that is not URL-encoded' };
    }
  }
  return { headers };
}
