// `kt policy lint` as a user runs it: the built dist/kt.js in a child process.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzePolicy } from '../../gateway/policy/analyze';

const ROOT = join(__dirname, '..', '..');
const KT = join(ROOT, 'dist', 'kt.js');
const BROKEN = 'examples/broken';

interface Run { code: number | null; stdout: string; stderr: string }

function kt(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // A clean environment: no provider keys leak in from the developer's shell.
    const child = spawn(process.execPath, [KT, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A usage error: exit 2, one line on stderr that says what to do, nothing on stdout, no stack trace. */
function assertUsageError(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:|node:internal/);
}

before(() => {
  if (!existsSync(KT)) {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  }
});

test('text format: path:line:col: severity KTnnn message, 1-based, then a summary; exit 1 on errors', async () => {
  const file = `${BROKEN}/KT102-weights-sum.yaml`;
  const expected = analyzePolicy(readFileSync(join(ROOT, file), 'utf8')).diagnostics;
  assert.equal(expected.length, 1);
  const r = await kt(['policy', 'lint', '--file', file]);
  assert.equal(r.code, 1);
  const d = expected[0];
  assert.equal(r.stdout, `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: error KT102 ${d.message}\n${file}: 1 error, 0 warnings\n`);
  // The policy model puts it on the "models" key of line 17 (0-based 16), column 5.
  assert.match(r.stdout, /^examples\/broken\/KT102-weights-sum\.yaml:17:5: error KT102 Weights must sum to 100/);
  assert.equal(r.stderr, '');
});

test('clean file: "no problems found", exit 0 even with --strict', async () => {
  const r = await kt(['policy', 'lint', '--file', 'examples/policy-config.yaml', '--strict']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'examples/policy-config.yaml: no problems found\n');
});

test('JSON format: file, diagnostics with code/severity/message/0-based range, counts', async () => {
  const file = `${BROKEN}/KT101-unknown-provider.yaml`;
  const r = await kt(['policy', 'lint', '--file', file, '--format', 'json']);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(report).sort(), ['diagnostics', 'errorCount', 'file', 'warningCount']);
  assert.equal(report.file, file);
  assert.equal(report.errorCount, 1);
  assert.equal(report.warningCount, 0);
  assert.equal(report.diagnostics.length, 1);
  const [d] = report.diagnostics;
  assert.equal(d.code, 'KT101');
  assert.equal(d.severity, 'error');
  assert.match(d.message, /Did you mean "openai"\?/);
  // `      - provider: opnai` is line 18 in the editor, 17 in LSP terms; "opnai" spans characters 18–23.
  assert.deepEqual(d.range, { start: { line: 17, character: 18 }, end: { line: 17, character: 23 } });
  assert.equal(d.fixes[0].edits[0].newText, 'openai');
});

test('warnings: exit 0, or 1 with --strict; the summary counts them', async () => {
  const file = `${BROKEN}/KT106-fallback-timeout.yaml`;
  const plain = await kt(['policy', 'lint', '--file', file]);
  assert.equal(plain.code, 0);
  assert.match(plain.stdout, /:23:16: warning KT106 /);
  assert.match(plain.stdout, /: 0 errors, 1 warning\n$/);
  const strict = await kt(['policy', 'lint', '--file', file, '--strict']);
  assert.equal(strict.code, 1);
  assert.equal(strict.stdout, plain.stdout);
});

test('--file - reads standard input and reports it as <stdin>', async () => {
  const text = readFileSync(join(ROOT, BROKEN, 'KT103-duplicate-group.yaml'), 'utf8');
  const r = await kt(['policy', 'lint', '--file', '-'], { input: text });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^<stdin>:21:11: error KT103 Duplicate model group name "fast-chat"/);
  const clean = await kt(['policy', 'lint', '--file', '-', '--format', 'json'], { input: readFileSync(join(ROOT, 'examples/policy-config.yaml'), 'utf8') });
  assert.equal(clean.code, 0);
  assert.deepEqual(JSON.parse(clean.stdout), { file: '<stdin>', diagnostics: [], errorCount: 0, warningCount: 0 });
});

