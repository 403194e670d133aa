// Gateway key checks happen on every request: µs per authenticate (valid, unknown, missing header).
// Run: node --import tsx bench/keys.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from '../gateway/keys/key-store.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'kt-bench-keys-'));
const store = new KeyStore(stateDir);
const keys = Array.from({ length: 50 }, (_, i) => store.create({ name: `key-${i}`, groups: ['fast-chat'] }).key);
const runs = 50_000;

function perCall(header) {
  for (let i = 0; i < 1000; i++) store.authenticate(header);
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) store.authenticate(header);
  return Number(process.hrtime.bigint() - start) / 1000 / runs;
}

console.log(`authenticate, valid key (50 keys on file): ${perCall(`Bearer ${keys[37]}`).toFixed(2)} µs`);
console.log(`authenticate, unknown key:                 ${perCall('Bearer kt_gk_notakeynotakeynotakeynotakey00000').toFixed(2)} µs`);
console.log(`authenticate, no header:                   ${perCall(undefined).toFixed(2)} µs`);
rmSync(stateDir, { recursive: true, force: true });
