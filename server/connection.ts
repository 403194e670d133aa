// Protocol wiring only: documents, debounce, a parse cache per document version, and handlers that
// forward to the pure services. A failing handler logs and answers empty; the server keeps running.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CodeActionKind, CodeLensRefreshRequest, DidChangeConfigurationNotification, InlayHintRefreshRequest, ResponseError, ErrorCodes, TextDocumentSyncKind, TextDocuments,
  type Connection, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzePolicy } from '../gateway/policy/analyze';
import { loadDotEnv } from '../gateway/policy/dotenv';
import { documentPath, globsFrom, PolicyFileFilter } from './policy-files';
import {
  DEFAULT_DEBOUNCE_MS, EXPLAIN_ROUTE_REQUEST, LIVE_EVENTS_NOTIFICATION, LIVE_STATE_NOTIFICATION, type ExplainRouteParams, type ExplainRouteResult,
  type LiveEventsParams, type LiveStateParams, type PolicyServerOptions,
} from './protocol';
import { quickFixes } from './services/code-actions';
import { explainActions } from './services/explain';
import { complete } from './services/completion';
import { diagnosticsOf } from './services/diagnostics';
import { explainGroupMarkdown, hover, type Environment } from './services/hover';
import { liveCodeLenses, liveInlayHints, type LiveView } from './services/live-lenses';
import { LiveStats } from './services/live-stats';
import { definition, prepareRename, references, rename, RenameError } from './services/navigation';
import { documentSymbols } from './services/symbols';
import { PolicyView } from './services/view';

const LIVE_REFRESH_MS = 500;
const LIVE_AGE_OUT_MS = 30_000;

