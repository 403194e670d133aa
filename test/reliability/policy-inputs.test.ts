// The policy model's three edges (analyzePolicy, `kt policy lint`, the language server) on random,
// truncated and enormous inputs: a clear diagnostic, no crash, bounded time and memory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigurationRequest, createProtocolConnection, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, DocumentSymbolRequest,
  CompletionRequest, HoverRequest, InitializedNotification, InitializeRequest, PublishDiagnosticsNotification, RegistrationRequest,
  type ProtocolConnection, type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { analyzePolicy, MAX_POLICY_CHARS } from '../../gateway/policy/analyze';
import { MAX_BLOCK_INDENT, MAX_FLOW_DEPTH, tooDeepAt } from '../../gateway/policy/nesting';
import { seededRandom } from '../support/seeded-random';

const ROOT = join(__dirname, '..', '..');
const KT = join(ROOT, 'dist', 'kt.js');
const SERVER = join(ROOT, 'dist', 'server.js');
const EXAMPLE = readFileSync(join(ROOT, 'examples', 'policy-config.yaml'), 'utf8');

/** Deterministic pseudo-random numbers, so a failing input can be reproduced. */
const prng = seededRandom;

const FIVE_MB_CONFIG = 'providers:\n  targets:\n' + Array.from({ length: 66_000 }, (_, i) => `    - id: t${i}\n      provider:\n        type: mock\n        base_url: mock://local\n`).join('') + 'model_groups: []\n';
const DEEP = 10_000;
const HOSTILE: Record<string, string> = {
  'a 5 MB config': FIVE_MB_CONFIG,
  '10,000-level flow nesting': 'providers: ' + '['.repeat(DEEP) + ']'.repeat(DEEP) + '\n',
  '10,000-level unclosed flow nesting': 'providers: ' + '{a: '.repeat(DEEP) + '\n',
  '10,000-level block nesting': 'providers:\n' + '- '.repeat(DEEP) + '1\n',
  '10,000-level indented nesting (50 MB)': Array.from({ length: DEEP }, (_, i) => ' '.repeat(i) + 'k:').join('\n') + ' 1\n',
  '300-level indented nesting': Array.from({ length: 300 }, (_, i) => ' '.repeat(i) + 'k:').join('\n') + ' 1\n',
  'binary data': Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919 + (i >> 3)) % 256)).toString('latin1'),
  'binary decoded as UTF-8': Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256)).toString('utf8'),
  'a billion laughs': 'a: &a [x, x, x, x, x, x, x, x, x]\n' + Array.from({ length: 9 }, (_, i) => {
    const [p, c] = [String.fromCharCode(97 + i), String.fromCharCode(98 + i)];
    return `${c}: &${c} [${Array(9).fill(`*${p}`).join(', ')}]`;
  }).join('\n') + '\nproviders: *j\n',
};

/** What each hostile input must be reported as: code and the words that say what is wrong. */
const EXPECTED: Record<string, [string, RegExp]> = {
  'a 5 MB config': ['KT115', /over the 1 MB a policy config may be/],
  '10,000-level flow nesting': ['KT001', /nests too deeply/],
  '10,000-level unclosed flow nesting': ['KT001', /nests too deeply|YAML syntax error/],
  '10,000-level block nesting': ['KT001', /nests too deeply/],
  '10,000-level indented nesting (50 MB)': ['KT115', /over the 1 MB a policy config may be/],
  '300-level indented nesting': ['KT001', /nests too deeply/],
  'binary data': ['KT001', /NUL bytes: it is binary data/],
  'binary decoded as UTF-8': ['KT001', /NUL bytes: it is binary data/],
  'a billion laughs': ['KT001', /aliases/],
};

