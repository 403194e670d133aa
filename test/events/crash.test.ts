import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditChain } from '../../gateway/events/audit';

test('SIGKILL right after the appends loses no event', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-crash-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const count = 300;
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'append-then-hang.ts'), stateDir, String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('done')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const dir = join(stateDir, 'events');
  const lines = readdirSync(dir).filter((name) => name.endsWith('.jsonl')).flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean));
  assert.equal(lines.length, count);
  assert.deepEqual(lines.map((line) => JSON.parse(line).latency_ms), Array.from({ length: count }, (_, i) => i));
  assert.equal(verifyAuditChain(stateDir).ok, true);
});

test('SIGKILL at any point of a run of appends leaves whole records and a chain that verifies (no false "truncated")', async (t) => {
  // Each kill lands somewhere in the appends: often between a record's write and its head's.
  for (let run = 0; run < 5; run++) {
    const stateDir = mkdtempSync(join(tmpdir(), 'kt-crash-'));
    t.after(() => rmSync(stateDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'append-until-killed.ts'), stateDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('started')) setTimeout(resolve, 10 + run * 7);
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const dir = join(stateDir, 'events');
    const lines = readdirSync(dir).filter((name) => name.endsWith('.jsonl')).flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean));
    assert.ok(lines.length >= 50);
    assert.deepEqual(lines.map((line) => JSON.parse(line).latency_ms), Array.from({ length: lines.length }, (_, i) => i));
    const verdict = verifyAuditChain(stateDir);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
  }
});
