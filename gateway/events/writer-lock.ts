// One writer per events file: a gateway holds `<state>/events/writer[-<replica>].lock` while it runs, so a
// second gateway on the same state dir and replica id is refused instead of interleaving two hash chains.
// A lock left by a gateway that died (its pid is gone on this host) is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Replica } from './day-files';

interface LockOwner { pid: number; host: string; started: string }

export class EventLogLockedError extends Error {}

export function lockFileName(replica: Replica): string {
  return replica ? `writer-${replica}.lock` : 'writer.lock';
}

export class WriterLock {
  private released = false;

  private constructor(readonly path: string) {}

  /** Takes the lock or throws EventLogLockedError saying who holds it and what to do. */
  static acquire(dir: string, replica: Replica): WriterLock {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, lockFileName(replica));
    const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        try {
          writeSync(fd, `${JSON.stringify(me)}\n`);
        } finally {
          closeSync(fd);
        }
        return new WriterLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = readOwner(path);
      if (owner && owner.pid === process.pid && owner.host === me.host) {
        throw new EventLogLockedError(`this process already writes the events of ${describe(replica)} in ${dir}`);
      }
      if (owner && (owner.host !== me.host || isAlive(owner.pid))) {
        const where = owner.host === me.host ? `pid ${owner.pid}` : `pid ${owner.pid} on host ${owner.host}`;
        throw new EventLogLockedError(
          `another gateway (${where}, since ${owner.started}) writes the events of ${describe(replica)} in ${dir}. ` +
          'Give each gateway on a shared state dir its own --replica-id, or stop the other one' +
          (owner.host === me.host ? '.' : `; if it is gone, delete ${path}.`),
        );
      }
      // Its writer died without cleaning up (SIGKILL, power loss): take it over.
      try {
        unlinkSync(path);
      } catch {
        // Someone else took it over first; the next attempt sees their lock.
      }
    }
    throw new EventLogLockedError(`could not take the events lock ${path}: another gateway keeps taking it`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      const owner = readOwner(this.path);
      if (owner?.pid === process.pid) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }
}

function describe(replica: Replica): string {
  return replica ? `replica '${replica}'` : 'the unnamed replica';
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof owner?.pid === 'number' && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