export function startPolicyServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const views = new Map<string, { version: number; view: PolicyView }>();
  const timers = new Map<string, NodeJS.Timeout>();
  let filter = new PolicyFileFilter();
  let initGlobs: string[] | undefined;
  let debounceMs = DEFAULT_DEBOUNCE_MS;
  let pullConfiguration = false;
  const live: LiveView = { stats: new LiveStats(), gatewayRunning: false, liveStats: true };
  let refreshSupport = { codeLens: false, inlayHint: false };
  let refreshTimer: NodeJS.Timeout | undefined;
  let lastRefresh = 0;

  const log = (message: string) => connection.console.log(message);
  const fail = (what: string, error: unknown) => connection.console.error(`kt: ${what} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);

  /** The analysed view of a policy document's current version: parsed once per version. */
  function viewOf(uri: string): PolicyView | undefined {
    const document = documents.get(uri);
    if (!document || !filter.matches(uri)) return undefined;
    const cached = views.get(uri);
    if (cached?.version === document.version) return cached.view;
    // The previous version lends its unchanged YAML blocks to this parse and is dropped with it.
    views.delete(uri);
    const view = new PolicyView(analyzePolicy(document.getText(), { incremental: cached?.view.parsed ?? true }));
    views.set(uri, { version: document.version, view });
    return view;
  }

  function validate(uri: string): void {
    timers.delete(uri);
    const document = documents.get(uri);
    if (!document) return;
    try {
      const view = viewOf(uri);
      if (!view) return;
      void connection.sendDiagnostics({ uri, version: document.version, diagnostics: diagnosticsOf(view, uri) });
    } catch (error) {
      fail(`checking ${uri}`, error);
    }
  }

  function schedule(uri: string): void {
    clearTimeout(timers.get(uri));
    if (!filter.matches(uri)) return;
    timers.set(uri, setTimeout(() => validate(uri), debounceMs));
  }

  const environments = new Map<string, { read: number; env: Environment }>();
  /** Process env plus the .env beside the file, as the gateway reads keys. Only names and set-ness are shown. */
  function environmentFor(uri: string): Environment {
    if (!uri.startsWith('file:')) return process.env;
    const dir = dirname(documentPath(uri));
    const now = Date.now();
    const cached = environments.get(dir);
    // Re-read at most every 2 s: hovers and completions come in bursts while typing.
    if (cached && now - cached.read < 2000) return cached.env;
    const env = { ...loadDotEnv(join(dir, '.env')), ...process.env };
    environments.set(dir, { read: now, env });
    return env;
  }

  function applyGlobs(globs: string[] | undefined): void {
    const next = new PolicyFileFilter(globs ?? initGlobs);
    if (next.globs.join('\n') === filter.globs.join('\n')) return;
    filter = next;
    log(`kt: policy files: ${filter.globs.join(', ')}`);
    for (const document of documents.all()) {
      if (filter.matches(document.uri)) schedule(document.uri);
      else {
        views.delete(document.uri);
        void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
      }
    }
  }

  async function refreshConfiguration(): Promise<void> {
    if (!pullConfiguration) return;
    try {
      const kt = await connection.workspace.getConfiguration('kt');
      applyGlobs(globsFrom(kt?.policyFiles));
    } catch (error) {
      fail('reading the kt configuration', error);
    }
  }

  function guarded<P, R>(what: string, empty: R, handler: (params: P) => R): (params: P) => R {
    return (params) => {
      try {
        return handler(params);
      } catch (error) {
        if (error instanceof ResponseError) throw error;
        fail(what, error);
        return empty;
      }
    };
  }

  connection.onInitialize((params): InitializeResult => {
    const options = (params.initializationOptions ?? {}) as PolicyServerOptions;
    initGlobs = globsFrom(options.policyGlobs);
    filter = new PolicyFileFilter(initGlobs);
    if (typeof options.debounceMs === 'number' && options.debounceMs >= 0 && Number.isFinite(options.debounceMs)) debounceMs = options.debounceMs;
    pullConfiguration = params.capabilities.workspace?.configuration === true;
    refreshSupport = {
      codeLens: params.capabilities.workspace?.codeLens?.refreshSupport === true,
      inlayHint: params.capabilities.workspace?.inlayHint?.refreshSupport === true,
    };
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: [':', ' ', '-'] },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        codeLensProvider: { resolveProvider: false },
        inlayHintProvider: true,
      },
      serverInfo: { name: 'kt-policy-language-server', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    if (!pullConfiguration) return;
    void connection.client.register(DidChangeConfigurationNotification.type, { section: 'kt' }).catch(() => undefined);
    void refreshConfiguration();
  });

  connection.onDidChangeConfiguration(guarded('configuration change', undefined, (params) => {
    const pushed = globsFrom((params.settings as { kt?: { policyFiles?: unknown } } | null)?.kt?.policyFiles);
    if (pushed) applyGlobs(pushed);
    else void refreshConfiguration();
  }));

  documents.onDidChangeContent((change) => schedule(change.document.uri));
  documents.onDidClose((event) => {
    clearTimeout(timers.get(event.document.uri));
    timers.delete(event.document.uri);
    views.delete(event.document.uri);
    if (filter.matches(event.document.uri)) void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  connection.onCompletion(guarded('completion', [], (params) => {
    const view = viewOf(params.textDocument.uri);
    return view ? complete(view, params.position, environmentFor(params.textDocument.uri), params.context?.triggerCharacter) : [];
  }));

  connection.onHover(guarded('hover', null, (params) => {
    const view = viewOf(params.textDocument.uri);
    return view ? hover(view, params.position, environmentFor(params.textDocument.uri)) : null;
  }));

  connection.onDefinition(guarded('definition', [], (params) => {
    const view = viewOf(params.textDocument.uri);
    return view ? definition(view, params.textDocument.uri, params.position) : [];
  }));

  connection.onReferences(guarded('references', [], (params) => {
    const view = viewOf(params.textDocument.uri);
    return view ? references(view, params.textDocument.uri, params.position, params.context.includeDeclaration) : [];
  }));

  connection.onPrepareRename(guarded('prepare rename', null, (params) => {
    const view = viewOf(params.textDocument.uri);
    return (view && prepareRename(view, params.position)) ?? null;
  }));

  connection.onRenameRequest(guarded('rename', null, (params) => {
    const view = viewOf(params.textDocument.uri);
    try {
      return (view && rename(view, params.textDocument.uri, params.position, params.newName)) ?? null;
    } catch (error) {
      if (error instanceof RenameError) throw new ResponseError(ErrorCodes.InvalidParams, error.message);
      throw error;
    }
  }));

  connection.onDocumentSymbol(guarded('document symbols', [], (params) => {
    const view = viewOf(params.textDocument.uri);
    return view ? documentSymbols(view) : [];
  }));

  connection.onCodeAction(guarded('code actions', [], (params) => {
    const view = viewOf(params.textDocument.uri);
    if (!view) return [];
    const uri = params.textDocument.uri;
    return [...quickFixes(view, uri, params.context.diagnostics), ...explainActions(view, uri, params.range, params.context.only)];
  }));

  connection.onRequest(EXPLAIN_ROUTE_REQUEST, guarded('explain route', { markdown: 'The route could not be explained; see the KT Language Server output.' }, (params: ExplainRouteParams): ExplainRouteResult => {
    let view = viewOf(params.uri);
    // The explanation document may outlive the editor of its config: read the file as saved then.
    if (!view && params.uri.startsWith('file:')) {
      try {
        view = new PolicyView(analyzePolicy(readFileSync(documentPath(params.uri), 'utf8')));
      } catch (error) {
        return { markdown: `Cannot read ${documentPath(params.uri)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.` };
      }
    }
    if (!view) return { markdown: `${params.uri} is not an open policy file.` };
    return { markdown: explainGroupMarkdown(view, params.group, environmentFor(params.uri)) };
  }));

  // Live stats: lenses and hints are asked again at most every REFRESH_MS, however fast events come.
  function refreshLiveViews(): void {
    if (refreshTimer) return;
    const wait = Math.max(0, lastRefresh + LIVE_REFRESH_MS - Date.now());
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      lastRefresh = Date.now();
      if (refreshSupport.codeLens) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
      if (refreshSupport.inlayHint) void connection.sendRequest(InlayHintRefreshRequest.type).catch(() => undefined);
    }, wait);
  }
  // The window slides: requests age out of it even when no new ones come.
  const ageOut = setInterval(() => {
    if (live.gatewayRunning && live.stats.size) refreshLiveViews();
  }, LIVE_AGE_OUT_MS);
  ageOut.unref();

  connection.onNotification(LIVE_EVENTS_NOTIFICATION, guarded('live events', undefined, (params: LiveEventsParams) => {
    if (!Array.isArray(params?.events)) return;
    const before = live.stats.version;
    live.stats.add(params.events);
    if (live.stats.version !== before) refreshLiveViews();
  }));

  connection.onNotification(LIVE_STATE_NOTIFICATION, guarded('live state', undefined, (params: LiveStateParams) => {
    live.gatewayRunning = params?.gatewayRunning === true;
    live.liveStats = params?.liveStats !== false;
    if (typeof params?.windowMinutes === 'number' && params.windowMinutes > 0) live.stats.setWindow(params.windowMinutes * 60_000);
    if (!live.gatewayRunning) live.stats.clear();
    refreshLiveViews();
  }));

  connection.onCodeLens(guarded('code lenses', [], (params) => {
    const view = viewOf(params.textDocument.uri);
    return view ? liveCodeLenses(view, live) : [];
  }));

  connection.languages.inlayHint.on(guarded('inlay hints', [], (params) => {
    const view = viewOf(params.textDocument.uri);
    return view ? liveInlayHints(view, params.range, live) : [];
  }));

  connection.onShutdown(() => {
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
    clearTimeout(refreshTimer);
    clearInterval(ageOut);
  });

  documents.listen(connection);
  connection.listen();
}
