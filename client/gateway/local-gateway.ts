// Runs `kt gateway start` as a child process: waits until it is ready, restarts it with backoff when it
// crashes (a bounded number of times), and stops it cleanly. No editor API here, so tests drive it directly.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { GatewayStatus, type GatewayState } from './gateway-state';
import { redactSecrets } from './redact';

export interface GatewayLaunch {
  /** Executable that runs the script: the editor's own runtime (with ELECTRON_RUN_AS_NODE=1) or node. */
  runtime: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  host: string;
  port: number;
}

export interface GatewayArgs {
  ktScript: string;
  configPath: string;
  host: string;
  port: number;
  stateDir: string;
  ollamaFallbackModel?: string;
}

/** The command line of `kt gateway start` as the CLI documents it. */
export function gatewayArgs(a: GatewayArgs): string[] {
  const args = [a.ktScript, 'gateway', 'start', '--config', a.configPath, '--host', a.host, '--port', String(a.port), '--state-dir', a.stateDir];
  if (a.ollamaFallbackModel) args.push('--ollama-fallback', a.ollamaFallbackModel);
  return args;
}

export interface LocalGatewayOptions {
  /** Receives every output line of the gateway, already redacted, and the manager's own notes. */
  log: (line: string) => void;
  /** Removes secrets from a line before it is logged or shown; gateway keys are masked by default. */
  redact?: (line: string) => string;
  readyTimeoutMs?: number;
  maxRestarts?: number;
  restartWindowMs?: number;
  /** Delay before the n-th restart (0-based) within the window. */
  backoffMs?: (n: number) => number;
  stopTimeoutMs?: number;
}

const LISTENING = /listening on (https?:\/\/\S+)/;

export class LocalGateway {
  readonly status = new GatewayStatus();
  private child: ChildProcess | undefined;
  private launch: GatewayLaunch | undefined;
  private restartTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly opts: Required<LocalGatewayOptions>;

  constructor(options: LocalGatewayOptions) {
    this.opts = {
      redact: (line) => redactSecrets(line, []),
      readyTimeoutMs: 30_000,
      maxRestarts: 3,
      restartWindowMs: 60_000,
      backoffMs: (n) => 500 * 2 ** n,
      stopTimeoutMs: 5_000,
      ...options,
    };
  }

  get state(): GatewayState {
    return this.status.state;
  }

  /** Process id of the running gateway, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the gateway and resolves once it answers /healthz, or with the error state. */
  async start(launch: GatewayLaunch): Promise<GatewayState> {
    const kind = this.state.kind;
    if (kind === 'running' || kind === 'starting') return this.state;
    this.launch = launch;
    this.restartTimes = [];
    this.stopping = false;
    return this.spawnUntilReady();
  }

  async restart(launch?: GatewayLaunch): Promise<GatewayState> {
    const next = launch ?? this.launch;
    await this.stop();
    if (!next) return this.state;
    return this.start(next);
  }

  /** SIGTERM, then SIGKILL if it does not exit in time. Resolves once the process is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
    this.child = undefined;
    // An explicit stop also clears an error: the user has seen it and wants a clean slate.
    if (this.state.kind !== 'stopped') this.status.set({ kind: 'stopped' });
  }

  private note(line: string): void {
    this.opts.log(`[kt] ${line}`);
  }

  private async spawnUntilReady(): Promise<GatewayState> {
    const launch = this.launch!;
    this.status.set({ kind: 'starting', port: launch.port });
    this.note(`starting gateway on ${launch.host}:${launch.port}`);
    const child = spawn(launch.runtime, launch.args, { cwd: launch.cwd, env: launch.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const recent: string[] = [];
    let announced: ((url: string) => void) | undefined;
    const urlAnnounced = new Promise<string>((resolve) => (announced = resolve));
    const onLine = (raw: string) => {
      const line = this.opts.redact(raw);
      recent.push(line);
      if (recent.length > 20) recent.shift();
      this.opts.log(line);
      const m = LISTENING.exec(raw);
      if (m) announced?.(m[1]!);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);

    type Outcome = { ok: true; url: string } | { ok: false; message: string };
    const exitedEarly = new Promise<Outcome>((resolve) => {
      child.once('error', (err) => resolve({ ok: false, message: `could not run ${launch.runtime}: ${err.message}` }));
      child.once('exit', (code, signal) => {
        // Let readline flush the last lines before we quote them.
        setImmediate(() => {
          const tail = recent.filter((l) => l.trim() && !l.startsWith('[kt]')).slice(-3).join(' | ');
          const how = code !== null ? `code ${code}` : `signal ${signal}`;
          resolve({ ok: false, message: `the gateway exited with ${how} before it was ready${tail ? `: ${tail}` : ''}` });
        });
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Outcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, message: `the gateway was not ready within ${Math.round(this.opts.readyTimeoutMs / 1000)} s (no "listening on" line or /healthz answer)` }),
        this.opts.readyTimeoutMs,
      );
    });
    const healthy = urlAnnounced.then(async (url): Promise<Outcome> => {
      await waitForHealthz(url, () => child.exitCode !== null || child.signalCode !== null);
      return { ok: true, url };
    });
    const outcome = await Promise.race([healthy, exitedEarly, timedOut]);
    clearTimeout(timer);

    if (this.stopping || this.child !== child) {
      return this.state;
    }
    if (!outcome.ok) {
      if (child.exitCode === null && child.signalCode === null) {
        // Wait for it to be gone, so a retry does not find the port still taken.
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
      this.child = undefined;
      this.note(outcome.message);
      this.status.set({ kind: 'error', message: outcome.message });
      return this.state;
    }
    const port = Number(new URL(outcome.url).port) || launch.port;
    const url = outcome.url.replace(/\/$/, '');
    this.note(`gateway ready at ${url}`);
    this.status.set({ kind: 'running', port, url });
    child.once('exit', (code, signal) => this.onExitWhileRunning(child, code, signal));
    return this.state;
  }

  private onExitWhileRunning(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || this.child !== child) return;
    this.child = undefined;
    const how = code !== null ? `code ${code}` : `signal ${signal}`;
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < this.opts.restartWindowMs);
    if (this.restartTimes.length >= this.opts.maxRestarts) {
      const message = `the gateway crashed ${this.restartTimes.length + 1} times within ${Math.round(this.opts.restartWindowMs / 1000)} s (last exit: ${how}); not restarting`;
      this.note(message);
      this.status.set({ kind: 'error', message });
      return;
    }
    const delay = this.opts.backoffMs(this.restartTimes.length);
    this.restartTimes.push(now);
    this.note(`gateway exited with ${how}; restarting in ${delay} ms (restart ${this.restartTimes.length} of ${this.opts.maxRestarts} per ${Math.round(this.opts.restartWindowMs / 1000)} s)`);
    this.status.set({ kind: 'starting', port: this.launch!.port });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) void this.spawnUntilReady();
    }, delay);
  }
}

/** Polls GET /healthz until it answers 200, or until `gaveUp()` says the process is gone. */
async function waitForHealthz(baseUrl: string, gaveUp: () => boolean): Promise<void> {
  const url = `${baseUrl.replace(/\/$/, '')}/healthz`;
  for (;;) {
    if (gaveUp()) return new Promise(() => {}); // the exit branch of the race answers instead
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not accepting connections yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
