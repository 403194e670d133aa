// Runs `kt policy lint --format json` on one file with the given runtime and reads its report.
import { execFile } from 'node:child_process';
import { parseLintReport, type LintReport } from './policy-files';

export interface KtRuntime {
  /** node, or the editor's executable with ELECTRON_RUN_AS_NODE=1 in env. */
  runtime: string;
  ktScript: string;
  env: NodeJS.ProcessEnv;
}

export function runPolicyLint(kt: KtRuntime, file: string, timeoutMs = 20_000): Promise<LintReport> {
  return new Promise((resolve, reject) => {
    execFile(
      kt.runtime,
      [kt.ktScript, 'policy', 'lint', '--file', file, '--format', 'json'],
      { env: kt.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, windowsHide: true },
      (err, stdout, stderr) => {
        // Exit 1 only means "errors found"; the report is on stdout either way.
        try {
          resolve(parseLintReport(stdout));
        } catch (parseErr) {
          const detail = stderr.trim().split('\n').slice(0, 3).join(' | ');
          reject(new Error(`${(parseErr as Error).message}${detail ? ` (stderr: ${detail})` : ''}${err && !stdout ? ` [${err.message.split('\n')[0]}]` : ''}`));
        }
      },
    );
  });
}
