// The extension's context: owns the language client, the local gateway, the events feed, the views and
// every disposable. Commands are small factories over it (commands.ts).
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { LocalGateway, gatewayArgs } from './gateway/local-gateway';
import { isPortFree, nextFreePort } from './gateway/free-port';
import { redactSecrets } from './gateway/redact';
import { describeState, type GatewayState } from './gateway/gateway-state';
import { EventFeed, fetchRecentEvents } from './events/event-feed';
import { RecentEvents } from './dashboard/recent-events';
import { DashboardPanel } from './views/dashboard-panel';
import { EventsTreeModel } from './events/events-tree-model';
import { planOllamaFallback, probeOllama, type OllamaFallbackPlan } from './ollama/ollama-probe';
import { providerKeyEnv } from './policy/policy-files';
import { runPolicyLint, type KtRuntime } from './policy/lint-runner';
import { EventsTreeProvider } from './views/events-tree';
import { EVENT_SCHEME, EventDocumentProvider } from './views/event-document';
import { EXPLAIN_SCHEME } from './explain/explain-target';
import { ExplainDocumentProvider } from './views/explain-document';
import { GatewayStatusBar } from './views/status-bar';
import {
  DEFAULT_POLICY_GLOBS, EXPLAIN_ROUTE_REQUEST, LIVE_EVENTS_NOTIFICATION, LIVE_STATE_NOTIFICATION, type ExplainRouteParams, type ExplainRouteResult,
  type LiveEventsParams, type LiveStateParams, type PolicyServerOptions,
} from '../server/protocol';
import type { DecisionEvent } from '../gateway/events/decision-event';

const HOST = '127.0.0.1';
const SECRET_PREFIX = 'kt.providerKey.';
const YAML_EXTENSION = 'redhat.vscode-yaml';
const SCHEMA_CODE = 'KT002';

