// The audit hash chain: each record's hash covers the previous record's hash and its own canonical JSON.
import { hash } from 'node:crypto';
import type { DecisionEvent } from './decision-event';

export const GENESIS_HASH = '0'.repeat(64);

// Keys are the same few dozen names on every record: quote each once.
const quotedKeys = new Map<string, string>();
function quoted(key: string): string {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    if (quotedKeys.size < 4096) quotedKeys.set(key, text);
  }
  return text;
}

/**
 * JSON with object keys sorted at every level, so a record hashes the same after a parse/stringify round trip.
 * Written as plain loops (no map/filter/join) because it runs once per event on the gateway's hot path.
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
  const keys = Object.keys(object).sort();
  let out = '{';
  for (const key of keys) {
    const item = object[key];
    if (item === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${quoted(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
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
