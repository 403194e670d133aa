// The append-only decision event log: one JSON line per event, one file per UTC day, one write per event.
import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { DecisionEvent } from './decision-event';
import { dayFileName, dayOfFile, eventsDir, linesNewestFirst, listAllDayFiles, listDayFiles, utcDay, type Replica } from './day-files';
import { matchesFilters, type EventFilter } from './filter';
import { ChainHeadLog, checkHead, readHead } from './chain-head';
import { GENESIS_HASH, anchorFileName, chainRecord, type ChainAnchor } from './hash-chain';
import type { AuditLoggerSettings } from '../policy/types';
import { WriterLock } from './writer-lock';

export interface EventLogOptions {
  stateDir: string;
  /** `policy.audit-logger.immutable`: hash-chain every record. */
  immutable?: boolean;
  /** `policy.audit-logger.retention_days`: purge older day files on open and when the day changes. */
  retentionDays?: number;
  /** Where unreadable lines are reported; default stderr. */
  onWarning?: (message: string) => void;
  /** Clock, for tests of day rollover and retention. */
  now?: () => Date;
  /** The replica this log writes as (`--replica-id`); its own day files and chain. Reads cover every replica. */
  replica?: Replica;
  /** Hold the replica's writer lock until close (the gateway does; readers such as the CLI do not). */
  exclusive?: boolean;
}

export type EventListener = (event: DecisionEvent) => void;

export interface EventQuery {
  filters?: readonly EventFilter[];
  limit: number;
}

export class EventLog {
  readonly dir: string;
  readonly replica: Replica;
  private readonly lock: WriterLock | undefined;
  private readonly immutable: boolean;
  private readonly retentionDays: number | undefined;
  private readonly warn: (message: string) => void;
  private readonly now: () => Date;
  private readonly listeners = new Set<EventListener>();
  private readonly warned = new Set<string>();
  private fd: number | undefined;
  private day: string | undefined;
  private lastHash: string | undefined;
  /** Lines in today's file (kept when immutable, for the chain head). */
  private lines = 0;
  /** Appended, not yet written (see append). */
  private pending: string[] = [];
  private pendingRecords: DecisionEvent[] = [];
  private afterFlush: Array<() => void> = [];
  private flushQueued = false;
  private readonly head: ChainHeadLog | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(options: EventLogOptions) {
    this.dir = eventsDir(options.stateDir);
    this.replica = options.replica ?? null;
    // Throws EventLogLockedError when another live gateway writes this replica's files.
    this.lock = options.exclusive ? WriterLock.acquire(this.dir, this.replica) : undefined;
    this.immutable = options.immutable ?? false;
    this.retentionDays = options.retentionDays;
    this.warn = options.onWarning ?? ((message) => process.stderr.write(`warning: ${message}\n`));
    this.now = options.now ?? (() => new Date());
    if (this.immutable) this.head = new ChainHeadLog(this.dir, this.replica);
    if (this.retentionDays !== undefined) {
      const retentionDays = this.retentionDays;
      this.purge(retentionDays);
      // Appends purge at each day change too; the timer covers a gateway left idle over midnight.
      this.purgeTimer = setInterval(() => this.purge(retentionDays), 3_600_000);
      this.purgeTimer.unref();
    }
  }

  /** Settings straight from the parsed policy config. */
  static fromSettings(stateDir: string, settings: AuditLoggerSettings | undefined, options: Partial<EventLogOptions> = {}): EventLog {
    return new EventLog({ ...options, stateDir, immutable: settings?.immutable, retentionDays: settings?.retention_days });
  }

