// Streaming Server-Sent-Events parser (WHATWG event-stream rules) over raw upstream bytes.
// Chunks may split lines, `\r\n` pairs and UTF-8 characters anywhere.

import { StringDecoder } from 'node:string_decoder';

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
 * Push-style parser: feed it the body's chunks as they arrive and take the events each one
 * completes. The end of input ends the stream; an event that was not terminated by a blank line is
 * discarded, as browsers and the OpenAI SDK do.
 */
export class SseParser {
  // StringDecoder: keeps a UTF-8 character split across chunks whole, and is cheaper than TextDecoder.
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';          // text after the last line break seen
  private skipLeadingLf = false; // previous chunk ended in CR: a following LF belongs to it
  private atStart = true;
  private data: string[] = [];
  private event = '';
  private id: string | undefined;

  /** The events completed by this chunk, in order (often none or one). */
  push(chunk: Uint8Array | string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (text.length === 0) return out;
    if (this.atStart) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // the stream may open with a BOM
    }
    if (this.skipLeadingLf) {
      this.skipLeadingLf = false;
      if (text.charCodeAt(0) === LF) text = text.slice(1);
    }
    let start = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      const line = this.pending.length ? this.pending + text.slice(start, i) : text.slice(start, i);
      this.pending = '';
      if (c === CR) {
        if (i + 1 < n) { if (text.charCodeAt(i + 1) === LF) i++; }
        else this.skipLeadingLf = true;
      }
      start = i + 1;
      this.line(line, out);
    }
    if (start < n) this.pending += text.slice(start);
    return out;
  }

  /** End of input: flushes the decoder; an incomplete trailing event is dropped by design. */
  end(): void {
    this.decoder.end();
  }

  private line(line: string, out: SseEvent[]): void {
    if (line.length === 0) {
      if (this.data.length) {
        const event = this.event || 'message';
        const data = this.data.join('\n');
        out.push(this.id === undefined ? { event, data } : { event, data, id: this.id });
      }
      this.data = [];
      this.event = '';
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') { if (!value.includes('\0')) this.id = value; }
    // `retry` and unknown fields are ignored.
  }
}

/** SseParser over an async source of chunks: one SseEvent per blank-line-terminated event with data. */
export async function* parseSse(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  for await (const chunk of source) yield* parser.push(chunk);
  parser.end();
}
