// Facts the extension needs from policy files without the editor: which env vars hold provider keys,
// and the `kt policy lint --format json` report turned into plain diagnostics.
import { parseDocument } from 'yaml';
import type { Range, Severity } from '../../gateway/policy/types';

/** Every `secret_key_ref.env` name in a policy config, in file order, without duplicates. */
export function keyEnvNames(yamlText: string): string[] {
  const doc = parseDocument(yamlText);
  const names: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'secret_key_ref' && value && typeof value === 'object') {
        const env = (value as { env?: unknown }).env;
        if (typeof env === 'string' && env.trim() && !names.includes(env.trim())) names.push(env.trim());
      }
      visit(value);
    }
  };
  visit(doc.toJS());
  return names;
}

/**
 * The provider keys a gateway start passes in its environment: each `secret_key_ref.env` of the config
 * whose value the store (VS Code's SecretStorage) holds. A config that does not parse gives none; the
 * gateway's own start-up lint reports it.
 */
export async function providerKeyEnv(configText: string, lookup: (envName: string) => Promise<string | undefined>): Promise<Record<string, string>> {
  let names: string[] = [];
  try {
    names = keyEnvNames(configText);
  } catch {
    return {};
  }
  const env: Record<string, string> = {};
  for (const name of names) {
    const value = await lookup(name);
    if (value) env[name] = value;
  }
  return env;
}

/** Env var names are passed to a process environment: keep to the portable shape. */
export function isValidEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

export interface LintDiagnostic {
  code: string;
  severity: Severity;
  message: string;
  range: Range;
}

export interface LintReport {
  file: string;
  diagnostics: LintDiagnostic[];
  errorCount: number;
  warningCount: number;
}

/** Reads the JSON printed by `kt policy lint --format json`; throws with a readable message otherwise. */
export function parseLintReport(stdout: string): LintReport {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    const first = stdout.trim().split('\n')[0] ?? '';
    throw new Error(`kt policy lint did not print JSON${first ? `: ${first.slice(0, 200)}` : ' (no output)'}`);
  }
  // One file gives one report; accept a one-element array too.
  const report = (Array.isArray(value) ? value[0] : value) as Partial<LintReport> | undefined;
  if (!report || !Array.isArray(report.diagnostics)) throw new Error('kt policy lint printed JSON without a "diagnostics" list');
  const diagnostics = report.diagnostics.filter(
    (d): d is LintDiagnostic => !!d && typeof d.message === 'string' && !!d.range?.start && !!d.range?.end,
  );
  return {
    file: String(report.file ?? ''),
    diagnostics,
    errorCount: Number(report.errorCount ?? diagnostics.filter((d) => d.severity === 'error').length),
    warningCount: Number(report.warningCount ?? diagnostics.filter((d) => d.severity === 'warning').length),
  };
}
