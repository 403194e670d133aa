// Live events from the day files, for `kt events tail --follow` without a gateway: watch the folder
// (inotify and friends deliver within milliseconds) and poll as a safety net for filesystems without watch.
import { closeSync, existsSync, fstatSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { DecisionEvent } from './decision-event';
import { dayOfFile, eventsDir, listAllDayFiles, replicaOfFile, type Replica } from './day-files';

export interface LiveFeed {
  events: AsyncIterable<DecisionEvent>;
  close(): void;
}

interface Cursor { file: string; offset: number; partial: Buffer }

/**
 * Starts at the current end of each replica's newest day file: only events appended from now on are
 * delivered, from every gateway writing to this state dir.
 */
export function followEventLog(stateDir: string, options: { pollMs?: number; onWarning?: (message: string) => void } = {}): LiveFeed {
  const dir = eventsDir(stateDir);
  const queue = new EventQueue();
  const warn = options.onWarning ?? (() => undefined);
  const cursors = new Map<Replica, Cursor>();
  for (const name of listAllDayFiles(dir)) cursors.set(replicaOfFile(name) ?? null, { file: name, offset: sizeOf(join(dir, name)), partial: Buffer.alloc(0) });
  let watcher: FSWatcher | undefined;
  let scheduled = false;

  function readNew(): void {
    scheduled = false;
    // Per replica: finish the current file, then move on to any newer day (a rollover, or a replica's
    // first file, read from its start); names sort by day.
    for (const name of listAllDayFiles(dir)) {
      const replica = replicaOfFile(name) ?? null;
      let cursor = cursors.get(replica);
      if (cursor && dayOfFile(name)! < dayOfFile(cursor.file)!) continue;
      if (!cursor || name !== cursor.file) {
        cursor = { file: name, offset: 0, partial: Buffer.alloc(0) };
        cursors.set(replica, cursor);
      }
      drain(join(dir, name), cursor);
    }
    ensureWatch();
  }

  function drain(path: string, cursor: Cursor): void {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= cursor.offset) return;
      const chunk = Buffer.allocUnsafe(size - cursor.offset);
      const read = readSync(fd, chunk, 0, chunk.length, cursor.offset);
      cursor.offset += read;
      const buffer = Buffer.concat([cursor.partial, chunk.subarray(0, read)]);
      const lastNewline = buffer.lastIndexOf(0x0a);
      // A line without its newline yet is still being written: keep it for the next read.
      cursor.partial = Buffer.from(buffer.subarray(lastNewline + 1));
      if (lastNewline < 0) return;
      for (const line of buffer.toString('utf8', 0, lastNewline).split('\n')) {
        if (!line) continue;
        try {
          queue.push(JSON.parse(line) as DecisionEvent);
        } catch {
          warn(`skipped an unreadable line in ${path}`);
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(readNew);
  }

  function ensureWatch(): void {
    if (watcher || !existsSync(dir)) return;
    try {
      watcher = watch(dir, schedule);
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined;
    }
  }

  ensureWatch();
  const poll = setInterval(schedule, options.pollMs ?? 100);
  return {
    events: queue,
    close() {
      clearInterval(poll);
      watcher?.close();
      queue.end();
    },
  };
}

function sizeOf(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** A push-to-pull bridge: producers push events, one consumer awaits them with for-await. */
export class EventQueue implements AsyncIterable<DecisionEvent> {
  private readonly items: DecisionEvent[] = [];
  private waiting: ((result: IteratorResult<DecisionEvent>) => void) | undefined;
  private ended = false;

  push(event: DecisionEvent): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else this.items.push(event);
  }

  end(): void {
    this.ended = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<DecisionEvent> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item) return Promise.resolve({ value: item, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
    };
  }
}
