import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../gateway/cli/audit';
import { EventLog } from '../../gateway/events/event-log';
import { sampleEvent } from '../events/fixtures/sample-events';
import { capture } from '../events/fixtures/cli-io';

function chained(t: { after: (fn: () => void) => void }): { stateDir: string; file: string } {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-cli-audit-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const log = new EventLog({ stateDir, immutable: true });
  for (let i = 1; i <= 4; i++) log.append(sampleEvent({ id: `evt_cli${i}` }));
  log.close();
  const [name] = readdirSync(join(stateDir, 'events')).filter((n) => n.endsWith('.jsonl'));
  return { stateDir, file: join(stateDir, 'events', name) };
}

async function verify(...argv: string[]) {
  const c = capture();
  const code = await run(['verify', ...argv], c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

test('verify exits 0 with a summary when the chain holds', async (t) => {
  const { stateDir } = chained(t);
  const result = await verify('--state-dir', stateDir);
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /^Audit chain intact: 4 records in 1 file\(s\) \(events-\d{4}-\d\d-\d\d\.jsonl\), last evt_cli4\.\n$/);
});

test('verify exits 1 naming the first edited, removed or reordered record', async (t) => {
  const tamperings: Array<[(lines: string[]) => string[], RegExp]> = [
    [(l) => [l[0], l[1].replace('"decision":"allowed"', '"decision":"blocked"'), l[2], l[3]], /line 2 \(id evt_cli2\): edited/],
    [(l) => [l[0], l[2], l[3]], /line 2 \(id evt_cli3\): a record is missing after evt_cli1/],
    [(l) => [l[0], l[1], l[3], l[2]], /line 3 \(id evt_cli4\): reordered: it belongs after evt_cli3/],
  ];
  for (const [tamper, message] of tamperings) {
    const { stateDir, file } = chained(t);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, tamper(lines).map((line) => `${line}\n`).join(''));
    const result = await verify('--state-dir', stateDir);
    assert.equal(result.code, 1);
    assert.match(result.err, /^kt audit verify: FAILED: events-\d{4}-\d\d-\d\d\.jsonl /);
    assert.match(result.err, message);
  }
});

test('verify exits 1 when the newest file lost its last records, saying how many', async (t) => {
  const { stateDir, file } = chained(t);
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  writeFileSync(file, lines.slice(0, 2).map((line) => `${line}\n`).join(''));
  const result = await verify('--state-dir', stateDir);
  assert.equal(result.code, 1);
  assert.match(result.err, /^kt audit verify: FAILED: events-\d{4}-\d\d-\d\d\.jsonl ends after 2 records but the chain head \(chain-head\.log\) says it held 4: 2 events missing at the end \(truncated\)\n$/);
});

test('verify of a log without a chain head (older gateways) passes but says the end is unchecked', async (t) => {
  const { stateDir } = chained(t);
  rmSync(join(stateDir, 'events', 'chain-head.log'));
  const result = await verify('--state-dir', stateDir);
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /^Audit chain intact: 4 records .* No chain-head\.log beside the events .*would not show\.\n$/);
});

test('verify on a folder without events exits 1 and says to check --state-dir', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-cli-audit-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const result = await verify('--state-dir', stateDir);
  assert.equal(result.code, 1);
  assert.match(result.err, /no event log in .*check --state-dir/);
  const c = capture();
  assert.equal(await run(['verify', '--stat-dir', stateDir], c.io), 2);
  assert.match(c.stderr(), /unknown option '--stat-dir' \(did you mean --state-dir\?\)/);
  const missing = capture();
  assert.equal(await run([], missing.io), 2);
  assert.match(missing.stderr(), /Usage: kt audit verify/);
});
