// The on-disk layout of the event log: `<state>/events/events-YYYY-MM-DD.jsonl`, one file per UTC day.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';

const DAY_FILE = /^events-(\d{4}-\d{2}-\d{2})\.jsonl$/;

export function eventsDir(stateDir: string): string {
  return join(stateDir, 'events');
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function dayFileName(day: string): string {
  return `events-${day}.jsonl`;
}

export function dayOfFile(name: string): string | undefined {
  return DAY_FILE.exec(name)?.[1];
}

/** Day file names, oldest first (the names sort by date). */
export function listDayFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => DAY_FILE.test(name)).sort();
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