function randomInputs(count: number): string[] {
  const rand = prng(7);
  const alphabet = ' \n\t:-[]{}#&*!|>\'"%@`,?abcxyz019\u00e9\u{1F600}\r\0';
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = Math.floor(rand() * 400);
    let s = '';
    for (let j = 0; j < len; j++) s += [...alphabet][Math.floor(rand() * [...alphabet].length)];
    // Half of them are the example config with random splices, closer to what an editor sees.
    if (i % 2) {
      const at = Math.floor(rand() * EXAMPLE.length);
      s = EXAMPLE.slice(0, at) + s + EXAMPLE.slice(at + Math.floor(rand() * 50));
    }
    out.push(s);
  }
  return out;
}

function truncations(step: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < EXAMPLE.length; at += step) out.push(EXAMPLE.slice(0, at));
  return out;
}

test('analyzePolicy: each hostile input gets its one clear error, fast', () => {
  assert.ok(FIVE_MB_CONFIG.length > 5_000_000 && FIVE_MB_CONFIG.length > MAX_POLICY_CHARS);
  for (const [name, text] of Object.entries(HOSTILE)) {
    const started = performance.now();
    const analysis = analyzePolicy(text);
    const ms = performance.now() - started;
    const [code, words] = EXPECTED[name];
    const first = analysis.diagnostics[0];
    assert.ok(first, `${name}: a diagnostic`);
    assert.equal(first.code, code, `${name}: ${first.code} ${first.message}`);
    assert.match(first.message, words, name);
    assert.doesNotMatch(first.message, /Maximum call stack|RangeError|at .*\.ts:\d+/, `${name}: no internals in the message`);
    assert.equal(analysis.config, undefined);
    assert.ok(ms < 10_000, `${name}: ${Math.round(ms)} ms`);
  }
});

test('analyzePolicy: random and truncated texts never throw and always say where', () => {
  for (const text of [...randomInputs(300), ...truncations(7)]) {
    const analysis = analyzePolicy(text);
    for (const d of analysis.diagnostics) {
      assert.ok(d.range.start.line >= 0 && d.range.end.line >= d.range.start.line, `range of ${d.code}`);
      assert.ok(d.message.length > 10);
    }
    assert.equal(analysis.config === undefined, analysis.errorCount > 0);
  }
});

test('kt policy lint: hostile files exit 1 with the diagnostic, no stack trace, bounded memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-rel-lint-'));
  try {
    for (const [name, text] of Object.entries(HOSTILE)) {
      const file = join(dir, 'policy-config.yaml');
      writeFileSync(file, text, name.startsWith('binary data') ? 'latin1' : 'utf8');
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, KT, 'policy', 'lint', '--file', file], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
      const [code, words] = EXPECTED[name];
      assert.equal(r.status, 1, `${name}: exit ${r.status}\n${r.stderr.slice(0, 500)}`);
      assert.match(r.stdout, new RegExp(`error ${code} `), name);
      assert.match(r.stdout, words, name);
      const peakKb = Number(r.stderr.trim().split('\n').at(-1));
      assert.doesNotMatch(r.stderr, /\n\s+at |RangeError|TypeError/, `${name}: no stack trace`);
      assert.ok(peakKb > 0 && peakKb < 512 * 1024, `${name}: peak RSS ${Math.round(peakKb / 1024)} MB`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The language server over stdio, as an editor runs it.
let server: ChildProcess;
let connection: ProtocolConnection;
const published = new Map<string, PublishDiagnosticsParams[]>();
let waiters: Array<() => void> = [];

before(async () => {
  server = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  server.stderr!.resume();
  connection = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  connection.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => null));
  connection.onRequest(RegistrationRequest.type, () => undefined);
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    published.set(p.uri, [...(published.get(p.uri) ?? []), p]);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { debounceMs: 0 } });
  await connection.sendNotification(InitializedNotification.type, {});
});
after(async () => {
  connection?.dispose();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill();
    await exited;
  }
});

