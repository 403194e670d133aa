// `kt events … --gateway URL`: the same queries and live feed, over the gateway's events API.
import { request } from 'undici';
import type { DecisionEvent } from './decision-event';
import { EventQueue, type LiveFeed } from './follow';
import { parseSse } from '../providers/sse';

export interface GatewayTarget { url: string; key: string }
export interface GatewayError { error: string }

function endpoint(target: GatewayTarget, path: string, params: Record<string, string | string[]>): URL | GatewayError {
  let url: URL;
  try {
    url = new URL(path, target.url.endsWith('/') ? target.url : `${target.url}/`);
  } catch {
    return { error: `--gateway '${target.url}' is not a URL: write it like http://127.0.0.1:41002` };
  }
  for (const [name, value] of Object.entries(params)) for (const item of [value].flat()) url.searchParams.append(name, item);
  return url;
}

export async function fetchEvents(target: GatewayTarget, filters: string[], limit: number): Promise<DecisionEvent[] | GatewayError> {
  const url = endpoint(target, 'kt/v1/events', { limit: String(limit), filter: filters });
  if ('error' in url) return url;
  try {
    const response = await request(url, { headers: { authorization: `Bearer ${target.key}` } });
    const text = await response.body.text();
    if (response.statusCode !== 200) return { error: describeFailure(target, response.statusCode, text) };
    const body = JSON.parse(text) as { data?: DecisionEvent[] };
    return Array.isArray(body.data) ? body.data : { error: `${target.url} answered without a list of events: is it a kt gateway?` };
  } catch (error) {
    return { error: unreachable(target, error) };
  }
}

/** Opens the SSE stream; resolves once the gateway accepted it, so no event after this point is missed. */
export async function openEventStream(target: GatewayTarget, filters: string[]): Promise<LiveFeed | GatewayError> {
  const url = endpoint(target, 'kt/v1/events/stream', { filter: filters });
  if ('error' in url) return url;
  const controller = new AbortController();
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, { headers: { authorization: `Bearer ${target.key}`, accept: 'text/event-stream' }, signal: controller.signal, bodyTimeout: 0 });
  } catch (error) {
    return { error: unreachable(target, error) };
  }
  if (response.statusCode !== 200) return { error: describeFailure(target, response.statusCode, await response.body.text()) };
  const queue = new EventQueue();
  void (async () => {
    try {
      for await (const { data } of parseSse(response.body)) {
        try {
          queue.push(JSON.parse(data) as DecisionEvent);
        } catch {
          // a malformed frame is dropped; the stream goes on
        }
      }
    } catch {
      // aborted by close() or the gateway went away: either way the feed ends
    } finally {
      queue.end();
    }
  })();
  return {
    events: queue,
    close() {
      controller.abort();
      queue.end();
    },
  };
}

function describeFailure(target: GatewayTarget, status: number, body: string): string {
  let message = body.slice(0, 200);
  try {
    message = (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  const hint = status === 401 ? ' (pass --key, set KT_GATEWAY_KEY, or use the dev key in <state>/dev-key)'
    : status === 403 ? ' (the events API needs a key created with --admin)' : '';
  return `${target.url} answered ${status}: ${message}${hint}`;
}

function unreachable(target: GatewayTarget, error: unknown): string {
  const code = (error as { code?: string }).code ?? (error as Error).message;
  return `cannot reach the gateway at ${target.url} (${code}): is it running? Start it with 'kt gateway start'`;
}
