// The events API: `GET /kt/v1/events` (newest first) and `GET /kt/v1/events/stream` (SSE).
// The integrator authenticates (admin scope) before calling; this file only parses, queries and streams.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventLog } from '../events/event-log';
import { isFilterError, matchesFilters, parseFilters, type EventFilter } from '../events/filter';
import { SSE_KEEP_ALIVE, sseData } from '../events/sse';
import { drained } from './respond';

export const EVENTS_PATH = '/kt/v1/events';
export const EVENTS_STREAM_PATH = '/kt/v1/events/stream';
export const DEFAULT_EVENTS_LIMIT = 20;
export const MAX_EVENTS_LIMIT = 10_000;

export interface EventsApiOptions {
  keepAliveMs?: number;
  /** A client that stops reading gets dropped once this much output is queued for it. */
  maxBufferedBytes?: number;
}

/** Handles the two events routes; returns false for any other path so the caller can 404 it. */
export function handleEventsRequest(req: IncomingMessage, res: ServerResponse, url: URL, log: EventLog, options: EventsApiOptions = {}): boolean {
  // Match the raw request path, not the normalised URL, so `/kt/v1/x/../events` or `/kt/v1/events/` are not ours.
  const rawPath = (req.url ?? '').split('?')[0];
  if (rawPath !== EVENTS_PATH && rawPath !== EVENTS_STREAM_PATH) return false;
  if (url.pathname !== rawPath) return false;
  if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET');
    sendError(res, 405, `${req.method} is not supported on ${rawPath}: use GET`, 'invalid_request_error', 'method_not_allowed', null);
    return true;
  }
  const filters = parseFilters(url.searchParams.getAll('filter'));
  if (isFilterError(filters)) {
    sendError(res, 400, filters.error, 'invalid_request_error', 'invalid_filter', 'filter');
    return true;
  }
  if (rawPath === EVENTS_STREAM_PATH) stream(req, res, log, filters, options);
  else void list(res, url, log, filters).catch((error: Error) => {
    if (!res.headersSent) sendError(res, 500, `reading the event log failed: ${error.message}`, 'server_error', 'events_read_failed', null);
    else res.destroy();
  });
  return true;
}

const SERIALIZE_BATCH = 500;

async function list(res: ServerResponse, url: URL, log: EventLog, filters: EventFilter[]): Promise<void> {
  const limitText = url.searchParams.get('limit');
  const limit = limitText === null ? DEFAULT_EVENTS_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENTS_LIMIT) {
    sendError(res, 400, `limit must be a whole number from 1 to ${MAX_EVENTS_LIMIT}, got '${limitText}'`, 'invalid_request_error', 'invalid_limit', 'limit');
    return;
  }
  const events = await log.queryAsync({ filters, limit });
  if (res.destroyed) return;
  if (events.length <= SERIALIZE_BATCH) {
    const body = JSON.stringify({ object: 'list', data: events });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  // A big answer goes out in batches, the event loop free between them (10,000 events are ~10 MB of JSON).
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.write('{"object":"list","data":[');
  for (let i = 0; i < events.length; i += SERIALIZE_BATCH) {
    const batch = events.slice(i, i + SERIALIZE_BATCH).map((event) => JSON.stringify(event)).join(',');
    const flushed = res.write(i === 0 ? batch : `,${batch}`);
    if (!flushed) await drained(res);
    else await new Promise((resolve) => setImmediate(resolve));
    if (res.destroyed) return;
  }
  res.end(']}');
}


function stream(req: IncomingMessage, res: ServerResponse, log: EventLog, filters: EventFilter[], options: EventsApiOptions): void {
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  res.write(': connected\n\n');
  const unsubscribe = log.subscribe((event) => {
    if (!matchesFilters(event, filters)) return;
    if (res.writableLength > maxBuffered) {
      cleanup();
      res.destroy();
      return;
    }
    res.write(sseData(event));
  });
  const keepAlive = setInterval(() => res.write(SSE_KEEP_ALIVE), options.keepAliveMs ?? 15_000);
  keepAlive.unref();
  let closed = false;
  function cleanup(): void {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    unsubscribe();
  }
  req.on('close', cleanup);
  res.on('close', cleanup);
  res.on('error', cleanup);
}

/** OpenAI's error shape, which every client SDK already knows how to show. */
export function sendError(res: ServerResponse, status: number, message: string, type: string, code: string | null, param: string | null): void {
  const body = JSON.stringify({ error: { message, type, code, param } });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
