// The built `kt gateway start` in a child process, as users run it; resolves once it prints its URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const KT = join(__dirname, '../../dist/kt.js');

export interface GatewayProcess { child: ChildProcess; url: string; output: () => string }

export function startGatewayProcess(args: string[], env: NodeJS.ProcessEnv = {}, startTimeoutMs = 15_000): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [KT, 'gateway', 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), startTimeoutMs);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => output });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${output}`));
    });
  });
}
