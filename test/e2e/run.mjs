// End-to-end test of the packaged extension in a real VS Code (code-server 4.100.3, VS Code 1.100) driven
// by playwright-core in Debian's chromium: lint diagnostics in Problems, fix, one-click gateway, a request
// through the `openai` SDK, and its routing event in the tree. Screenshots go to test-results/e2e/.
// Everything it starts (code-server with its extension host and the gateway, the browser) is killed in `finally`.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const results = join(root, 'test-results', 'e2e');
const CS = join(process.env.KT_E2E_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'kt-gateway'), 'code-server', 'node_modules', 'code-server');
const CHROMIUM = process.env.KT_E2E_CHROMIUM ?? '/usr/bin/chromium';
const keep = process.env.KT_E2E_KEEP === '1';

const started = Date.now();
const log = (msg) => console.log(`e2e [${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function runOrFail(label, cmd, args, opts = {}) {
  log(label);
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    throw new Error(`${label} failed (exit ${r.status ?? r.signal}):\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`);
  }
  return r.stdout ?? '';
}

async function until(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (${last.message})` : ''}`);
}

const steps = [];
async function step(name, fn) {
  const t = Date.now();
  try {
    const v = await fn();
    steps.push({ name, ok: true });
    log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
    return v;
  } catch (err) {
    steps.push({ name, ok: false });
    log(`FAIL ${name}: ${err.message}`);
    throw err;
  }
}

const children = [];
const squatters = [];
let browser;
let failure;
const work = mkdtempSync(join(tmpdir(), 'kt-e2e-'));
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

try {
  runOrFail('setup: bash scripts/setup-e2e.sh', 'bash', [join(root, 'scripts', 'setup-e2e.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  // KT_E2E_VSIX: test a .vsix built elsewhere instead of packaging this tree (for debugging the test).
  const vsix = process.env.KT_E2E_VSIX ?? join(work, 'kt-gateway.vsix');
  if (!process.env.KT_E2E_VSIX) {
    runOrFail('package: node scripts/package.mjs', process.execPath, [join(root, 'scripts', 'package.mjs'), vsix], { stdio: ['ignore', 'inherit', 'inherit'] });
  }

  const userDir = join(work, 'user');
  const extDir = join(work, 'extensions');
  const workspace = join(work, 'workspace');
  mkdirSync(join(userDir, 'User'), { recursive: true });
  mkdirSync(workspace, { recursive: true });
  copyFileSync(join(root, 'test', 'e2e', 'fixtures', 'policy-config.broken.yaml'), join(workspace, 'policy-config.yaml'));
  // The configured port is taken by someone else: Start must say so and offer the next free one.
  const busyPort = await freePort();
  const squatter = createServer();
  await new Promise((r) => squatter.listen(busyPort, '127.0.0.1', r));
  squatters.push(squatter);
  let gatewayPort;
  writeFileSync(
    join(userDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'security.workspace.trust.enabled': false,
        'workbench.tips.enabled': false,
        'extensions.ignoreRecommendations': true,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'kt.gateway.port': busyPort,
      },
      null,
      2,
    ),
  );

  await step('install the .vsix into a fresh extensions dir', async () => {
    const out = runOrFail('install-extension', process.execPath, [join(CS, 'out', 'node', 'entry.js'), '--user-data-dir', userDir, '--extensions-dir', extDir, '--install-extension', vsix]);
    if (!/successfully installed/i.test(out)) throw new Error(`unexpected install output: ${out}`);
  });

  const csPort = await freePort();
  const csLog = join(results, 'code-server.log');
  await step('start code-server', async () => {
    const cs = spawn(
      process.execPath,
      [join(CS, 'out', 'node', 'entry.js'), '--auth', 'none', '--bind-addr', `127.0.0.1:${csPort}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--user-data-dir', userDir, '--extensions-dir', extDir, workspace],
      // Own process group: the extension host and the gateway it starts die with it.
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KT_E2E: '1' } },
    );
    children.push(cs);
    let output = '';
    const onData = (d) => {
      output += d;
      writeFileSync(csLog, output);
    };
    cs.stdout.on('data', onData);
    cs.stderr.on('data', onData);
    await until('"HTTP server listening on"', () => {
      if (cs.exitCode !== null) throw new Error(`code-server exited ${cs.exitCode}: ${output.slice(-1500)}`);
      return /HTTP server listening on/.test(output);
    }, 60_000);
  });

  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const shot = (name) => page.screenshot({ path: join(results, name) });
  const problemsText = () => page.locator('.markers-panel').innerText().catch(() => '');
  const runCommand = async (title) => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
  };

  await step('open the workspace in VS Code', async () => {
    await page.goto(`http://127.0.0.1:${csPort}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    // The extension activates on workspaceContains:**/policy-config.yaml; its status bar item says so.
    await page.locator('.statusbar-item', { hasText: 'KT: stopped' }).waitFor({ timeout: 90_000 });
  });

  await step('the KT Gateway view offers a Start button while the gateway is stopped', async () => {
    await page.locator('.activitybar [aria-label*="KT Gateway"]').first().click();
    await page.locator('.welcome-view-content', { hasText: 'The local KT gateway is stopped' }).waitFor({ timeout: 20_000 });
    await page.locator('.welcome-view-content .monaco-button', { hasText: 'Start Local Gateway' }).waitFor({ timeout: 5_000 });
    await shot('01-welcome-view.png');
    // Back to the Explorer for the editing steps.
    await page.keyboard.press('Control+Shift+E');
  });

  await step('the language server underlines KT101 in the open file', async () => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'policy-config.yaml' }).first().click();
    await page.locator('.monaco-editor .view-lines', { hasText: 'primray' }).waitFor({ timeout: 20_000 });
    // Nothing else has linted yet, so what Problems shows comes from the language server.
    await page.keyboard.press('Control+Shift+M');
    await until('the language server diagnostic KT101 in Problems', async () => /KT101/.test(await problemsText()) && /Unknown provider in model group/.test(await problemsText()), 45_000);
    // F8 jumps to the problem, so its squiggle is in view and its message shows inline.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('F8');
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 20_000 });
    await page.locator('.marker-widget', { hasText: 'KT101' }).first().waitFor({ timeout: 10_000 });
    await shot('02-problems-broken-file.png');
    await page.keyboard.press('Escape');
  });

  await step('fixing the typo in the editor clears the diagnostic', async () => {
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+H');
    const find = page.locator('.find-widget textarea[aria-label="Find"], .find-widget .input[aria-label="Find"]').first();
    await find.waitFor({ timeout: 10_000 });
    await find.fill('primray');
    const replace = page.locator('.find-widget textarea[aria-label="Replace"], .find-widget .input[aria-label="Replace"]').first();
    await replace.fill('primary');
    await page.keyboard.press('Control+Alt+Enter');
    await page.keyboard.press('Escape');
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+S');
    await until('the fix saved to disk', () => /provider: primary\n\s+model: mock-fast/.test(readFileSync(join(workspace, 'policy-config.yaml'), 'utf8')), 15_000);
    await until('Problems without KT101', async () => {
      const text = await problemsText();
      return !/KT101/.test(text) && /No problems have been detected/.test(text);
    }, 30_000);
    await shot('03-fixed.png');
  });

  await step('"KT: Start Local Gateway" from the command palette: busy port offered the next free one, gateway runs', async () => {
    await runCommand('KT: Start Local Gateway');
    const toast = page.locator('.notification-toast', { hasText: `port ${busyPort} is busy` }).first();
    await toast.waitFor({ timeout: 20_000 });
    const useButton = toast.locator('.monaco-button', { hasText: /^Use port \d+$/ }).first();
    await useButton.waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(400); // let the toast finish sliding in for the screenshot
    gatewayPort = Number((await useButton.innerText()).match(/\d+/)[0]);
    if (gatewayPort === busyPort) throw new Error('offered the busy port again');
    await shot('04-port-busy.png');
    await useButton.click();
    await page.locator('.statusbar-item', { hasText: `KT :${gatewayPort}` }).waitFor({ timeout: 60_000 });
    // Ollama fallback is on by default: without a local Ollama the user gets one clear warning.
    const ollamaAnswers = await fetch('http://localhost:11434/api/version', { signal: AbortSignal.timeout(1000) }).then(() => true, () => false);
    if (!ollamaAnswers) {
      await page.locator('.notifications-toasts', { hasText: 'Ollama did not answer' }).first().waitFor({ timeout: 10_000 });
    }
    await shot('05-gateway-running.png');
  });

  const completion = await step('a request with the openai SDK, using the dev key from the state dir', async () => {
    const keyFile = join(workspace, '.kt', 'dev-key');
    const key = await until('the dev key file', () => existsSync(keyFile) && readFileSync(keyFile, 'utf8').trim(), 10_000);
    const { default: OpenAI } = await import('openai');
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${gatewayPort}/v1`, apiKey: key, maxRetries: 0, timeout: 20_000 });
    const res = await client.chat.completions.create({ model: 'fast-chat', messages: [{ role: 'user', content: 'Hello from the e2e test' }] });
    if (!['mock-fast', 'mock-steady'].includes(res.model)) throw new Error(`unexpected model in the answer: ${res.model}`);
    if (!res.choices?.[0]?.message?.content) throw new Error('the answer has no content');
    log(`     served by ${res.model}: ${JSON.stringify(res.choices[0].message.content).slice(0, 80)}`);
    return res;
  });

  await step('the request appears in the Routing Events tree', async () => {
    await page.locator('.activitybar [aria-label*="KT Gateway"]').first().click();
    const tree = page.locator('.pane-body', { has: page.locator('.monaco-list-row', { hasText: 'fast-chat' }) });
    await until('the fast-chat group in the tree', () => tree.count().then((n) => n > 0), 30_000);
    const eventRow = page.locator('.monaco-list-row', { hasText: completion.model }).first();
    await eventRow.waitFor({ timeout: 30_000 });
    // Expand the summary and the event's attempts so the screenshot shows them.
    await page.locator('.monaco-list-row', { hasText: 'Summary' }).first().locator('.monaco-tl-twistie').click();
    await eventRow.locator('.monaco-tl-twistie').click();
    await page.locator('.monaco-list-row', { hasText: /^\s*1\. / }).first().waitFor({ timeout: 10_000 });
    await page.locator('.monaco-list-row', { hasText: /request.*avg \d+ ms/ }).first().waitFor({ timeout: 10_000 });
    await shot('06-routing-events.png');
  });

  await step('clicking the event opens its JSON read-only', async () => {
    await page.locator('.monaco-list-row', { hasText: completion.model }).first().click();
    await page.locator('.monaco-editor .view-lines', { hasText: '"resolved_model"' }).first().waitFor({ timeout: 20_000 });
    await shot('07-event-json.png');
  });

  const lensText = () => page.locator('.monaco-editor .codelens-decoration').allInnerTexts().then((t) => t.join('\n'));
  await step('the code lens above fast-chat counts the request (live stats from the running gateway)', async () => {
    await page.locator('.tabs-container .tab', { hasText: 'policy-config.yaml' }).first().click();
    // The groups are below the fold: go to the line of fast-chat (Ctrl+G), which centres it.
    const line = readFileSync(join(workspace, 'policy-config.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('name: fast-chat')) + 1;
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines', { hasText: 'fast-chat' }).first().waitFor({ timeout: 20_000 });
    const text = await until('a lens with "1 req · p50"', async () => /\b1 req · p50 \d+ ms/.test(await lensText()) && lensText(), 30_000);
    // A/B arms side by side (the fixture's fast-chat has tags control and experiment).
    if (!/A\/B (control|experiment): 1 req/.test(text)) throw new Error(`no A/B lens: ${text}`);
    log(`     lenses: ${text.split('\n').filter((l) => /req/.test(l)).join(' | ')}`);
    await shot('08-live-stats-lens.png');
  });

  await step('"Try it" on fast-chat sends a request through the gateway and selects its event', async () => {
    await page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Try it' }).first().click();
    await page.locator('.notification-toast', { hasText: 'KT: fast-chat →' }).first().waitFor({ timeout: 30_000 });
    await until('the lens to count 2 requests', async () => /\b2 req · p50/.test(await lensText()), 30_000);
    await page.locator('.monaco-list-row.selected', { hasText: /mock-(fast|steady)/ }).first().waitFor({ timeout: 20_000 });
    await shot('09-try-it.png');
  });

  await step('"KT: Open Routing Dashboard" opens a webview that draws the charts', async () => {
    // Forty more requests, in four bursts, so the charts have something to show.
    const key = readFileSync(join(workspace, '.kt', 'dev-key'), 'utf8').trim();
    const { default: OpenAI } = await import('openai');
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${gatewayPort}/v1`, apiKey: key, maxRetries: 0, timeout: 20_000 });
    for (let burst = 0; burst < 4; burst++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => client.chat.completions.create({ model: 'fast-chat', messages: [{ role: 'user', content: `burst ${burst} #${i}` }] })));
      await new Promise((r) => setTimeout(r, 700));
    }
    await page.keyboard.press('Control+J'); // hide the panel: room for the charts
    await runCommand('KT: Open Routing Dashboard');
    let seen = '';
    const drawn = await until('the dashboard to draw 3 charts of the 42 requests sent', async () => {
      for (const frame of page.frames()) {
        const status = frame.locator('#status[data-drawn="3"]');
        if (!(await status.count().catch(() => 0))) continue;
        seen = await status.innerText();
        if (/^42 requests/.test(seen)) return seen;
      }
      return false;
    }, 45_000).catch((err) => { throw new Error(`${err.message}; it showed "${seen}"`); });
    log(`     dashboard: ${drawn}`);
    await page.waitForTimeout(500); // the charts' first paint, for the screenshot
    await shot('10-dashboard.png');
  });
  await step('"KT: Stop Local Gateway" stops it', async () => {
    await runCommand('KT: Stop Local Gateway');
    await page.locator('.statusbar-item', { hasText: 'KT: stopped' }).waitFor({ timeout: 20_000 });
    await until('the gateway port to close', async () => {
      try {
        await fetch(`http://127.0.0.1:${gatewayPort}/healthz`);
        return false;
      } catch {
        return true;
      }
    }, 10_000);
  });

  await step('"KT: Lint Policy Config" lists problems of files that are not open', async () => {
    // A second policy file, never opened: only the batch lint (kt policy lint --format json) can report it.
    writeFileSync(join(workspace, 'extra.policy.yaml'), readFileSync(join(root, 'test', 'e2e', 'fixtures', 'policy-config.broken.yaml'), 'utf8').replace('name: fast-chat', 'name: extra-chat'));
    await runCommand('KT: Lint Policy Config');
    await page.keyboard.press('Control+Shift+M');
    await until('KT101 for extra.policy.yaml in Problems', async () => {
      const text = await problemsText();
      return /extra\.policy\.yaml/.test(text) && /KT101/.test(text) && /"extra-chat"/.test(text);
    }, 30_000);
    await shot('11-lint-command-problems.png');
  });
} catch (err) {
  failure = err;
  if (browser) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    await pages[0]?.screenshot({ path: join(results, 'failure.png') }).catch(() => {});
  }
} finally {
  await browser?.close().catch(() => {});
  for (const s of squatters) s.close();
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
  }
  await new Promise((r) => setTimeout(r, 1500));
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
  if (!keep) rmSync(work, { recursive: true, force: true });
}

const passed = steps.filter((s) => s.ok).length;
console.log(`e2e steps: ${passed} of ${steps.length} passed${failure ? ` (stopped at: ${steps.find((s) => !s.ok)?.name ?? failure.message.split('\n')[0]})` : ''}`);
if (failure && !steps.some((s) => !s.ok)) console.error(failure.message);
console.log(`e2e: ${failure ? 0 : 1} passed, ${failure ? 1 : 0} failed (screenshots in ${join('test-results', 'e2e')})`);
process.exit(failure ? 1 : 0);