export class Ctx implements vscode.Disposable {
  readonly log = vscode.window.createOutputChannel('KT Gateway');
  readonly model: EventsTreeModel;
  readonly tree: EventsTreeProvider;
  readonly treeView: vscode.TreeView<unknown>;
  readonly lintDiagnostics = vscode.languages.createDiagnosticCollection('kt-lint');
  /** What the routing dashboard draws: more than the tree keeps (kt.events.maxItems). */
  readonly recent = new RecentEvents(10_000);
  readonly gateway: LocalGateway;
  private readonly statusBar = new GatewayStatusBar();
  private readonly explanations = new ExplainDocumentProvider((params) => this.explainRoute(params));
  private readonly subscriptions: vscode.Disposable[] = [];
  private client: LanguageClient | undefined;
  private feed: EventFeed | undefined;
  private secretValues: string[] = [];
  private ollamaPlan: OllamaFallbackPlan | undefined;
  private ollamaWarned = false;
  private feedNote: string | undefined;
  /** Config and state dir of the gateway last started. */
  configPath: string | undefined;
  stateDir: string | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.model = new EventsTreeModel(this.setting<number>('events.maxItems', 200));
    this.tree = new EventsTreeProvider(this.model);
    this.treeView = vscode.window.createTreeView('kt.routingEvents', { treeDataProvider: this.tree, showCollapseAll: true });
    this.gateway = new LocalGateway({
      log: (line) => this.log.appendLine(line),
      redact: (line) => redactSecrets(line, this.secretValues),
    });
    this.subscriptions.push(
      this.log,
      this.tree,
      this.treeView,
      this.lintDiagnostics,
      this.statusBar,
      vscode.workspace.registerTextDocumentContentProvider(EVENT_SCHEME, new EventDocumentProvider(this.model)),
      this.explanations,
      vscode.workspace.registerTextDocumentContentProvider(EXPLAIN_SCHEME, this.explanations),
      vscode.workspace.onDidChangeTextDocument((e) => this.explanations.sourceChanged(e.document.uri.toString())),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigurationChanged(e)),
      // An opened policy file is linted live by the language server; drop the batch result to avoid doubles.
      vscode.workspace.onDidOpenTextDocument((doc) => this.lintDiagnostics.delete(doc.uri)),
    );
    const unsubscribe = this.gateway.status.onDidChange((state) => this.onGatewayState(state));
    this.subscriptions.push({ dispose: unsubscribe });
    this.onGatewayState(this.gateway.state);
  }

  setting<T>(key: string, fallback: T): T {
    return vscode.workspace.getConfiguration('kt').get<T>(key, fallback);
  }

  policyGlobs(): string[] {
    const globs = this.setting<string[]>('policyFiles', [...DEFAULT_POLICY_GLOBS]);
    return Array.isArray(globs) && globs.length ? globs : [...DEFAULT_POLICY_GLOBS];
  }

  /** Runs scripts from dist/ with the editor's own runtime, so users need no Node.js. */
  ktRuntime(extraEnv: Record<string, string> = {}): KtRuntime {
    return {
      runtime: process.execPath,
      ktScript: this.extension.asAbsolutePath(join('dist', 'kt.js')),
      env: { ...process.env, ...extraEnv, ELECTRON_RUN_AS_NODE: '1' },
    };
  }

  // ---------------------------------------------------------------- language client

  async startLanguageClient(): Promise<void> {
    const module = this.extension.asAbsolutePath(join('dist', 'server.js'));
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
    };
    const globs = this.policyGlobs();
    const clientOptions: LanguageClientOptions = {
      documentSelector: globs.map((pattern) => ({ scheme: 'file', language: 'yaml', pattern })),
      initializationOptions: { policyGlobs: globs } satisfies PolicyServerOptions,
      outputChannelName: 'KT Language Server',
      middleware: {
        // With Red Hat's YAML extension installed, our schema (yamlValidation) already reports schema
        // errors there; drop our copy of them (KT002) so each problem is listed once.
        handleDiagnostics: (uri, diagnostics, next) => {
          const yamlExtension = vscode.extensions.getExtension(YAML_EXTENSION);
          next(uri, yamlExtension ? diagnostics.filter((d) => d.code !== SCHEMA_CODE) : diagnostics);
        },
      },
    };
    this.client = new LanguageClient('kt', 'KT Policy Language Server', serverOptions, clientOptions);
    try {
      await this.client.start();
      // A (re)started server knows nothing yet: tell it whether a gateway runs and what we have seen.
      this.sendLiveState();
      this.forwardLiveEvents(this.model.all());
    } catch (err) {
      this.log.appendLine(`[kt] language server failed to start: ${(err as Error).message}`);
      void vscode.window.showErrorMessage(`KT: the policy language server did not start: ${(err as Error).message}`);
    }
  }

  /** The language server's explanation of a model group's route (the "Explain route…" document). */
  async explainRoute(params: ExplainRouteParams): Promise<ExplainRouteResult> {
    if (!this.client?.isRunning()) return { markdown: 'The KT policy language server is not running, so the route cannot be explained. See the "KT Language Server" output.' };
    return this.client.sendRequest<ExplainRouteResult>(EXPLAIN_ROUTE_REQUEST, params);
  }

  private async restartLanguageClient(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    if (old) await old.stop().catch(() => undefined);
    await this.startLanguageClient();
  }

  // ---------------------------------------------------------------- policy files

  async findPolicyFiles(): Promise<vscode.Uri[]> {
    const found = await Promise.all(this.policyGlobs().map((g) => vscode.workspace.findFiles(g, '**/{node_modules,.kt}/**')));
    const seen = new Map<string, vscode.Uri>();
    for (const uri of found.flat()) seen.set(uri.toString(), uri);
    return [...seen.values()].sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  }

  /** The config the gateway runs: the setting, the only policy file, or the user's pick. */
  async resolveConfigPath(): Promise<string | undefined> {
    const configured = this.setting<string>('gateway.configPath', '').trim();
    if (configured) {
      const folder = vscode.workspace.workspaceFolders?.[0];
      const abs = folder && !/^([A-Za-z]:)?[\\/]/.test(configured) ? join(folder.uri.fsPath, configured) : configured;
      if (existsSync(abs)) return abs;
      void vscode.window.showErrorMessage(`KT: kt.gateway.configPath points to ${abs}, which does not exist. Fix the setting or clear it to pick a policy file.`);
      return undefined;
    }
    const files = await this.findPolicyFiles();
    if (files.length === 0) {
      void vscode.window.showErrorMessage('KT: no policy-config.yaml in this workspace. Create one (see the routing guide) or set kt.gateway.configPath.');
      return undefined;
    }
    if (files.length === 1) return files[0]!.fsPath;
    const pick = await vscode.window.showQuickPick(
      files.map((f) => ({ label: vscode.workspace.asRelativePath(f), path: f.fsPath })),
      { title: 'KT: which policy config should the gateway run?', placeHolder: 'Set kt.gateway.configPath to skip this question' },
    );
    return pick?.path;
  }

  /** Lints every policy file with `kt policy lint` into Problems (open files are the language server's). */
  async lintAll(): Promise<{ files: number; errors: number; warnings: number; failures: string[] }> {
    const files = await this.findPolicyFiles();
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    const kt = this.ktRuntime();
    let errors = 0;
    let warnings = 0;
    const failures: string[] = [];
    this.lintDiagnostics.clear();
    for (const uri of files) {
      try {
        const report = await runPolicyLint(kt, uri.fsPath);
        errors += report.errorCount;
        warnings += report.warningCount;
        if (open.has(uri.toString())) continue;
        this.lintDiagnostics.set(uri, report.diagnostics.map(toVscodeDiagnostic));
      } catch (err) {
        failures.push(`${vscode.workspace.asRelativePath(uri)}: ${(err as Error).message}`);
      }
    }
    return { files: files.length, errors, warnings, failures };
  }

  // ---------------------------------------------------------------- provider keys

  secretName(env: string): string {
    return SECRET_PREFIX + env;
  }

  async providerKeyEnv(configPath: string): Promise<Record<string, string>> {
    const text = await readFile(configPath, 'utf8').catch(() => '');
    return providerKeyEnv(text, (name) => Promise.resolve(this.extension.secrets.get(this.secretName(name))));
  }

  // ---------------------------------------------------------------- gateway

  async startGateway(): Promise<GatewayState> {
    if (!vscode.workspace.isTrusted) {
      const choice = await vscode.window.showWarningMessage(
        'KT: starting the local gateway runs this workspace\'s policy config and sends requests with your provider keys, so it needs a trusted workspace. Linting works without trust.',
        'Manage Workspace Trust',
      );
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      return this.gateway.state;
    }
    const kind = this.gateway.state.kind;
    if (kind === 'running' || kind === 'starting') return this.gateway.state;
    const configPath = await this.resolveConfigPath();
    if (!configPath) return this.gateway.state;

    let port = this.setting<number>('gateway.port', 41002);
    if (!(await isPortFree(HOST, port))) {
      const next = await nextFreePort(HOST, port + 1);
      if (next === undefined) {
        void vscode.window.showErrorMessage(`KT: port ${port} is busy and no free port was found after it. Set kt.gateway.port to a free port.`);
        return this.gateway.state;
      }
      const use = `Use port ${next}`;
      const choice = await vscode.window.showWarningMessage(`KT: port ${port} is busy (another gateway or program listens there).`, use, 'Cancel');
      if (choice !== use) return this.gateway.state;
      port = next;
    }

    const ollamaEnabled = this.setting<boolean>('gateway.ollamaFallback', true);
    const probe = ollamaEnabled ? await probeOllama() : undefined;
    this.ollamaPlan = planOllamaFallback({ enabled: ollamaEnabled, model: this.setting<string>('gateway.ollamaModel', '') }, probe);
    this.log.appendLine(`[kt] ${this.ollamaPlan.summary}`);
    if (this.ollamaPlan.warning && !this.ollamaWarned) {
      this.ollamaWarned = true;
      void vscode.window.showWarningMessage(`KT: ${this.ollamaPlan.warning}`);
    }

    const keys = await this.providerKeyEnv(configPath);
    this.secretValues = Object.values(keys);
    this.configPath = configPath;
    this.stateDir = join(dirname(configPath), '.kt');
    const kt = this.ktRuntime(keys);
    this.log.appendLine(`[kt] config ${configPath}; provider keys from SecretStorage: ${Object.keys(keys).join(', ') || 'none'}`);
    return this.gateway.start({
      runtime: kt.runtime,
      args: gatewayArgs({ ktScript: kt.ktScript, configPath, host: HOST, port, stateDir: this.stateDir, ollamaFallbackModel: this.ollamaPlan.model }),
      cwd: dirname(configPath),
      env: kt.env,
      host: HOST,
      port,
    });
  }

  async stopGateway(): Promise<void> {
    // Drop our own event stream first: the gateway waits for open requests before it exits.
    this.closeFeed();
    await this.gateway.stop();
  }

  async readDevKey(): Promise<string | undefined> {
    if (!this.stateDir) {
      const config = await this.resolveConfigPath();
      if (!config) return undefined;
      this.stateDir = join(dirname(config), '.kt');
    }
    try {
      return (await readFile(join(this.stateDir, 'dev-key'), 'utf8')).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------------------- live stats in the policy file

  private liveStatsOn(): boolean {
    return this.setting<boolean>('liveStats.enabled', true);
  }

  private sendLiveState(): void {
    if (!this.client?.isRunning()) return;
    const params: LiveStateParams = {
      gatewayRunning: this.gateway.state.kind === 'running',
      liveStats: this.liveStatsOn(),
      windowMinutes: this.setting<number>('liveStats.windowMinutes', 15),
    };
    void this.client.sendNotification(LIVE_STATE_NOTIFICATION, params).catch(() => undefined);
  }

  private forwardLiveEvents(events: DecisionEvent[]): void {
    if (!events.length || !this.liveStatsOn() || this.gateway.state.kind !== 'running' || !this.client?.isRunning()) return;
    const params: LiveEventsParams = { events };
    void this.client.sendNotification(LIVE_EVENTS_NOTIFICATION, params).catch(() => undefined);
  }

  /** Selects an event in the Routing Events tree once the feed has delivered it (it comes over SSE). */
  async revealEvent(id: string, waitMs = 5000): Promise<boolean> {
    for (const deadline = Date.now() + waitMs; ; ) {
      const node = this.model.eventNodeOf(id);
      if (node) {
        this.tree.refresh();
        await new Promise((r) => setTimeout(r, 80)); // the tree's coalesced refresh lands first
        await this.treeView.reveal(node, { select: true, focus: false, expand: true });
        return true;
      }
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private onGatewayState(state: GatewayState): void {
    void vscode.commands.executeCommand('setContext', 'kt.gatewayState', state.kind);
    this.sendLiveState();
    this.updateStatusBar();
    if (state.kind === 'running') {
      void this.openFeed(state.url);
    } else {
      this.closeFeed();
    }
    if (state.kind === 'error') {
      void vscode.window.showErrorMessage(`KT gateway: ${state.message}`, 'Show Log').then((choice) => {
        if (choice) this.log.show(true);
      });
    }
  }

  private updateStatusBar(): void {
    const extra: string[] = [];
    if (this.configPath) extra.push(`Config: ${vscode.workspace.asRelativePath(this.configPath)}`);
    if (this.ollamaPlan) extra.push(this.ollamaPlan.summary);
    if (this.feedNote) extra.push(this.feedNote);
    this.statusBar.update(this.gateway.state, extra);
    this.treeView.message = this.gateway.state.kind === 'running' && this.feedNote ? this.feedNote : undefined;
  }

  private async openFeed(url: string): Promise<void> {
    this.closeFeed();
    const key = await this.readDevKey();
    if (!key) {
      this.feedNote = `No admin key at ${join(this.stateDir ?? '.kt', 'dev-key')}: live events need it.`;
      this.updateStatusBar();
      return;
    }
    if (this.gateway.state.kind !== 'running') return;
    const feed = new EventFeed({
      baseUrl: url,
      key,
      backfill: this.setting<number>('events.maxItems', 200),
      onEvents: (events) => {
        this.model.add(events);
        this.tree.refresh();
        this.forwardLiveEvents(events);
        this.recent.add(events);
        DashboardPanel.eventsChanged();
      },
      onProblem: (message) => this.log.appendLine(`[kt] ${message}`),
    });
    this.feed = feed;
    this.feedNote = undefined;
    this.updateStatusBar();
    await feed.open();
  }

  private closeFeed(): void {
    this.feed?.close();
    this.feed = undefined;
  }

  /** Opens the dashboard, first filling it with up to 10,000 of the running gateway's events. */
  async openDashboard(): Promise<void> {
    DashboardPanel.show(this.extension.extensionUri, this.recent);
    const state = this.gateway.state;
    const key = state.kind === 'running' ? await this.readDevKey() : undefined;
    if (state.kind !== 'running' || !key) return;
    try {
      this.recent.add(await fetchRecentEvents(state.url, key, this.recent.capacity));
      DashboardPanel.eventsChanged();
    } catch (err) {
      this.log.appendLine(`[kt] dashboard backfill: ${(err as Error).message}`);
    }
  }

  async refreshEvents(): Promise<void> {
    await this.feed?.backfill();
    this.tree.refresh();
  }

  private onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration('kt.events.maxItems')) {
      this.model.setMaxItems(this.setting<number>('events.maxItems', 200));
      this.tree.refresh();
    }
    if (e.affectsConfiguration('kt.policyFiles')) void this.restartLanguageClient();
    if (e.affectsConfiguration('kt.liveStats')) {
      this.sendLiveState();
      this.forwardLiveEvents(this.model.all());
    }
  }

  statusText(): string {
    return describeState(this.gateway.state);
  }

  async dispose(): Promise<void> {
    this.closeFeed();
    await this.gateway.stop();
    await this.client?.stop().catch(() => undefined);
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}

function toVscodeDiagnostic(d: { code: string; severity: string; message: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } }): vscode.Diagnostic {
  const range = new vscode.Range(d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character);
  const severity =
    d.severity === 'error'
      ? vscode.DiagnosticSeverity.Error
      : d.severity === 'warning'
        ? vscode.DiagnosticSeverity.Warning
        : d.severity === 'information'
          ? vscode.DiagnosticSeverity.Information
          : vscode.DiagnosticSeverity.Hint;
  const diagnostic = new vscode.Diagnostic(range, d.message, severity);
  diagnostic.source = 'kt';
  diagnostic.code = d.code;
  return diagnostic;
}
