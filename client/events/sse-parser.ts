// Server-Sent Events framing (the WHATWG rules we need): `data:` lines joined by "\n", dispatched on
// a blank line; comments (`:`) and other fields ignored; CRLF, CR and LF all end a line.

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private sawCr = false;

  constructor(private readonly onData: (data: string) => void) {}

  push(chunk: string): void {
    let text = chunk;
    // A CRLF split across chunks: drop the LF that belongs to the CR already handled.
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1);
    this.sawCr = false;
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      if (m[0] === '\r' && m.index === this.buffer.length - 1) {
        this.sawCr = true;
      }
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length) this.onData(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
  }
}
