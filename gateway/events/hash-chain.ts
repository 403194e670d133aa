// The audit hash chain: each record's hash covers the previous record's hash and its own canonical JSON.
import { hash } from 'node:crypto';
import type { DecisionEvent } from './decision-event';

export const GENESIS_HASH = '0'.repeat(64);

// Records come with the same few key lists in the same order (an event, an attempt, its tokens): each
// list's sorted order and quoted `"key":` prefixes are kept, so a record costs no sort and no quoting.
interface Shape { keys: string[]; sorted: string[]; prefixes: string[] }
const shapes: Shape[] = [];
const MAX_SHAPES = 64;

function shapeOf(keys: string[]): Shape {
  search: for (const shape of shapes) {
    if (shape.keys.length !== keys.length) continue;
    for (let i = 0; i < keys.length; i++) if (shape.keys[i] !== keys[i]) continue search;
    return shape;
  }
  const sorted = [...keys].sort();
  const shape = { keys, sorted, prefixes: sorted.map((key) => `${JSON.stringify(key)}:`) };
  if (shapes.length < MAX_SHAPES) shapes.push(shape);
  return shape;
}

/**
 * JSON with object keys sorted at every level, so a record hashes the same after a parse/stringify round trip.
 * Plain loops over cached shapes because it runs once per event on the gateway's hot path.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += value[i] === undefined ? 'null' : canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const { sorted, prefixes } = shapeOf(Object.keys(object));
  let out = '';
  for (let i = 0; i < sorted.length; i++) {
    const item = object[sorted[i]];
    if (item === undefined) continue;
    out += (out === '' ? '{' : ',') + prefixes[i] + canonicalJson(item);
  }
  return out === '' ? '{}' : `${out}}`;
}

/** sha256 over prev_hash + canonical JSON of the record without its `hash`. */
export function recordHash(record: DecisionEvent): string {
  const { hash: _ignored, ...rest } = record;
  return hash('sha256', (record.prev_hash ?? '') + canonicalJson(rest));
}

/**
 * The event linked after `prevHash`, and its log line: the canonical JSON that was hashed with the
 * hash added, which parses back to the record. One serialization per event, not one to hash and one to write.
 */
export function chainRecord(event: DecisionEvent, prevHash: string): { record: DecisionEvent; line: string } {
  const record: DecisionEvent = { ...event, hash: undefined, prev_hash: prevHash };
  const canonical = canonicalJson(record);
  record.hash = hash('sha256', prevHash + canonical);
  return { record, line: `${canonical.slice(0, -1)},"hash":"${record.hash}"}\n` };
}

/** Written when retention purges chained files: the hash the oldest remaining record must link to. */
export interface ChainAnchor { last_hash: string; last_id: string; purged_through: string }
export const ANCHOR_FILE = 'chain-anchor.json';

/** Each replica chains its own files, so each has its own anchor. */
export function anchorFileName(replica: string | null = null): string {
  return replica ? `chain-anchor-${replica}.json` : ANCHOR_FILE;
}