  /**
   * Appends the event as one line; returns the stored record (with hashes when immutable).
   * Without `written` the line is written before this returns. With it, the line joins the lines
   * appended in the same turn of the event loop, all written with one write (group commit) just
   * after it, and `written` runs once it is: a handler passes the last write of its answer there,
   * so a client never holds a whole answer whose event a crash could still lose.
   */
  append(event: DecisionEvent, written?: () => void): DecisionEvent {
    this.fileForToday();
    let record = event;
    if (this.immutable) {
      this.lastHash ??= this.recoverLastHash();
      const chained = chainRecord(event, this.lastHash);
      record = chained.record;
      this.lastHash = chained.record.hash;
      this.pending.push(chained.line);
    } else {
      this.pending.push(`${JSON.stringify(record)}\n`);
    }
    this.pendingRecords.push(record);
    if (!written) {
      this.flush();
      return record;
    }
    this.afterFlush.push(written);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flushQueuedLines);
    }
    return record;
  }

  private readonly flushQueuedLines = (): void => {
    this.flushQueued = false;
    try {
      this.flush();
    } catch (error) {
      this.warn(`could not write events to the log: ${(error as Error).message}`);
    }
  };

  /** Writes the pending lines with one write, then the chain head, then tells listeners and waiting answers. */
  private flush(): void {
    if (this.pending.length === 0) return;
    const records = this.pendingRecords;
    const callbacks = this.afterFlush;
    const text = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.pendingRecords = [];
    this.afterFlush = [];
    try {
      const line = Buffer.from(text);
      let written = 0;
      while (written < line.length) written += writeSync(this.fd!, line, written);
      this.lines += records.length;
      // After the records, never before: a kill in between leaves the head behind the file, which verify accepts.
      if (this.immutable) this.recordHead();
      for (const record of records) {
        for (const listener of this.listeners) {
          try {
            listener(record);
          } catch (error) {
            this.warn(`an event listener failed: ${(error as Error).message}`);
          }
        }
      }
    } finally {
      // An answer waits for its event's write, not for its success: a failed write is reported, the answer still goes.
      for (const callback of callbacks) {
        try {
          callback();
        } catch (error) {
          this.warn(`an answer waiting for its event failed: ${(error as Error).message}`);
        }
      }
    }
  }

  /** A head that could not be written is reported, not thrown: the records are already on disk. */
  private recordHead(): void {
    try {
      this.head?.record({ file: dayFileName(this.day!, this.replica), count: this.lines, hash: this.lastHash! });
    } catch (error) {
      this.warn(`could not update the audit chain head (${(error as Error).message}): kt audit verify cannot see records cut off the end until it is`);
    }
  }

  /** Live events, in append order. Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Newest first; reads day files newest first and stops as soon as `limit` events matched. */
  query(query: EventQuery): DecisionEvent[] {
    const found: DecisionEvent[] = [];
    for (const _ of this.scan(query, found));
    return found;
  }

  /**
   * The same, for a server: yields to the event loop every `sliceMs` of parsing, so a 10,000-event
   * query over a big log never holds the requests being routed meanwhile.
   */
  async queryAsync(query: EventQuery, sliceMs = 4): Promise<DecisionEvent[]> {
    const found: DecisionEvent[] = [];
    let sliceStart = performance.now();
    for (const _ of this.scan(query, found)) {
      if (performance.now() - sliceStart < sliceMs) continue;
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
    return found;
  }

  /** Fills `found` from every replica's files, newest day first; yields every 256 lines read so a caller can pause. */
  private *scan({ filters = [], limit }: EventQuery, found: DecisionEvent[]): Generator<void> {
    if (limit <= 0) return;
    // Lines appended this turn and not written yet are part of the log already.
    this.flush();
    let read = 0;
    for (const files of this.filesByDayNewestFirst()) {
      const readers = files.map((name) => this.eventsNewestFirst(name));
      for (const event of readers.length === 1 ? readers[0]! : mergeNewestFirst(readers)) {
        if ((++read & 255) === 0) yield;
        if (!matchesFilters(event, filters)) continue;
        found.push(event);
        if (found.length >= limit) return;
      }
    }
  }

  private filesByDayNewestFirst(): string[][] {
    const days = new Map<string, string[]>();
    for (const name of listAllDayFiles(this.dir)) {
      const day = dayOfFile(name)!;
      const files = days.get(day);
      if (files) files.push(name);
      else days.set(day, [name]);
    }
    return [...days.values()].reverse();
  }

  private *eventsNewestFirst(name: string): Generator<DecisionEvent> {
    for (const line of linesNewestFirst(join(this.dir, name))) {
      const event = this.parseLine(line, name);
      if (event) yield event;
    }
  }

  /** Deletes day files more than `retentionDays` days older than today; returns their names. */
  purge(retentionDays: number): string[] {
    const today = Date.parse(utcDay(this.now()));
    const expired = listDayFiles(this.dir, this.replica).filter((name) => {
      const day = dayOfFile(name);
      return day !== undefined && (today - Date.parse(day)) / 86_400_000 > retentionDays;
    });
    if (expired.length === 0) return [];
    this.anchorChainBefore(expired);
    for (const name of expired) unlinkSync(join(this.dir, name));
    return expired;
  }

  close(): void {
    clearInterval(this.purgeTimer);
    this.closeFile();
    this.head?.close();
    this.lock?.release();
  }

  private closeFile(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.day = undefined;
  }

  /** Opens the day's file; at a day change the pending lines are first written to the day they were appended on. */
  private fileForToday(): number {
    const day = utcDay(this.now());
    if (this.fd !== undefined && day === this.day) return this.fd;
    const rollover = this.fd !== undefined;
    this.closeFile();
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fd = openSync(join(this.dir, dayFileName(day, this.replica)), 'a+', 0o600);
    terminateTornLine(fd);
    if (this.immutable) this.lines = countLines(fd);
    this.fd = fd;
    this.day = day;
    if (rollover && this.retentionDays !== undefined) this.purge(this.retentionDays);
    return fd;
  }

  /**
   * The hash of the newest chained record, across files; the purge anchor or genesis when there is none.
   * When the files fall short of the chain head (their end was cut), the head's: new records then link
   * to the lost one, so verify keeps reporting the gap instead of a shorter chain that holds.
   */
  private recoverLastHash(): string {
    const files = listDayFiles(this.dir, this.replica);
    const head = readHead(this.dir, this.replica);
    const anchor = readAnchor(this.dir, this.replica);
    if (head) {
      const check = checkHead(this.dir, head, files, anchor?.purged_through);
      if (!check.ok) {
        this.warn(`the event log was cut: ${check.message}; new records link to the lost one so "kt audit verify" keeps reporting it`);
        return head.hash;
      }
    }
    for (const name of [...files].reverse()) {
      for (const line of linesNewestFirst(join(this.dir, name))) {
        const event = this.parseLine(line, name);
        if (event?.hash) return event.hash;
      }
    }
    return anchor?.last_hash ?? GENESIS_HASH;
  }

  /** Before chained files are purged, remember the hash the oldest remaining record links to, so verify still checks it. */
  private anchorChainBefore(expired: string[]): void {
    for (const name of [...expired].reverse()) {
      for (const line of linesNewestFirst(join(this.dir, name))) {
        const event = this.parseLine(line, name);
        if (!event?.hash) continue;
        const anchor: ChainAnchor = { last_hash: event.hash, last_id: event.id, purged_through: name };
        const path = join(this.dir, anchorFileName(this.replica));
        writeFileSync(`${path}.tmp`, `${JSON.stringify(anchor)}\n`, { mode: 0o600 });
        renameSync(`${path}.tmp`, path);
        return;
      }
    }
  }

  private parseLine(line: string, file: string): DecisionEvent | undefined {
    try {
      const event = JSON.parse(line) as DecisionEvent;
      if (event && typeof event === 'object' && typeof event.id === 'string') return event;
    } catch {
      // reported below
    }
    const key = `${file}:${line.slice(0, 80)}`;
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.warn(`skipped an unreadable line in ${file} (a record half-written when the gateway was killed?): ${JSON.stringify(line.slice(0, 60))}`);
    }
    return undefined;
  }
}

