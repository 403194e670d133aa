import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseParser } from '../../client/events/sse-parser';

function parse(chunks: string[]): string[] {
  const out: string[] = [];
  const p = new SseParser((d) => out.push(d));
  for (const c of chunks) p.push(c);
  return out;
}

test('data lines are dispatched on a blank line; comments and other fields are ignored', () => {
  const stream = ': keep-alive\n\nid: 1\nevent: message\ndata: {"a":1}\n\ndata:{"b":2}\n\ndata: line1\ndata: line2\n\n';
  assert.deepEqual(parse([stream]), ['{"a":1}', '{"b":2}', 'line1\nline2']);
});

test('CRLF and CR line endings work, and an unfinished message is not dispatched', () => {
  assert.deepEqual(parse(['data: x\r\n\r\ndata: y\r\rdata: z\n']), ['x', 'y']);
});

test('any split of a stream into chunks gives the same messages', () => {
  const stream = 'data: {"id":"e1"}\r\n\r\n: ping\n\ndata: {"id":"e2"}\ndata: more\n\ndata: é✓\r\r';
  const expected = parse([stream]);
  assert.deepEqual(expected, ['{"id":"e1"}', '{"id":"e2"}\nmore', 'é✓']);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 8 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const chunks: string[] = [];
      let prev = 0;
      for (const p of points) {
        chunks.push(stream.slice(prev, p));
        prev = p;
      }
      chunks.push(stream.slice(prev));
      assert.deepEqual(parse(chunks), expected);
    }),
    { numRuns: 300 },
  );
});
