// The audit hash chain: each record's hash covers the previous record's hash and its own canonical JSON.
import { createHash } from 'node:crypto';
import type { DecisionEvent } from './decision-event';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level, so a record hashes the same after a parse/stringify round trip. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/** sha256 over prev_hash + canonical JSON of the record without its `hash`. */
export function recordHash(record: DecisionEvent): string {
  const { hash: _ignored, ...rest } = record;
  return createHash('sha256').update((record.prev_hash ?? '') + canonicalJson(rest)).digest('hex');
}

export function chainRecord(event: DecisionEvent, prevHash: string): DecisionEvent {
  const { hash: _ignored, ...rest } = event;
  const linked: DecisionEvent = { ...rest, prev_hash: prevHash };
  return { ...linked, hash: recordHash(linked) };
}

/** Written when retention purges chained files: the hash the oldest remaining record must link to. */
export interface ChainAnchor { last_hash: string; last_id: string; purged_through: string }
export const ANCHOR_FILE = 'chain-anchor.json';

/** Each replica chains its own files, so each has its own anchor. */
export function anchorFileName(replica: string | null = null): string {
  return replica ? `chain-anchor-${replica}.json` : ANCHOR_FILE;
}