async function diagnosticsFor(uri: string, version: number, timeoutMs = 30_000): Promise<PublishDiagnosticsParams> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = published.get(uri)?.find((p) => p.version === version);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri} version ${version} within ${timeoutMs} ms`);
    await new Promise<void>((r) => {
      const t = setTimeout(r, 200);
      waiters.push(() => { clearTimeout(t); r(); });
    });
  }
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

test('language server: each hostile document gets its clear diagnostic; requests on it answer; bounded memory', async () => {
  let n = 0;
  for (const [name, text] of Object.entries(HOSTILE)) {
    const uri = `file:///ws/hostile-${n++}/policy-config.yaml`;
    const started = Date.now();
    await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    const p = await diagnosticsFor(uri, 1);
    const [code, words] = EXPECTED[name];
    assert.equal(p.diagnostics[0]?.code, code, `${name}: ${JSON.stringify(p.diagnostics[0])}`);
    assert.match(p.diagnostics[0].message, words);
    // Editor features on the same document must answer, not hang or crash the server.
    const at = { textDocument: { uri }, position: { line: 1, character: 3 } };
    await connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
    await connection.sendRequest(HoverRequest.type, at);
    await connection.sendRequest(CompletionRequest.type, at);
    process.stdout.write(`# LS ${name}: diagnostics in ${Date.now() - started} ms\n`);
  }
  const peak = peakRssMb(server.pid!);
  process.stdout.write(`# LS peak RSS ${Math.round(peak)} MB\n`);
  assert.ok(peak < 1024, `peak RSS ${Math.round(peak)} MB`);
});

test('language server: random edits and every truncation of the example republish diagnostics and the server lives on', async () => {
  const uri = 'file:///ws/fuzz/policy-config.yaml';
  let version = 1;
  await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version, text: EXAMPLE } });
  await diagnosticsFor(uri, version);
  for (const text of [...randomInputs(60), ...truncations(41), EXAMPLE]) {
    version++;
    await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
    await connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 2, character: 4 } });
  }
  const last = await diagnosticsFor(uri, version);
  assert.deepEqual(last.diagnostics.filter((d) => d.severity === 1), [], 'the example is clean again at the end');
  assert.equal(server.exitCode, null, 'the server is still running');
});

test('the nesting scan: exact limits, and brackets in quotes, comments and every example config do not count', () => {
  assert.equal(tooDeepAt('a: ' + '['.repeat(MAX_FLOW_DEPTH) + ']'.repeat(MAX_FLOW_DEPTH)), -1);
  assert.equal(tooDeepAt('a: ' + '['.repeat(MAX_FLOW_DEPTH + 1)), 3 + MAX_FLOW_DEPTH);
  assert.equal(tooDeepAt(' '.repeat(MAX_BLOCK_INDENT) + 'k: 1'), -1);
  assert.equal(tooDeepAt('a:\n' + ' '.repeat(MAX_BLOCK_INDENT + 1) + 'k: 1'), 3 + MAX_BLOCK_INDENT);
  assert.equal(tooDeepAt('- '.repeat(MAX_BLOCK_INDENT / 2) + '1'), -1, 'compact "- " markers count as indentation');
  assert.notEqual(tooDeepAt('- '.repeat(MAX_BLOCK_INDENT / 2 + 1) + '1'), -1);
  const many = '['.repeat(500);
  assert.equal(tooDeepAt(`a: "${many}"\nb: '${many}''${many}'\nc: x # ${many}\n# ${many}\n`), -1);
  assert.equal(tooDeepAt(`a: "\\"${many}"\n`), -1, 'an escaped quote does not end the string');
  assert.notEqual(tooDeepAt(`a: "x"${many}\n`), -1, 'brackets after a closed string count');
  const dir = join(ROOT, 'examples');
  const files = [join(dir, 'policy-config.yaml'), ...readdirSync(join(dir, 'guide')).map((f) => join(dir, 'guide', f))];
  for (const file of files) assert.equal(tooDeepAt(readFileSync(file, 'utf8')), -1, file);
});
