// `kt policy lint`: the policy model's diagnostics for a file, as text for people or JSON for tools.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyzePolicy, type PolicyAnalysis } from '../policy/analyze';
import type { PolicyDiagnostic } from '../policy/types';
import { loadDotEnv } from '../policy/dotenv';
import { dirname, resolve } from 'node:path';

export const LINT_HELP = `Usage: kt policy lint --file FILE [--format text|json] [--strict] [--check-env]

Checks a policy-config.yaml: YAML syntax, the schema and the routing rules (KT001–KT116).

Options:
  --file FILE      the config to check; "-" reads standard input
  --format FORMAT  text (default) or json (LSP-style 0-based ranges)
  --strict         exit 1 on warnings too
  --check-env      warn when a secret_key_ref.env variable is not set (also reads .env beside the file)
  -h, --help       show this help

Exit status: 0 no errors, 1 errors (or warnings with --strict), 2 usage error or unreadable file.`;

export interface LintReport {
  file: string;
  diagnostics: Array<Pick<PolicyDiagnostic, 'code' | 'severity' | 'message' | 'range' | 'related' | 'fixes'>>;
  errorCount: number;
  warningCount: number;
}

export function lintReport(file: string, analysis: PolicyAnalysis): LintReport {
  return {
    file,
    diagnostics: analysis.diagnostics.map(({ code, severity, message, range, related, fixes }) => ({ code, severity, message, range, related, fixes })),
    errorCount: analysis.errorCount,
    warningCount: analysis.warningCount,
  };
}

export function formatText(file: string, diagnostics: readonly PolicyDiagnostic[], errorCount: number, warningCount: number): string {
  const lines = diagnostics.map((d) => `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code} ${d.message}`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(errorCount + warningCount === 0 ? `${file}: no problems found` : `${file}: ${plural(errorCount, 'error')}, ${plural(warningCount, 'warning')}`);
  return lines.join('\n');
}

export class UsageError extends Error {}

export async function runLint(argv: string[], io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let values: { file?: string; format?: string; strict?: boolean; 'check-env'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f' },
        format: { type: 'string', default: 'text' },
        strict: { type: 'boolean', default: false },
        'check-env': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`kt policy lint: ${(error as Error).message}. Run "kt policy lint --help" for usage.\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${LINT_HELP}\n`);
    return 0;
  }
  if (!values.file) {
    io.stderr.write('kt policy lint: missing --file FILE (use "--file -" for standard input). Run "kt policy lint --help" for usage.\n');
    return 2;
  }
  if (values.format !== 'text' && values.format !== 'json') {
    io.stderr.write(`kt policy lint: unknown --format "${values.format}"; use text or json.\n`);
    return 2;
  }
  const file = values.file;
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code ?? 'unreadable';
    io.stderr.write(`kt policy lint: cannot read ${file}: ${why}.\n`);
    return 2;
  }
  const env = values['check-env'] && file !== '-' ? { ...loadDotEnv(resolve(dirname(file), '.env')), ...process.env } : process.env;
  // A reader that stops early (`kt policy lint … | head`) closes the pipe: not worth a stack trace.
  io.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') io.stderr.write(`kt policy lint: cannot write the report: ${error.message}.\n`);
  });
  const analysis = analyzePolicy(text, { checkEnv: values['check-env'], env });
  const shown = file === '-' ? '<stdin>' : file;
  if (values.format === 'json') io.stdout.write(`${JSON.stringify(lintReport(shown, analysis), null, 2)}\n`);
  else io.stdout.write(`${formatText(shown, analysis.diagnostics, analysis.errorCount, analysis.warningCount)}\n`);
  return analysis.errorCount > 0 || (values.strict && analysis.warningCount > 0) ? 1 : 0;
}
