// Lint throughput: generated policy configs of ~1,000 and ~10,000 lines, linted in process by the bundled
// policy model, with a bare YAML parse of the same text as the baseline. Target: 10,000 lines < 100 ms median.
// "no fast" lints with the fast YAML path off (gateway/policy/fast-yaml.ts), i.e. with yaml's parseDocument.
// Usage: node bench/lint.mjs [--runs N]
import { build } from 'esbuild';
import { yamlWithoutEnvReads } from '../scripts/esbuild-plugins.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateConfig } from './lib/policy-config.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('bench/lint.mjs: --runs needs a positive whole number');
  process.exit(2);
}

// Bundle the policy model exactly as dist/ would, so the bench measures the shipped code, not tsx.
const dir = mkdtempSync(join(tmpdir(), 'kt-bench-'));
const outfile = join(dir, 'analyze.cjs');
const baselineFile = join(dir, 'yaml.cjs');
const bundle = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', plugins: [yamlWithoutEnvReads] };
const entry = "export { analyzePolicy } from './gateway/policy/analyze'; export { fastYaml } from './gateway/policy/fast-yaml';";
await build({ ...bundle, stdin: { contents: entry, resolveDir: root, loader: 'ts' }, outfile });
// The baseline is yaml bundled the same way, so the ratio compares like with like.
await build({ ...bundle, stdin: { contents: "export { parseDocument, LineCounter } from 'yaml';", resolveDir: root, loader: 'js' }, outfile: baselineFile });
const require = createRequire(import.meta.url);
const { analyzePolicy, fastYaml } = require(outfile);
const { parseDocument, LineCounter } = require(baselineFile);
rmSync(dir, { recursive: true, force: true });

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { median: at(0.5), p95: at(0.95) };
}

/** Wall-clock and process CPU time per run. On a shared machine CPU time is the steadier figure. */
function time(fn, runs) {
  for (let i = 0; i < Math.min(5, runs); i++) fn(); // warm-up: JIT and ajv's compiled validator
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ...stats(wall), cpu: stats(cpu).median };
}

console.log(`node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${RUNS} runs each after warm-up`);
console.log('lines   size     diags | lint median    p95   cpu | no fast median   cpu | yaml parse median   cpu | lint/parse');
for (const target of [1000, 10000]) {
  const text = generateConfig(target);
  const lineCount = text.split('\n').length - 1;
  const result = analyzePolicy(text);
  if (result.diagnostics.length > 0) {
    console.error(`generated config is not clean: ${result.diagnostics[0].code} ${result.diagnostics[0].message}`);
    process.exit(1);
  }
  const lint = time(() => analyzePolicy(text), RUNS);
  const fastWas = fastYaml.enabled; // KT_YAML_FAST=0 turns it off for both columns
  fastYaml.enabled = false;
  const slow = time(() => analyzePolicy(text), RUNS);
  fastYaml.enabled = fastWas;
  // Baseline: what any YAML-based linter pays before checking anything.
  const parse = time(() => parseDocument(text, { lineCounter: new LineCounter() }), RUNS);
  const ms = (n, w = 7) => n.toFixed(1).padStart(w);
  console.log(
    `${String(lineCount).padEnd(7)} ${`${(text.length / 1024).toFixed(0)} KiB`.padEnd(8)} ${String(result.diagnostics.length).padStart(5)} |` +
    ` ${ms(lint.median, 8)} ms ${ms(lint.p95)} ${ms(lint.cpu, 5)} | ${ms(slow.median, 11)} ms ${ms(slow.cpu, 5)} | ${ms(parse.median, 14)} ms ${ms(parse.cpu, 5)} | ${(lint.median / parse.median).toFixed(2).padStart(9)}x`,
  );
}
