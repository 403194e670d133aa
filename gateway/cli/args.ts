// Shared argv parsing for every `kt` command, over node:util parseArgs. Usage mistakes become
// values ({ exitCode: 2, message }) that the command prints on one line, never a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../policy/text';

export interface UsageError { exitCode: 2; message: string }

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Where a command writes and what it reads from its surroundings; tests pass their own. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted to stop long-running commands (`--follow`); defaults to Ctrl-C. */
  signal?: AbortSignal;
}

let pipeGuarded = false;

export function processIO(): CliIO {
  if (!pipeGuarded) {
    pipeGuarded = true;
    // `kt events tail | head` closes the pipe early: that is the reader being done, not an error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

export function isUsageError(value: unknown): value is UsageError {
  return typeof value === 'object' && value !== null && (value as UsageError).exitCode === 2 && typeof (value as UsageError).message === 'string';
}

export function usageError(command: string, problem: string): UsageError {
  return { exitCode: 2, message: `${command}: ${problem}. Run '${command} --help' for usage.` };
}

/**
 * Parses argv for `command` (e.g. 'kt events tail'). `--help`/`-h` is always accepted.
 * `maxPositionals` bounds the positional arguments (default none).
 */
export function parseCommandArgs(command: string, argv: readonly string[], options: OptionSpec, maxPositionals = 0): ParsedArgs | UsageError {
  const all: OptionSpec = { help: { type: 'boolean', short: 'h' }, ...options };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: all, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(command, describeParseError(error as Error & { code?: string }, Object.keys(all)));
  }
  const values = parsed.values as ParsedArgs['values'];
  if (!values.help && parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals];
    return usageError(command, `unexpected argument '${extra}'`);
  }
  return { values, positionals: parsed.positionals };
}

function describeParseError(error: Error & { code?: string }, known: string[]): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const flag = quoted.replace(/^-+/, '').split('=')[0];
      const guess = closest(flag, known);
      return `unknown option '${quoted}'${guess ? ` (did you mean --${guess}?)` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument is ambiguous/.test(error.message)) {
        const flag = quoted.split(' ')[0];
        return `option '${flag}' needs a value; for a value starting with '-', write ${flag}=VALUE`;
      }
      return /argument missing/.test(error.message)
        ? `option '${quoted.split(' ')[0]}' needs a value`
        : `option '${quoted.split(' ')[0]}' takes no value`;
    default:
      return error.message.split('\n')[0].replace(/\.$/, '');
  }
}

export function stringOption(values: ParsedArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: ParsedArgs['values'], name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** A whole number within bounds, or a usage error naming the flag. */
export function intOption(command: string, values: ParsedArgs['values'], name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number | UsageError {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  const number = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || number < min || number > max) {
    return usageError(command, `--${name} must be a whole number from ${min} to ${max}, got '${text}'`);
  }
  return number;
}

export function choiceOption<T extends string>(command: string, values: ParsedArgs['values'], name: string, choices: readonly T[], fallback: T): T | UsageError {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  if ((choices as readonly string[]).includes(text)) return text as T;
  return usageError(command, `--${name} must be one of ${choices.join(', ')}, got '${text}'`);
}

/** Prints a usage error to stderr and returns its exit code. */
export function reportUsage(io: CliIO, error: UsageError): number {
  io.err(`${error.message}\n`);
  return error.exitCode;
}
