// Streaming Server-Sent-Events parser (WHATWG event-stream rules) over raw upstream bytes.
// Chunks may split lines, `\r\n` pairs and UTF-8 characters anywhere.

export interface SseEvent {
  /** `event:` field; "message" when the event had none. */
  event: string;
  /** `data:` lines joined with "\n". */
  data: string;
  id?: string;
}

const LF = 10;
const CR = 13;

/**
 * Yields one SseEvent per blank-line-terminated event with data. The end of input ends the stream;
 * an event that was not terminated by a blank line is discarded, as browsers and the OpenAI SDK do.
 */
export async function* parseSse(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';          // text after the last line break seen
  let skipLeadingLf = false; // previous chunk ended in CR: a following LF belongs to it
  let data: string[] = [];
  let event = '';
  let id: string | undefined;

  for await (const chunk of source) {
    let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (text.length === 0) continue;
    if (skipLeadingLf) {
      skipLeadingLf = false;
      if (text.charCodeAt(0) === LF) text = text.slice(1);
    }
    let start = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      const line = pending.length ? pending + text.slice(start, i) : text.slice(start, i);
      pending = '';
      if (c === CR) {
        if (i + 1 < n) { if (text.charCodeAt(i + 1) === LF) i++; }
        else skipLeadingLf = true;
      }
      start = i + 1;

      if (line.length === 0) {
        if (data.length) {
          yield id === undefined ? { event: event || 'message', data: data.join('\n') } : { event: event || 'message', data: data.join('\n'), id };
        }
        data = [];
        event = '';
        continue;
      }
      if (line.charCodeAt(0) === 58 /* : */) continue; // comment / keep-alive
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id') { if (!value.includes('\0')) id = value; }
      // `retry` and unknown fields are ignored.
    }
    if (start < n) pending += text.slice(start);
  }
  decoder.decode(); // flush; an incomplete trailing event is dropped by design
}
