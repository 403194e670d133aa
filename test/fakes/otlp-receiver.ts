// An OTLP/HTTP receiver for tests: POST /v1/traces and /v1/logs (protobuf), decoded with the official
// opentelemetry-proto definitions (test/fixtures/otlp-proto) through protobufjs, as a collector would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';

const PROTO_ROOT = join(__dirname, '..', 'fixtures', 'otlp-proto');

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  status: { code: number; message: string };
  resource: Record<string, unknown>;
}

export interface ReceivedLog {
  timeMs: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  logs: ReceivedLog[];
  requests: number;
  /** Answer 503 to everything (a collector that is overloaded or restarting). */
  failing: boolean;
  close(): Promise<void>;
}

let types: Promise<{ traces: protobuf.Type; logs: protobuf.Type }> | undefined;
function loadTypes() {
  types ??= (async () => {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(PROTO_ROOT, target));
    await root.load(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/logs/v1/logs_service.proto'], { keepCase: false });
    return {
      traces: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
      logs: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    };
  })();
  return types;
}

function anyValue(value: any): unknown {
  if (!value) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('boolValue' in value) return value.boolValue;
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(anyValue);
  return undefined;
}

function attributes(list: any[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
const ms = (nanos: unknown) => Number(BigInt(String(nanos ?? 0)) / 1_000_000n);

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const { traces, logs } = await loadTypes();
  const state: OtlpReceiver = { url: '', spans: [], logs: [], requests: 0, failing: false, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      if (state.failing) {
        res.writeHead(503).end();
        return;
      }
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-protobuf') {
        res.writeHead(415).end();
        return;
      }
      const body = Buffer.concat(chunks);
      try {
        if (req.url === '/v1/traces') {
          const message = traces.toObject(traces.decode(body), { longs: String, bytes: Array }) as any;
          for (const rs of message.resourceSpans ?? []) {
            const resource = attributes(rs.resource?.attributes);
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                state.spans.push({
                  traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId), name: s.name, kind: s.kind ?? 0,
                  startMs: ms(s.startTimeUnixNano), endMs: ms(s.endTimeUnixNano), attributes: attributes(s.attributes),
                  status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' }, resource,
                });
              }
            }
          }
        } else if (req.url === '/v1/logs') {
          const message = logs.toObject(logs.decode(body), { longs: String, bytes: Array }) as any;
          for (const rl of message.resourceLogs ?? []) {
            for (const sl of rl.scopeLogs ?? []) {
              for (const r of sl.logRecords ?? []) {
                state.logs.push({ timeMs: ms(r.timeUnixNano), severityText: r.severityText ?? '', body: anyValue(r.body), attributes: attributes(r.attributes) });
              }
            }
          }
        } else {
          res.writeHead(404).end();
          return;
        }
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`undecodable OTLP: ${(error as Error).message}`);
        return;
      }
      // An empty Export*ServiceResponse: zero bytes of protobuf.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return state;
}
