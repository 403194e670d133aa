// `kt`: the command-line edge over the policy model, the gateway and the event log.
import { runLint } from './lint';

const VERSION = '0.1.0';

export const HELP = `kt ${VERSION} — local multi-model LLM routing

Usage: kt <command> [options]

Commands:
  policy lint --file FILE        check a policy-config.yaml (KT001–KT116)
  gateway start --config FILE    run the OpenAI-compatible routing gateway
  route explain --config FILE    what the gateway would do with a request, without sending it
  events tail | stats            query decision events
  keys create | list | revoke    manage gateway keys
  audit verify                   check the audit log's hash chain

Run "kt <command> --help" for a command's options.`;

type Command = (argv: string[]) => Promise<number>;

// Each entry loads its module on demand so `kt policy lint` does not pay for the gateway's start-up.
const COMMANDS: Record<string, Record<string, Command> | Command> = {
  policy: { lint: (argv) => runLint(argv) },
  gateway: { start: async (argv) => (await import('./gateway-start')).run(argv) },
  route: { explain: async (argv) => (await import('./route')).run(argv) },
  events: async (argv) => (await import('./events')).run(argv),
  keys: async (argv) => (await import('./keys')).run(argv),
  audit: async (argv) => (await import('./audit')).run(argv),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`kt: unknown command "${name}". Run "kt --help" for the list of commands.\n`);
    return 2;
  }
  if (typeof entry === 'function') return entry(rest);
  const [sub, ...subArgs] = rest;
  const command = sub ? entry[sub] : undefined;
  if (!command) {
    if (sub === '--help' || sub === '-h') {
      process.stdout.write(`Usage: kt ${name} <${Object.keys(entry).join('|')}> [options]\n`);
      return 0;
    }
    process.stderr.write(`kt ${name}: ${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'}; use one of: ${Object.keys(entry).join(', ')}.\n`);
    return 2;
  }
  return command(subArgs);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // Last resort: a one-line message, never a stack trace.
      process.stderr.write(`kt: ${(error as Error)?.message ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
