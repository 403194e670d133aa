// Language server latency on generated policy configs of 1,000 and 10,000 lines, ours (dist/server.js)
// next to yaml-language-server 1.x configured with our schema, in the same run. Prints figures.
//
//   npm run build && node bench/lsp.mjs [--sizes 1000,10000] [--edits 15] [--requests 100]
//
// Diagnostics: time from didChange to the publishDiagnostics for that change. Our server runs with
// initializationOptions { debounceMs: 0 }; yaml-language-server has a fixed 200 ms validation delay,
// which is subtracted from its figures. Completion and hover: request round trip, document unchanged.
// Live stats (kt only): the server holds --events decision events forwarded as the extension does; code
// lenses for the whole file and inlay hints for one screen (60 lines) and for the whole file, each right
// after one more event arrived (so the window's figures are recomputed every time), and diagnostics
// after an edit with those events loaded.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CodeLensRequest, CompletionRequest, ConfigurationRequest, InlayHintRequest, createProtocolConnection, DidChangeConfigurationNotification, DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification, HoverRequest, InitializeRequest, PublishDiagnosticsNotification, RegistrationRequest,
} from 'vscode-languageserver-protocol/node.js';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

const ROOT = resolve(import.meta.dirname, '..');
const YAML_LS_DELAY_MS = 200;
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000' }, edits: { type: 'string', default: '15' }, requests: { type: 'string', default: '100' }, events: { type: 'string', default: '10000' } } });
const EVENTS = Number(values.events);
const SIZES = values.sizes.split(',').map(Number);
const EDITS = Number(values.edits);
const REQUESTS = Number(values.requests);

