// `kt audit verify`: walks the hash chain over every day file and names the first record that breaks it.
// Each replica (gateways sharing a state dir with --replica-id) writes and chains its own files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionEvent } from './decision-event';
import { eventsDir, listDayFiles, listReplicas, type Replica } from './day-files';
import { checkHead, headFileName, readHead } from './chain-head';
import { readAnchor } from './event-log';
import { GENESIS_HASH, recordHash } from './hash-chain';

export type AuditProblem = 'edited' | 'removed' | 'reordered' | 'truncated' | 'unchained' | 'no-log';

export interface AuditOk {
  ok: true;
  records: number;
  files: string[];
  /** Records written before `immutable` was switched on; they precede the chain and are not covered by it. */
  unchained: number;
  lastId: string | null;
  /** Whether the end was checked against the chain head; false for a log written before heads were kept. */
  headChecked: boolean;
  /** Per replica, the unnamed one (null) first; one entry when a single gateway writes the log. */
  replicas: ReplicaChain[];
}

/** One replica's chain as verified: its own files, records and head. */
export interface ReplicaChain {
  replica: Replica;
  records: number;
  files: string[];
  unchained: number;
  lastId: string | null;
  headChecked: boolean;
}

export interface AuditBreak {
  ok: false;
  problem: AuditProblem;
  file: string | null;
  /** 1-based line in `file`. */
  line: number | null;
  id: string | null;
  message: string;
}

interface Located { file: string; line: number; text: string }

export function verifyAuditChain(stateDir: string): AuditOk | AuditBreak {
  const dir = eventsDir(stateDir);
  const replicas = existsSync(dir) ? listReplicas(dir) : [];
  if (replicas.length === 0) {
    return broken('no-log', null, null, null, `no event log in ${dir}: check --state-dir (the gateway writes to <state>/events/)`);
  }
  const verified: ReplicaChain[] = [];
  for (const replica of replicas) {
    const result = verifyReplica(dir, replica);
    if ('problem' in result) {
      if (replicas.length > 1 && result.problem !== 'no-log') result.message = `replica ${replica ?? '(unnamed)'}: ${result.message}`;
      return result;
    }
    verified.push(result);
  }
  return {
    ok: true,
    records: verified.reduce((sum, r) => sum + r.records, 0),
    files: verified.flatMap((r) => r.files),
    unchained: verified.reduce((sum, r) => sum + r.unchained, 0),
    lastId: verified.at(-1)!.lastId,
    headChecked: verified.every((r) => r.headChecked),
    replicas: verified,
  };
}

function verifyReplica(dir: string, replica: Replica): ReplicaChain | AuditBreak {
  const files = listDayFiles(dir, replica);
  const anchor = readAnchor(dir, replica);
  let expectedPrev = anchor?.last_hash ?? GENESIS_HASH;
  let chained = 0;
  let unchained = 0;
  let lastId: string | null = null;
  let previous: (Located & { id: string }) | undefined;

  for (const file of files) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    // A file ends with a newline, so the last element is '' unless the final record was cut short.
    if (lines[lines.length - 1] === '') lines.pop();
    for (let index = 0; index < lines.length; index++) {
      const at: Located = { file, line: index + 1, text: lines[index] };
      const record = parseRecord(at.text);
      if (!record) {
        const where = index === lines.length - 1 ? 'the file ends in a half record (truncated)' : 'the line is not a whole JSON record (truncated or corrupted)';
        return broken('truncated', file, at.line, null, `${file} line ${at.line}: ${where}`);
      }
      if (!record.hash) {
        if (chained === 0) {
          unchained++;
          continue;
        }
        return broken('edited', file, at.line, record.id, `${file} line ${at.line} (id ${record.id}): the record has no hash inside the chain: it was edited, or written with immutable switched off`);
      }
      if (recordHash(record) !== record.hash) {
        return broken('edited', file, at.line, record.id, `${file} line ${at.line} (id ${record.id}): edited: its content no longer matches its hash`);
      }
      if (record.prev_hash !== expectedPrev) return linkBreak(dir, files, at, record, previous);
      expectedPrev = record.hash;
      previous = { ...at, id: record.id };
      lastId = record.id;
      chained++;
    }
  }
  if (chained === 0) {
    return broken('unchained', files[files.length - 1], null, null, `the event log has ${unchained} records and none is hash-chained: set policy.audit-logger.immutable: true and restart the gateway`);
  }
  // The chain holds up to its last record; the head says whether records came after it.
  const head = readHead(dir, replica);
  if (head) {
    const check = checkHead(dir, head, files, anchor?.purged_through, headFileName(replica));
    if (!check.ok) return broken('truncated', check.file, check.line, null, check.message);
  }
  return { replica, records: chained, files, unchained, lastId, headChecked: head !== undefined };
}

/** The record does not link to the one before it: it was moved here (reordered) or its predecessor is gone (removed). */
function linkBreak(dir: string, files: string[], at: Located, record: DecisionEvent, previous: (Located & { id: string }) | undefined): AuditBreak {
  const where = `${at.file} line ${at.line} (id ${record.id})`;
  const target = record.prev_hash ? findByHash(dir, files, record.prev_hash) : undefined;
  if (target && (target.file > at.file || (target.file === at.file && target.line > at.line))) {
    return broken('reordered', at.file, at.line, record.id, `${where}: reordered: it belongs after ${target.id} at ${target.file} line ${target.line}`);
  }
  const before = previous ? `after ${previous.id} (${previous.file} line ${previous.line})` : 'at the start of the log';
  return broken('removed', at.file, at.line, record.id, `${where}: a record is missing ${before}: the record this one chains to is gone (removed, or the previous record was edited and re-hashed)`);
}

function findByHash(dir: string, files: string[], hash: string): (Located & { id: string }) | undefined {
  for (const file of files) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    for (let index = 0; index < lines.length; index++) {
      if (!lines[index].includes(hash)) continue;
      const record = parseRecord(lines[index]);
      if (record?.hash === hash) return { file, line: index + 1, text: lines[index], id: record.id };
    }
  }
  return undefined;
}

function parseRecord(text: string): DecisionEvent | undefined {
  try {
    const record = JSON.parse(text) as DecisionEvent;
    return record && typeof record === 'object' && typeof record.id === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

function broken(problem: AuditProblem, file: string | null, line: number | null, id: string | null, message: string): AuditBreak {
  return { ok: false, problem, file, line, id, message };
}
