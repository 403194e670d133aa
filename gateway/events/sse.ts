// Server-Sent Events framing for the live event stream: one `data:` line of JSON per event.
// (Parsing is gateway/providers/sse.ts's parseSse, shared with the provider streams.)

export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_KEEP_ALIVE = ': keep-alive\n\n';
