// The chain head: which day file holds the newest chained record, how many lines that file had then and
// the record's hash. Kept beside the events so `kt audit verify` sees lines cut off the end of the newest
// file, which the chain alone cannot show (a shorter chain is still a valid chain).
//
// An append-only log of heads, not a file rewritten by temp + rename: an update is one small write()
// on an O_APPEND descriptor (a rename per update is open + write + close + rename and a directory
// change), and a SIGKILL cannot tear a single write() to a regular file. It is compacted to its last
// line (temp + rename) once it passes COMPACT_BYTES. The reader takes the last whole line.
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { linesNewestFirst } from './day-files';

export const HEAD_FILE = 'chain-head.log';

/** Each replica chains its own files, so each keeps its own head. */
export function headFileName(replica: string | null = null): string {
  return replica ? `chain-head-${replica}.log` : HEAD_FILE;
}
const COMPACT_BYTES = 1024 * 1024;

export interface ChainHead {
  /** Day file of the newest chained record. */
  file: string;
  /** Lines in `file` once that record was written. */
  count: number;
  hash: string;
}

export class ChainHeadLog {
  private readonly path: string;
  private fd: number | undefined;
  private size = 0;

  constructor(dir: string, replica: string | null = null) {
    this.path = join(dir, headFileName(replica));
  }

  /** Called after the records up to `head` were written to their day file, never before. */
  record(head: ChainHead): void {
    const line = `${JSON.stringify(head)}\n`;
    if (this.size + line.length > COMPACT_BYTES) return this.compact(line);
    this.fd ??= openSync(this.path, 'a', 0o600);
    writeSync(this.fd, line);
    this.size += line.length;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private compact(line: string): void {
    this.close();
    writeFileSync(`${this.path}.tmp`, line, { mode: 0o600 });
    renameSync(`${this.path}.tmp`, this.path);
    this.size = line.length;
  }
}

/** The newest head written, or undefined when there is none (a log from before heads were kept). */
export function readHead(dir: string, replica: string | null = null): ChainHead | undefined {
  const path = join(dir, headFileName(replica));
  if (!existsSync(path)) return undefined;
  for (const line of linesNewestFirst(path)) {
    try {
      const head = JSON.parse(line) as ChainHead;
      if (typeof head?.file === 'string' && typeof head.count === 'number' && typeof head.hash === 'string') return head;
    } catch {
      // a torn last line (power loss): the one before it is the head
    }
  }
  return undefined;
}

export type HeadCheck = { ok: true } | { ok: false; file: string; line: number; missing: number | null; message: string };

/**
 * Does the head's file still reach the head? The file may be ahead of it (a kill between a record's
 * write and the head's lags the head by that record) but not behind it, and the line the head counts
 * must be the record it names. `purgedThrough`: the newest day file retention deleted.
 */
export function checkHead(dir: string, head: ChainHead, files: readonly string[], purgedThrough?: string, headFile = HEAD_FILE): HeadCheck {
  if (!files.includes(head.file)) {
    if (purgedThrough !== undefined && head.file <= purgedThrough) return { ok: true };
    return { ok: false, file: head.file, line: 1, missing: head.count, message: `${head.file} is gone: the chain head (${headFile}) says it held ${head.count} records, the newest of the log: ${head.count} events missing at the end (deleted)` };
  }
  const lines = readFileSync(join(dir, head.file), 'utf8').split('\n');
  lines.pop(); // '' after the last newline, or a half record the chain walk reports
  if (lines.length < head.count) {
    const missing = head.count - lines.length;
    return { ok: false, file: head.file, line: lines.length + 1, missing, message: `${head.file} ends after ${lines.length} records but the chain head (${headFile}) says it held ${head.count}: ${missing} event${missing === 1 ? '' : 's'} missing at the end (truncated)` };
  }
  if (hashOf(lines[head.count - 1]) !== head.hash) {
    return { ok: false, file: head.file, line: head.count, missing: null, message: `${head.file} line ${head.count} is not the record the chain head (${headFile}) names: the end of the file was cut and rewritten` };
  }
  return { ok: true };
}

function hashOf(line: string): string | undefined {
  try {
    return (JSON.parse(line) as { hash?: string }).hash;
  } catch {
    return undefined;
  }
}
