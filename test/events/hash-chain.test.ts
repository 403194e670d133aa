import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson, chainRecord, recordHash } from '../../gateway/events/hash-chain';
import type { DecisionEvent } from '../../gateway/events/decision-event';
import { fallbackEvent, sampleEvent } from './fixtures/sample-events';

/** The definition canonicalJson must keep (logs written by earlier gateways are verified with it). */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : reference(item))).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${reference((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

// JSON values with undefined members, and the same key lists again in other orders (the shape cache's case).
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), fc.constant(undefined), fc.array(tie('node'), { maxLength: 4 }), tie('object')),
  object: fc.dictionary(fc.oneof(fc.constantFrom('id', 'hash', 'a', 'b', 'z', '10', '9', 'é', '"q'), fc.string()), tie('node'), { maxKeys: 6 }),
})).node;

test('canonicalJson matches its definition on any JSON value, key order and undefined member', () => {
  fc.assert(fc.property(value, fc.array(value, { maxLength: 3 }), (first, more) => {
    for (const item of [first, ...more]) assert.equal(canonicalJson(item), reference(item));
  }), { numRuns: 2000 });
});

test('canonicalJson sorts the same keys whatever order they were set in', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, undefined], c: null } }), '{"a":{"c":null,"d":[1,null]},"b":1}');
  assert.equal(canonicalJson({ a: { c: null, d: [1, undefined] }, b: 1 }), '{"a":{"c":null,"d":[1,null]},"b":1}');
  assert.equal(canonicalJson({ skip: undefined }), '{}');
});

test('a chained line parses back to its record, and the record verifies', () => {
  let prev = '0'.repeat(64);
  for (const event of [sampleEvent(), fallbackEvent(), sampleEvent({ reason: 'quote " and \u2028 newline\n', hash: 'stale' })]) {
    const { record, line } = chainRecord(event, prev);
    assert.ok(line.endsWith('}\n'));
    const parsed = JSON.parse(line) as DecisionEvent;
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(record)));
    assert.equal(parsed.prev_hash, prev);
    assert.equal(recordHash(parsed), parsed.hash);
    assert.notEqual(parsed.hash, 'stale');
    prev = parsed.hash!;
  }
});