/** A realistic config of about `lines` lines: targets, the audit policy and weighted/fallback/cost groups. */
export function generatePolicy(lines) {
  const out = ['pack:', '  name: bench', '  version: 1.0.0', '  enabled: true', 'providers:', '  targets:'];
  const kinds = [['openai', 'https://api.openai.com/v1'], ['anthropic', 'https://api.anthropic.com/v1'], ['ollama', 'http://localhost:11434/v1']];
  const models = { openai: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'], anthropic: ['claude-3-5-haiku', 'claude-sonnet-4', 'claude-haiku-4-5'], ollama: ['llama3.1', 'qwen2.5', 'mistral'] };
  const targets = Math.max(3, Math.round(lines / 60));
  for (let i = 0; i < targets; i++) {
    const [kind, url] = kinds[i % 3];
    out.push(`    - id: ${kind}-${i}`, '      provider:', `        base_url: ${url}`);
    if (kind !== 'ollama') out.push('        secret_key_ref:', `          env: ${kind.toUpperCase()}_${i}_API_KEY`);
  }
  out.push('policies:', '  chain:', '    - audit-logger', 'policy:', '  audit-logger:', '    immutable: true', '    retention_days: 365', '    log_all_access: true', 'model_groups:');
  for (let g = 0; out.length < lines; g++) {
    const strategy = ['weighted', 'fallback', 'cost'][g % 3];
    out.push(`  - name: group-${g}`, `    strategy: ${strategy}`);
    if (strategy === 'cost') out.push('    budget_per_request_usd: 0.02');
    out.push('    models:');
    for (let m = 0; m < 3; m++) {
      const t = (g + m) % targets;
      const kind = kinds[t % 3][0];
      out.push(`      - provider: ${kind}-${t}`, `        model: ${models[kind][m]}`);
      if (strategy === 'weighted') out.push(`        weight: ${m === 0 ? 34 : 33}`);
      if (strategy === 'fallback') out.push(`        timeout_ms: ${5000 * (m + 1)}`);
      if (strategy === 'cost') out.push(`        cost_per_1k_input: 0.00${m + 1}`, `        cost_per_1k_output: 0.00${m + 2}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** `count` decision events spread over the config's model lines, over the last ten minutes. */
function liveEvents(text, count) {
  const lines = [];
  let group;
  let provider;
  for (const line of text.split('\n')) {
    const name = /^  - name: (\S+)/.exec(line);
    if (name) group = name[1];
    const p = /^      - provider: (\S+)/.exec(line);
    if (p) provider = p[1];
    const m = /^        model: (\S+)/.exec(line);
    if (m && group && provider) lines.push([group, provider, m[1]]);
  }
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const [g, p, m] = lines[i % lines.length];
    return {
      id: `evt_bench${i}`, ts: new Date(now - 600_000 + Math.floor((i / count) * 600_000)).toISOString(), kind: 'request', key_id: 'dev',
      model: g, model_group: g, strategy: 'weighted', provider: p, resolved_model: m, tag: i % 2 ? 'a' : 'b', session_id: null, stream: false,
      fallback_count: i % 10 === 0 ? 1 : 0, attempts: [], latency_ms: 100 + (i % 400), ttft_ms: null, tokens: { prompt: 20, completion: 30, total: 50 },
      estimated_cost_usd: 0.00002, actual_cost_usd: 0.000021, decision: i % 50 === 0 ? 'error' : 'allowed', reason: null, http_status: 200,
    };
  });
}

function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const SERVERS = {
  kt: {
    label: 'kt (dist/server.js)',
    command: [join(ROOT, 'dist', 'server.js'), '--stdio'],
    initializationOptions: { debounceMs: 0 },
    delayMs: 0,
  },
  yaml: {
    label: 'yaml-language-server',
    command: [join(ROOT, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server'), '--stdio'],
    initializationOptions: {},
    delayMs: YAML_LS_DELAY_MS,
  },
};

function yamlSettings(schemaPath) {
  return {
    schemas: { [pathToFileURL(schemaPath).href]: ['**/policy-config.yaml', '**/*.policy.yaml'] },
    validate: true, hover: true, completion: true, format: { enable: false },
    schemaStore: { enable: false }, yamlVersion: '1.2', maxItemsComputed: 5000,
  };
}

async function startServer(kind) {
  const server = SERVERS[kind];
  const child = spawn(process.execPath, server.command, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const settings = yamlSettings(join(ROOT, 'schemas', 'policy-config.schema.json'));
  connection.onRequest(ConfigurationRequest.type, (params) => params.items.map((item) => (item.section === 'yaml' ? settings : item.section === 'kt' ? null : {})));
  connection.onRequest(RegistrationRequest.type, () => null);
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification(() => undefined);
  const published = [];
  let waiter;
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    published.push(params);
    if (waiter && waiter.match(params)) {
      const w = waiter;
      waiter = undefined;
      w.resolve(params);
    }
  });
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid, rootUri: null,
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } },
      textDocument: {
        publishDiagnostics: { relatedInformation: true },
        completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
        hover: { contentFormat: ['markdown', 'plaintext'] },
      },
    },
    initializationOptions: server.initializationOptions,
  });
  await connection.sendNotification('initialized', {});
  await connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { yaml: settings } });
  const nextDiagnostics = (uri) => new Promise((resolve) => { waiter = { match: (p) => p.uri === uri, resolve }; });
  return {
    server, connection, nextDiagnostics, published,
    async stop() {
      await Promise.race([connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]).catch(() => undefined);
      await connection.sendNotification('exit').catch(() => undefined);
      setTimeout(() => child.kill('SIGKILL'), 1000).unref();
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      connection.dispose();
    },
  };
}

function positionOf(text, needle, offsetInNeedle, fromLine) {
  const lines = text.split('\n');
  for (let line = fromLine; line < lines.length; line++) {
    const at = lines[line].indexOf(needle);
    if (at !== -1) return { line, character: at + offsetInNeedle };
  }
  throw new Error(`"${needle}" not found`);
}

async function timeRequests(fn) {
  for (let i = 0; i < 10; i++) await fn(); // warm-up
  const samples = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
}

async function measure(kind, size, dir) {
  const text = generatePolicy(size);
  const file = join(dir, `${size}`, 'policy-config.yaml');
  writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const lines = text.split('\n');
  const middle = Math.floor(lines.length / 2);
  const weightAt = positionOf(text, 'weight: 34', 'weight: '.length, middle);
  const strategyAt = positionOf(text, 'strategy: ', 'strategy: '.length, middle);
  const keyAt = positionOf(text, '        model: ', 8, middle);
  const refAt = positionOf(text, '- provider: ', '- provider: '.length + 2, middle);

  const s = await startServer(kind);
  try {
    const textDocument = { uri };
    let version = 1;
    const opened = s.nextDiagnostics(uri);
    await s.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version, text } });
    const first = await opened;

    const diagnostics = [];
    for (let i = 0; i < EDITS + 2; i++) {
      // Toggle one weight: the group's weights stop (or start again) summing to 100.
      const newText = i % 2 === 0 ? '35' : '34';
      const next = s.nextDiagnostics(uri);
      const t = performance.now();
      await s.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: ++version },
        contentChanges: [{ range: { start: weightAt, end: { line: weightAt.line, character: weightAt.character + 2 } }, text: newText }],
      });
      await next;
      if (i >= 2) diagnostics.push(performance.now() - t - s.server.delayMs);
    }
    const completionValue = await timeRequests(() => s.connection.sendRequest(CompletionRequest.type, { textDocument, position: strategyAt }));
    const completionKey = await timeRequests(() => s.connection.sendRequest(CompletionRequest.type, { textDocument, position: keyAt }));
    const hoverKey = await timeRequests(() => s.connection.sendRequest(HoverRequest.type, { textDocument, position: { line: strategyAt.line, character: 6 } }));
    const hoverRef = await timeRequests(() => s.connection.sendRequest(HoverRequest.type, { textDocument, position: refAt }));
    const sampleCompletion = await s.connection.sendRequest(CompletionRequest.type, { textDocument, position: strategyAt });
    const items = Array.isArray(sampleCompletion) ? sampleCompletion : sampleCompletion?.items ?? [];
    const figures = { 'diagnostics after edit': diagnostics, 'completion (strategy value)': completionValue, 'completion (model key)': completionKey, 'hover (key)': hoverKey, 'hover (provider ref)': hoverRef };
    let live;
    if (kind === 'kt') {
      const events = liveEvents(text, EVENTS + REQUESTS * 3 + 30);
      const stock = events.splice(0, EVENTS);
      await s.connection.sendNotification('kt/liveState', { gatewayRunning: true, liveStats: true, windowMinutes: 15 });
      for (let i = 0; i < stock.length; i += 1000) await s.connection.sendNotification('kt/liveEvents', { events: stock.slice(i, i + 1000) });
      const afterEvent = (request) => async () => {
        await s.connection.sendNotification('kt/liveEvents', { events: [events.shift()] });
        return request();
      };
      const screen = { start: { line: middle, character: 0 }, end: { line: middle + 60, character: 0 } };
      const whole = { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } };
      figures['code lenses (whole file)'] = await timeRequests(afterEvent(() => s.connection.sendRequest(CodeLensRequest.type, { textDocument })));
      figures['inlay hints (60 lines)'] = await timeRequests(afterEvent(() => s.connection.sendRequest(InlayHintRequest.type, { textDocument, range: screen })));
      figures['inlay hints (whole file)'] = await timeRequests(afterEvent(() => s.connection.sendRequest(InlayHintRequest.type, { textDocument, range: whole })));
      const lenses = await s.connection.sendRequest(CodeLensRequest.type, { textDocument });
      const hints = await s.connection.sendRequest(InlayHintRequest.type, { textDocument, range: whole });
      const withEvents = [];
      for (let i = 0; i < EDITS + 2; i++) {
        const next = s.nextDiagnostics(uri);
        const t = performance.now();
        await s.connection.sendNotification(DidChangeTextDocumentNotification.type, {
          textDocument: { uri, version: ++version },
          contentChanges: [{ range: { start: weightAt, end: { line: weightAt.line, character: weightAt.character + 2 } }, text: i % 2 === 0 ? '35' : '34' }],
        });
        await next;
        if (i >= 2) withEvents.push(performance.now() - t);
      }
      figures['diagnostics after edit, events loaded'] = withEvents;
      live = { events: EVENTS, lenses: lenses.length, hints: hints.length, sample: lenses.find((l) => /req/.test(l.command?.title ?? ''))?.command.title };
    }
    return { lines: lines.length - 1, firstDiagnostics: first.diagnostics.length, completionItems: items.length, figures, live };
  } finally {
    await s.stop();
  }
}

/** yaml-language-server must really validate with our schema, or the comparison means nothing. */
async function checkYamlSchema(dir) {
  const file = join(dir, 'check.policy.yaml');
  const text = 'model_groups:\n  - name: a\n    strategy: bogus\n    models: []\n';
  writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const s = await startServer('yaml');
  try {
    await new Promise((r) => setTimeout(r, 300));
    const next = s.nextDiagnostics(uri);
    await s.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    const published = await next;
    return published.diagnostics.map((d) => d.message).join(' | ');
  } finally {
    await s.stop();
  }
}

const fmt = (n) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'kt-lsp-bench-'));
  try {
    console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`${EDITS} edits and ${REQUESTS} requests per figure; kt with debounceMs 0, yaml-language-server minus its ${YAML_LS_DELAY_MS} ms validation delay`);
    const schemaCheck = await checkYamlSchema(dir);
    console.log(`yaml-language-server schema check (strategy: bogus): ${schemaCheck || 'NO DIAGNOSTICS: not validating with our schema'}`);
    for (const size of SIZES) {
      const sub = join(dir, `${size}`);
      rmSync(sub, { recursive: true, force: true });
      (await import('node:fs')).mkdirSync(sub);
      const kt = await measure('kt', size, dir);
      const yaml = await measure('yaml', size, dir);
      console.log(`\n${kt.lines} lines (kt: ${kt.firstDiagnostics} diagnostics at open, ${kt.completionItems} strategy items; yaml-language-server: ${yaml.firstDiagnostics}, ${yaml.completionItems})`);
      console.log(`${'figure (ms)'.padEnd(38)} ${'kt p50'.padStart(9)} ${'kt p95'.padStart(9)} ${'yaml-ls p50'.padStart(12)} ${'yaml-ls p95'.padStart(12)}`);
      for (const name of Object.keys(kt.figures)) {
        const a = kt.figures[name];
        const b = yaml.figures[name];
        const other = b ? `${fmt(percentile(b, 50)).padStart(12)} ${fmt(percentile(b, 95)).padStart(12)}` : `${'–'.padStart(12)} ${'–'.padStart(12)}`;
        console.log(`${name.padEnd(38)} ${fmt(percentile(a, 50)).padStart(9)} ${fmt(percentile(a, 95)).padStart(9)} ${other}`);
      }
      if (kt.live) console.log(`live stats: ${kt.live.events} events held, ${kt.live.lenses} code lenses and ${kt.live.hints} inlay hints in the file; e.g. "${kt.live.sample}"`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
