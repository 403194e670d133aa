import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSse, type SseEvent } from '../../gateway/providers/sse';

async function* chunks(parts: Array<Uint8Array | string>): AsyncGenerator<Uint8Array | string> {
  for (const p of parts) yield p;
}

async function collect(parts: Array<Uint8Array | string>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of parseSse(chunks(parts))) out.push(e);
  return out;
}

const enc = (s: string) => new TextEncoder().encode(s);

test('OpenAI-style data events, comments ignored, [DONE] is plain data', async () => {
  const events = await collect([enc(': keep-alive\n\ndata: {"a":1}\n\ndata: [DONE]\n\n')]);
  assert.deepEqual(events, [
    { event: 'message', data: '{"a":1}' },
    { event: 'message', data: '[DONE]' },
  ]);
});

test('event field, multi-line data joined with \\n, space after colon optional', async () => {
  const events = await collect([enc('event: message_start\ndata: line1\ndata:line2\ndata\n\n')]);
  assert.deepEqual(events, [{ event: 'message_start', data: 'line1\nline2\n' }]);
});

test('\\r\\n and lone \\r line endings', async () => {
  assert.deepEqual(await collect([enc('data: a\r\n\r\ndata: b\r\rdata: c\n\n')]), [
    { event: 'message', data: 'a' },
    { event: 'message', data: 'b' },
    { event: 'message', data: 'c' },
  ]);
});

test('\\r\\n split across chunks counts as one line break', async () => {
  // If the LF after a chunk-final CR were taken as a second break, "data: y" would be dispatched early.
  assert.deepEqual(await collect([enc('data: x\r'), enc('\ndata: y\r'), enc('\n\r\n')]), [{ event: 'message', data: 'x\ny' }]);
});

test('event without data is not dispatched; event type resets after dispatch', async () => {
  const events = await collect([enc('event: ping\n\nevent: a\ndata: 1\n\ndata: 2\n\n')]);
  assert.deepEqual(events, [{ event: 'a', data: '1' }, { event: 'message', data: '2' }]);
});

test('end of input ends the stream and drops an unterminated event', async () => {
  assert.deepEqual(await collect([enc('data: done\n\ndata: partial')]), [{ event: 'message', data: 'done' }]);
  assert.deepEqual(await collect([]), []);
});

test('multi-byte UTF-8 split across chunks decodes intact', async () => {
  const bytes = enc('data: héllo 世界 🎉\n\n');
  const parts = Array.from(bytes, (b) => Uint8Array.of(b));
  assert.deepEqual(await collect(parts), [{ event: 'message', data: 'héllo 世界 🎉' }]);
});

test('id field is kept, BOM stripped', async () => {
  assert.deepEqual(await collect([enc('\uFEFFid: 7\ndata: x\n\n')]), [{ event: 'message', data: 'x', id: '7' }]);
});

test('property: any split of the byte stream yields the same events', async () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'é', '世', '🎉', ' ', ':', '{', '"'), maxLength: 12 });
  const eventArb = fc.record({
    event: fc.option(fc.constantFrom('message_start', 'content_block_delta', 'ping'), { nil: undefined }),
    lines: fc.array(text, { minLength: 1, maxLength: 3 }),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    comment: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(eventArb, { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 20 }), async (evs, cuts) => {
      let wire = '';
      for (const e of evs) {
        if (e.comment) wire += `: comment${e.eol}`;
        if (e.event) wire += `event: ${e.event}${e.eol}`;
        for (const l of e.lines) wire += `data: ${l}${e.eol}`;
        wire += e.eol;
      }
      const bytes = enc(wire);
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const parts: Uint8Array[] = [];
      let prev = 0;
      for (const p of [...points, bytes.length]) { parts.push(bytes.subarray(prev, p)); prev = p; }
      const expected = evs.map((e) => ({ event: e.event ?? 'message', data: e.lines.join('\n') }));
      assert.deepEqual(await collect(parts), expected);
      // Byte-by-byte is the worst case split.
      assert.deepEqual(await collect(Array.from(bytes, (b) => Uint8Array.of(b))), expected);
    }),
    { numRuns: 150 },
  );
});
