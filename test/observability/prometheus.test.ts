// A real Prometheus (Debian's package; scripts/setup-servers.sh installs it) scrapes a real gateway:
// the key-less metrics port, and GET /metrics on the main port with an admin key. After N requests through
// the openai SDK, Prometheus's query API must come to report N for both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeOpenAI, FAKE_OPENAI_KEY } from '../fakes';
import { hello, startTestGateway, target } from '../gateway/harness';

const N = 7;
/** Long enough for a slow CI machine; the test ends as soon as the counts arrive. */
const SCRAPE_DEADLINE_MS = 90_000;

const prometheusBinary = findOnPath('prometheus');
// In CI (.ci/run installs it first) a missing prometheus is a failure; on a developer's machine, a loud skip.
const missing = 'PROMETHEUS NOT INSTALLED: the real-Prometheus scrape test did not run. Install it with: bash scripts/setup-servers.sh';
const skip = prometheusBinary || process.env.CI ? false : missing;
if (skip) process.stderr.write(`\n*** ${skip} ***\n\n`);

test('a real Prometheus scraping the gateway counts the N requests it served', { skip }, async (t) => {
  const upstream = await startFakeOpenAI();
  t.after(() => upstream.close());
  const gw = await startTestGateway(`providers:\n  targets:\n${target('openai', upstream.baseUrl)}model_groups:\n  - name: chat\n    models:\n      - provider: openai\n        model: gpt-4o-mini\n`, {
    env: { OPENAI_KEY: FAKE_OPENAI_KEY },
    metricsPort: 0,
  });
  t.after(() => gw.close());

  const dir = mkdtempSync(join(tmpdir(), 'kt-prometheus-'));
  let prometheus: Prometheus | undefined;
  // Prometheus stops before its storage folder goes: it writes there until it exits.
  t.after(async () => {
    if (prometheus) await stop(prometheus.child);
    rmSync(dir, { recursive: true, force: true });
  });
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: metrics-port
    static_configs:
      - targets: ['${new URL(gw.gateway.metricsUrl!).host}']
  - job_name: admin-key
    authorization:
      credentials: ${gw.key}
    static_configs:
      - targets: ['${new URL(gw.url).host}']
`);
  assert.ok(prometheusBinary, missing);
  prometheus = await startPrometheus(prometheusBinary as string, dir, port);
  const api = `http://127.0.0.1:${port}/api/v1`;

  for (let i = 0; i < N; i++) {
    const r = await gw.client.chat.completions.create({ model: 'chat', messages: hello, stream: i % 2 === 1 });
    if (Symbol.asyncIterator in r) for await (const _ of r);
  }

  const expected = { 'metrics-port': N, 'admin-key': N };
  let last: Record<string, number> = {};
  const deadline = Date.now() + SCRAPE_DEADLINE_MS;
  while (Date.now() < deadline) {
    last = await sumByJob(api, 'kt_requests_total{model_group="chat",decision="allowed"}');
    if (last['metrics-port'] === N && last['admin-key'] === N) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.deepEqual(last, expected, `Prometheus did not come to report ${N} requests per job; its targets: ${await targetHealth(api)}\n${prometheus.output()}`);
  // The histograms arrive with the same scrape.
  assert.deepEqual(await sumByJob(api, 'gen_ai_client_operation_duration_seconds_count{gen_ai_request_model="chat"}'), expected);
  assert.deepEqual(await sumByJob(api, 'kt_time_to_first_token_seconds_count{model_group="chat"}'), expected);
});

interface Prometheus { child: ChildProcess; output: () => string }

async function startPrometheus(binary: string, dir: string, port: number): Promise<Prometheus> {
  const child = spawn(binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`prometheus exited with ${code}:\n${output}`))));
  exited.catch(() => undefined);
  const ready = (async () => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`prometheus did not get ready in 60 s:\n${output}`);
  })();
  try {
    await Promise.race([ready, exited]);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return { child, output: () => output };
}

async function sumByJob(api: string, selector: string): Promise<Record<string, number>> {
  const r = await fetch(`${api}/query?query=${encodeURIComponent(`sum by (job) (${selector})`)}`);
  const body = (await r.json()) as { status: string; data: { result: Array<{ metric: { job: string }; value: [number, string] }> } };
  assert.equal(body.status, 'success', JSON.stringify(body));
  return Object.fromEntries(body.data.result.map((s) => [s.metric.job, Number(s.value[1])]));
}

async function targetHealth(api: string): Promise<string> {
  const body = (await (await fetch(`${api}/targets`)).json()) as { data: { activeTargets: Array<{ scrapePool: string; health: string; lastError: string }> } };
  return JSON.stringify(body.data.activeTargets.map((t) => ({ job: t.scrapePool, health: t.health, error: t.lastError })));
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function findOnPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}