export function readAnchor(dir: string, replica: Replica = null): ChainAnchor | undefined {
  const path = join(dir, anchorFileName(replica));
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ChainAnchor;
  } catch {
    return undefined;
  }
}

/**
 * Replicas' files of one day, merged newest first by timestamp. Each file is in append order, which is
 * close to but not exactly timestamp order (a slow request is appended after faster later ones), so the
 * merge is as ordered as the files are.
 */
function* mergeNewestFirst(readers: Array<Generator<DecisionEvent>>): Generator<DecisionEvent> {
  const heads = readers.map((reader) => reader.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i]!;
      if (head.done) continue;
      const current = best === -1 ? undefined : (heads[best]!.value as DecisionEvent);
      if (!current || head.value.ts > current.ts || (head.value.ts === current.ts && head.value.id > current.id)) best = i;
    }
    if (best === -1) return;
    yield heads[best]!.value as DecisionEvent;
    heads[best] = readers[best]!.next();
  }
}

/** After a crash mid-write, end the torn line so the next record starts on a line of its own. */
function terminateTornLine(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] !== 0x0a) writeSync(fd, '\n');
}

function countLines(fd: number): number {
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  let lines = 0;
  for (let position = 0, read; (read = readSync(fd, chunk, 0, chunk.length, position)) > 0; position += read) {
    const data = chunk.subarray(0, read);
    for (let at = data.indexOf(0x0a); at !== -1; at = data.indexOf(0x0a, at + 1)) lines++;
  }
  return lines;
}

let lastIdMs = 0;
let idSequence = 0;

/** `evt_` + zero-padded base36 milliseconds + a per-ms sequence + randomness: sorts by creation time. */
export function newEventId(now = Date.now()): string {
  if (now === lastIdMs) idSequence++;
  else {
    lastIdMs = now;
    idSequence = 0;
  }
  const time = now.toString(36).padStart(9, '0');
  const sequence = idSequence.toString(36).padStart(3, '0');
  return `evt_${time}${sequence}${randomHex12()}`;
}

// Random bytes drawn in batches: one getrandom per 256 ids instead of one per request.
let randomPool = Buffer.alloc(0);
let randomOffset = 0;
function randomHex12(): string {
  if (randomOffset + 6 > randomPool.length) {
    randomPool = randomBytes(6 * 256);
    randomOffset = 0;
  }
  randomOffset += 6;
  return randomPool.toString('hex', randomOffset - 6, randomOffset);
}
