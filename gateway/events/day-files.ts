// The on-disk layout of the event log: `<state>/events/events-YYYY-MM-DD.jsonl`, one file per UTC day;
// a named replica (several gateways sharing a state dir) writes `events-<replica>-YYYY-MM-DD.jsonl`.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';

const DAY_FILE = /^events-(?:([A-Za-z0-9][A-Za-z0-9_.-]{0,62})-)?(\d{4}-\d{2}-\d{2})\.jsonl$/;
/** What `--replica-id` accepts: it becomes part of file names. */
export const REPLICA_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function eventsDir(stateDir: string): string {
  return join(stateDir, 'events');
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** `null` is the unnamed replica: a gateway started without `--replica-id`, and every log from before replicas. */
export type Replica = string | null;

export function dayFileName(day: string, replica: Replica = null): string {
  return replica ? `events-${replica}-${day}.jsonl` : `events-${day}.jsonl`;
}

export function dayOfFile(name: string): string | undefined {
  return DAY_FILE.exec(name)?.[2];
}

export function replicaOfFile(name: string): Replica | undefined {
  const match = DAY_FILE.exec(name);
  return match ? match[1] ?? null : undefined;
}

/** One replica's day file names, oldest first. */
export function listDayFiles(dir: string, replica: Replica = null): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => DAY_FILE.test(name) && replicaOfFile(name) === replica).sort(byDay);
}

/** Every replica's day files, oldest day first (replicas of one day in name order). */
export function listAllDayFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => DAY_FILE.test(name)).sort(byDay);
}

/** The replicas with files in `dir`, the unnamed one first. */
export function listReplicas(dir: string): Replica[] {
  const names = new Set(listAllDayFiles(dir).map((name) => replicaOfFile(name) ?? null));
  return [...names].sort((a, b) => (a === null ? -1 : b === null ? 1 : a.localeCompare(b)));
}

function byDay(a: string, b: string): number {
  const day = dayOfFile(a)!.localeCompare(dayOfFile(b)!);
  return day || a.localeCompare(b);
}

/**
 * Lines of a file from the last to the first, read backwards in chunks so a query for
 * the newest few events never reads the whole day. Splitting on the newline byte is
 * safe for UTF-8 because 0x0a never occurs inside a multi-byte sequence.
 */
export function* linesNewestFirst(path: string, chunkSize = 64 * 1024): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    let position = fstatSync(fd).size;
    let carry: Buffer = Buffer.alloc(0);
    while (position > 0) {
      const size = Math.min(chunkSize, position);
      position -= size;
      const chunk = Buffer.allocUnsafe(size);
      readSync(fd, chunk, 0, size, position);
      const buffer = carry.length ? Buffer.concat([chunk, carry]) : chunk;
      let end = buffer.length;
      for (let i = buffer.length - 1; i >= 0; i--) {
        if (buffer[i] !== 0x0a) continue;
        if (end > i + 1) yield buffer.toString('utf8', i + 1, end);
        end = i;
      }
      carry = buffer.subarray(0, end);
    }
    if (carry.length) yield carry.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
