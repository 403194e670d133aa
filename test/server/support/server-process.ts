// Runs dist/server.js as an editor would (a child process over stdio or node IPC) and talks LSP to it.
import { spawn, spawnSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigurationRequest, createProtocolConnection, InitializeRequest, PublishDiagnosticsNotification, RegistrationRequest,
  type InitializeResult, type ProtocolConnection, type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { IPCMessageReader, IPCMessageWriter, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

export const ROOT = join(__dirname, '..', '..', '..');
export const SERVER = join(ROOT, 'dist', 'server.js');
export const KT = join(ROOT, 'dist', 'kt.js');

function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    latest = Math.max(latest, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return latest;
}

/** Rebuilds dist/ when the server, policy model or routing sources are newer than the bundle (npm test builds first anyway). */
export function ensureBuilt(): void {
  const stale = () => [SERVER, KT].some((out) => !existsSync(out) || statSync(out).mtimeMs < Math.max(newest(join(ROOT, 'server')), newest(join(ROOT, 'gateway', 'policy')), newest(join(ROOT, 'gateway', 'routing'))));
  if (!stale()) return;
  const lock = join(ROOT, 'dist', '.server-test-build');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (let waited = 0; ; waited++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; wait for it rather than write the same bundle twice.
      if (waited > 600) throw new Error('timed out waiting for another build of dist/');
      spawnSync(process.execPath, ['-e', 'setTimeout(() => {}, 100)']);
    }
  }
  try {
    if (stale()) {
      const result = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface ServerOptions {
  transport?: 'stdio' | 'ipc';
  initializationOptions?: Record<string, unknown>;
  /** Answer workspace/configuration for section "kt" with these settings. */
  configuration?: () => Record<string, unknown>;
  /** Advertise workspace/codeLens/refresh and workspace/inlayHint/refresh support (recorded in `refreshes`). */
  liveRefresh?: boolean;
}

export class PolicyServerClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  /** Refresh requests the server sent, by method, in order. */
  readonly refreshes: string[] = [];
  private waiters: Array<{ match: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }> = [];
  stderr = '';

  constructor(readonly child: ChildProcess, readonly connection: ProtocolConnection) {
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      const list = this.diagnostics.get(params.uri) ?? [];
      list.push(params);
      this.diagnostics.set(params.uri, list);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(params)) return true;
        w.resolve(params);
        return false;
      });
    });
  }

  /** The first diagnostics published for `uri` (at `version`, when given) from now on, or already received. */
  waitForDiagnostics(uri: string, version?: number, timeoutMs = 10000): Promise<PublishDiagnosticsParams> {
    const match = (p: PublishDiagnosticsParams) => p.uri === uri && (version === undefined || p.version === version);
    const seen = (this.diagnostics.get(uri) ?? []).find(match);
    if (seen && version !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri}${version !== undefined ? ` v${version}` : ''} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification('exit');
    } catch {
      // The process may be gone already.
    }
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      const timer = setTimeout(() => { this.child.kill('SIGKILL'); }, 2000);
      this.child.once('exit', () => { clearTimeout(timer); resolve(); });
    });
    this.connection.dispose();
  }
}

export async function startServer(options: ServerOptions = {}): Promise<{ client: PolicyServerClient; initialized: InitializeResult }> {
  ensureBuilt();
  let child: ChildProcess;
  let connection: ProtocolConnection;
  if (options.transport === 'ipc') {
    child = fork(SERVER, ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  } else {
    child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  }
  const client = new PolicyServerClient(child, connection);
  child.stderr?.on('data', (chunk) => { client.stderr += String(chunk); });
  connection.onRequest(RegistrationRequest.type, () => null);
  for (const method of ['workspace/codeLens/refresh', 'workspace/inlayHint/refresh']) {
    connection.onRequest(method, () => { client.refreshes.push(method); return null; });
  }
  connection.onRequest(ConfigurationRequest.type, (params) => params.items.map((item) => (item.section === 'kt' ? options.configuration?.() ?? null : null)));
  connection.listen();
  const initialized = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: {
      workspace: {
        configuration: options.configuration !== undefined,
        didChangeConfiguration: { dynamicRegistration: true },
        ...(options.liveRefresh ? { codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true } } : {}),
      },
      textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } },
    },
    initializationOptions: options.initializationOptions,
  });
  await connection.sendNotification('initialized', {});
  return { client, initialized };
}