test('--check-env warns about unset key variables, reading .env beside the file too', async () => {
  const file = `${BROKEN}/KT113-unset-env.yaml`;
  assert.equal((await kt(['policy', 'lint', '--file', file])).stdout, `${file}: no problems found\n`);
  const unset = await kt(['policy', 'lint', '--file', file, '--check-env']);
  assert.equal(unset.code, 0);
  assert.match(unset.stdout, /:9:16: warning KT113 Environment variable KT_EXAMPLE_UNSET_KEY/);
  const set = await kt(['policy', 'lint', '--file', file, '--check-env'], { env: { KT_EXAMPLE_UNSET_KEY: 'sk-test' } });
  assert.equal(set.stdout, `${file}: no problems found\n`);

  const dir = mkdtempSync(join(tmpdir(), 'kt-lint-'));
  try {
    const copy = join(dir, 'policy-config.yaml');
    writeFileSync(copy, readFileSync(join(ROOT, file)));
    writeFileSync(join(dir, '.env'), 'KT_EXAMPLE_UNSET_KEY=sk-from-dotenv\n');
    const dotenv = await kt(['policy', 'lint', '--file', copy, '--check-env']);
    assert.equal(dotenv.stdout, `${copy}: no problems found\n`);
    assert.doesNotMatch(dotenv.stdout + dotenv.stderr, /sk-from-dotenv/, 'the key value is never printed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors and unreadable files: exit 2, one line, no stack trace', async () => {
  const [missing, dir, unknownFlag, noFile, badFormat, positional] = await Promise.all([
    kt(['policy', 'lint', '--file', 'no/such/policy-config.yaml']),
    kt(['policy', 'lint', '--file', 'examples']),
    kt(['policy', 'lint', '--file', 'examples/policy-config.yaml', '--fix']),
    kt(['policy', 'lint']),
    kt(['policy', 'lint', '--file', 'examples/policy-config.yaml', '--format', 'xml']),
    kt(['policy', 'lint', 'examples/policy-config.yaml']),
  ]);
  assertUsageError(missing, /^kt policy lint: cannot read no\/such\/policy-config\.yaml: no such file\.$/m);
  assertUsageError(dir, /cannot read examples: it is a directory/);
  assertUsageError(unknownFlag, /--fix.*Run "kt policy lint --help" for usage/);
  assertUsageError(noFile, /missing --file FILE \(use "--file -" for standard input\)/);
  assertUsageError(badFormat, /unknown --format "xml"; use text or json/);
  assertUsageError(positional, /Run "kt policy lint --help"/);
});

test('kt --help, kt policy lint --help, and unknown commands', async () => {
  const [top, lint, none, unknown, policyOnly] = await Promise.all([
    kt(['--help']), kt(['policy', 'lint', '-h']), kt([]), kt(['polcy']), kt(['policy']),
  ]);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /^Usage: kt <command> \[options\]$/m);
  assert.match(top.stdout, /policy lint --file FILE/);
  assert.equal(lint.code, 0);
  assert.match(lint.stdout, /^Usage: kt policy lint --file FILE \[--format text\|json\] \[--strict\] \[--check-env\]/);
  for (const flag of ['--file', '--format', '--strict', '--check-env']) assert.match(lint.stdout, new RegExp(`^  ${flag}\\b`, 'm'));
  assert.match(lint.stdout, /Exit status: 0 no errors, 1 errors/);
  // No command at all is a usage error, but the help it prints is the answer.
  assert.equal(none.code, 2);
  assert.match(none.stdout, /^Usage: kt/m);
  assertUsageError(unknown, /unknown command "polcy".*kt --help/);
  assertUsageError(policyOnly, /missing subcommand; use one of: lint/);
});

test('a reader that closes the pipe early gets no stack trace', async () => {
  const big = `model_groups:\n${Array.from({ length: 3000 }, (_, i) => `  - name: g${i}\n    models:\n      - provider: nope\n        model: m\n`).join('')}`;
  const code = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [KT, 'policy', 'lint', '--file', '-'], { cwd: ROOT });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
    child.stdout.once('data', () => child.stdout.destroy()); // like `| head -1`
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr }));
    child.stdin.end(big);
  });
  assert.equal(code.stderr, '');
  assert.equal(code.code, 1);
});
