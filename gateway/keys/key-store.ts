// Gateway keys: `kt_gk_…` secrets shown once; only their sha256 is stored, in an owner-only keys.json.
import * as crypto from 'node:crypto';
import { createHash, randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export const KEY_PREFIX = 'kt_gk_';
const SECRET_LENGTH = 40;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DEV_KEY_NAME = 'dev';
const RECHECK_MS = 1000;

export interface KeyRecord {
  name: string;
  /** `kt_gk_` plus the first few secret characters: enough to recognise a key, useless to use it. */
  prefix: string;
  /** sha256 hex of the whole key. */
  hash: string;
  /** Model groups (or direct models) the key may use; empty means all. */
  groups: string[];
  admin: boolean;
  created: string;
  revoked: string | null;
}

export type AuthFailure = { error: 'missing' | 'unknown' | 'revoked' };
export interface KeyStoreError { error: string }

interface KeysFile { version: 1; keys: KeyRecord[] }

const TOKEN_CACHE_LIMIT = 1024;

export class KeyStore {
  readonly path: string;
  readonly devKeyPath: string;
  private records: KeyRecord[] = [];
  private byHash = new Map<string, KeyRecord>();
  /**
   * Keys that authenticated, by the whole Authorization header as sent: repeat requests skip the
   * header regex and SHA-256 (OpenSSL's code path, cold on every request of an idle local gateway,
   * was ~60 us of the time before the handler ran). Only valid keys get in, so unknown tokens cannot
   * fill it; a hit counts only while its record is the current one for its hash, so a reload or
   * revoke takes effect at once. The tokens are in this process's memory while their requests are
   * served anyway; the map's string hashing is seeded per process, so a caller cannot steer which
   * stored token a lookup compares.
   */
  private byAuthorization = new Map<string, KeyRecord>();
  private loadedVersion: string | undefined;
  private watcher: FSWatcher | undefined;
  private watchFailed = false;
  private recheckTimer: NodeJS.Timeout | undefined;
  private stale = true;

  constructor(readonly stateDir: string) {
    this.path = join(stateDir, 'keys.json');
    this.devKeyPath = join(stateDir, 'dev-key');
  }

  create(options: { name: string; groups?: string[]; admin?: boolean }): { key: string; record: KeyRecord } | KeyStoreError {
    const name = options.name?.trim() ?? '';
    if (!NAME.test(name)) {
      return { error: `invalid key name '${name}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit` };
    }
    const groups = (options.groups ?? []).map((group) => group.trim()).filter(Boolean);
    const records = this.load();
    if (records.some((record) => record.name === name)) {
      // Names stay taken after a revoke, so a key_id in old events always means one key.
      return { error: `a key named '${name}' already exists (names stay taken after a revoke): pick another name` };
    }
    const key = generateKey();
    const record: KeyRecord = {
      name,
      prefix: key.slice(0, KEY_PREFIX.length + 6),
      hash: hashKey(key),
      groups: [...new Set(groups)],
      admin: options.admin ?? false,
      created: new Date().toISOString(),
      revoked: null,
    };
    this.save([...records, record]);
    return { key, record };
  }

  list(): KeyRecord[] {
    return this.load().map((record) => ({ ...record, groups: [...record.groups] }));
  }

  revoke(name: string): KeyRecord | KeyStoreError {
    const records = this.load();
    const record = records.find((candidate) => candidate.name === name);
    if (!record) return { error: `no key named '${name}': 'kt keys list' shows the names` };
    if (record.revoked) return { ...record };
    const revoked = { ...record, revoked: new Date().toISOString() };
    this.save(records.map((candidate) => (candidate === record ? revoked : candidate)));
    return revoked;
  }

  /** Checks `Authorization: Bearer kt_gk_…`; called on every request, so it is a map lookup over a cached file. */
  authenticate(authorization: string | undefined | null): KeyRecord | AuthFailure {
    this.refresh(false);
    const known = authorization ? this.byAuthorization.get(authorization) : undefined;
    if (known && this.byHash.get(known.hash) === known) return known.revoked ? { error: 'revoked' } : known;
    const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return { error: 'missing' };
    const token = match[1];
    const presented = hashKey(token);
    let record = this.byHash.get(presented);
    if (!record) {
      // A key created a moment ago by `kt keys create` works at once, before its change event arrives.
      this.refresh(true);
      record = this.byHash.get(presented);
    }
    // Looking up by the SHA-256 of the presented key leaks nothing useful through timing: a caller
    // cannot choose what a key hashes to, so no compare of the secret itself ever happens.
    if (!record) return { error: 'unknown' };
    if (record.revoked) return { error: 'revoked' };
    if (this.byAuthorization.size >= TOKEN_CACHE_LIMIT) this.byAuthorization.clear();
    this.byAuthorization.set(authorization as string, record);
    return record;
  }

  /** First start: with no keys at all, create an all-groups admin `dev` key and leave it in `<state>/dev-key` for the extension. */
  ensureDevKey(): string | undefined {
    if (this.load().length > 0) return undefined;
    const created = this.create({ name: DEV_KEY_NAME, groups: [], admin: true });
    if ('error' in created) return undefined;
    this.writeDevKey(created.key);
    return created.key;
  }

  /** `<state>/dev-key`, owner-only: the key the VS Code extension and `kt events --gateway` use by default. */
  writeDevKey(key: string): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(this.devKeyPath, `${key}\n`, { mode: 0o600 });
    chmodSync(this.devKeyPath, 0o600);
  }

  /**
   * The gateway's view of keys.json: a folder watch marks it stale when another process (`kt keys
   * revoke`) writes it, so requests skip the stat; a timer's stat a second also covers file systems
   * without change events, off the requests' path. `force` stats at once.
   */
  private refresh(force: boolean): void {
    if (!force && !this.stale) return;
    this.stale = false;
    this.watchForChanges();
    this.load();
  }

  private watchForChanges(): void {
    if (!this.recheckTimer) {
      this.recheckTimer = setInterval(() => {
        try {
          this.load();
        } catch {
          this.stale = true; // the next request rereads it and reports what is wrong
        }
      }, RECHECK_MS);
      this.recheckTimer.unref();
    }
    if (this.watcher || this.watchFailed) return;
    try {
      mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
      this.watcher = watch(this.stateDir, (_event, name) => {
        if (!name || String(name).startsWith('keys.json')) this.stale = true;
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
        this.watchFailed = true;
        this.stale = true;
      });
      this.watcher.unref();
    } catch {
      this.watchFailed = true; // the once-a-second stat still sees changes
    }
  }

  /** Stops watching keys.json (the gateway calls it on shutdown). */
  close(): void {
    clearInterval(this.recheckTimer);
    this.recheckTimer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Rereads keys.json only when it changed on disk (another `kt keys` process may have written it). */
  private load(): KeyRecord[] {
    const stat = statSync(this.path, { throwIfNoEntry: false });
    if (!stat) {
      this.setRecords([], undefined);
      return this.records;
    }
    const version = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (version === this.loadedVersion) return this.records;
    let parsed: KeysFile;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8')) as KeysFile;
    } catch (error) {
      throw new Error(`${this.path} is not valid JSON (${(error as Error).message}): restore it, or delete it and create new keys with 'kt keys create'`);
    }
    this.setRecords(Array.isArray(parsed.keys) ? parsed.keys : [], version);
    return this.records;
  }

  private setRecords(records: KeyRecord[], version: string | undefined): void {
    this.records = records;
    this.byHash = new Map(records.map((record) => [record.hash, record]));
    this.byAuthorization.clear();
    this.loadedVersion = version;
  }

  private save(records: KeyRecord[]): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const file: KeysFile = { version: 1, keys: records };
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.path);
    this.loadedVersion = undefined;
    this.load();
  }
}

/** Whether a key may use the requested group (or, for a direct model request, that model). */
export function allows(record: KeyRecord, target: { group?: string | null; model?: string | null }): true | string {
  if (record.groups.length === 0) return true;
  const wanted = target.group ?? target.model ?? null;
  if (wanted !== null && record.groups.includes(wanted)) return true;
  const what = target.group ? `model group '${target.group}'` : `model '${target.model ?? '(none)'}'`;
  return `key '${record.name}' may not use ${what}; it is limited to: ${record.groups.join(', ')}`;
}

// crypto.hash (Node 20.12+) is several times cheaper than a Hash object, and this runs per request;
// an editor's older bundled Node falls back.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function hashKey(key: string): string {
  return oneShotHash ? oneShotHash('sha256', key, 'hex') : createHash('sha256').update(key).digest('hex');
}

function generateKey(): string {
  let secret = '';
  for (let i = 0; i < SECRET_LENGTH; i++) secret += BASE62[randomInt(BASE62.length)];
  return KEY_PREFIX + secret;
}
