// Where the gateway and every `kt` command keep events, keys and the dev key: one folder, owner-only.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface StateDirOptions {
  /** Explicit `--state-dir`. */
  stateDir?: string;
  /** Path of policy-config.yaml: the state dir defaults to `.kt/` beside it. */
  config?: string;
  cwd?: string;
  /** Create the folder (mode 0700) when missing; read-only commands pass false. */
  create?: boolean;
}

export function resolveStateDir(options: StateDirOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const dir = options.stateDir
    ? resolve(cwd, options.stateDir)
    : options.config
      ? join(dirname(resolve(cwd, options.config)), '.kt')
      : join(cwd, '.kt');
  // mkdir's mode only applies to folders it creates, so an existing folder's mode is left as the user set it.
  if (options.create !== false) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
