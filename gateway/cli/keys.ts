// `kt keys create|list|revoke`: gateway keys, stored as hashes in <state>/keys.json.
import { KeyStore, type KeyRecord } from '../keys/key-store';
import { renderTable, type Column } from '../events/table';
import { resolveStateDir } from '../state-dir';
import {
  choiceOption, isUsageError, parseCommandArgs, processIO, reportUsage, stringOption, usageError, type CliIO, type OptionSpec, type ParsedArgs,
} from './args';

const HELP = `Usage: kt keys <command> [options]

Gateway keys: clients send them as 'Authorization: Bearer kt_gk_…'. Only a hash is stored.

Commands:
  create --name NAME [--groups g1,g2] [--admin]   Create a key and print it once
  list [--output table|json]                      List keys (names, prefixes, scopes; never secrets)
  revoke NAME                                     Revoke a key; requests with it get 401

Every command takes --state-dir DIR (default: .kt/ beside --config FILE, else ./.kt), the folder
'kt gateway start' uses. Run 'kt keys <command> --help' for details.
`;

const CREATE_HELP = `Usage: kt keys create --name NAME [--groups g1,g2] [--admin] [--state-dir DIR]

Creates a gateway key and prints it once on stdout (the hints go to stderr, so
KEY=$(kt keys create --name ci) captures just the key). Only its sha256 is kept.

Options:
  --name NAME         Unique name; recorded as key_id in decision events
  --groups g1,g2      Model groups (or direct model names) the key may use; default all
  --admin             May also read the events API (/kt/v1/events)
  --write-dev-key     Also store it in <state>/dev-key (owner-only), where the VS Code extension and
                      'kt events --gateway' look for a key: this is how to rotate the dev key
  --state-dir DIR     State folder (default: .kt/ beside --config FILE, else ./.kt)
  --config FILE       policy-config.yaml whose .kt/ folder to use
  -h, --help          Show this help
`;

const LIST_HELP = `Usage: kt keys list [--output table|json] [--state-dir DIR]

Lists keys by name with their display prefix, groups, admin scope, creation and revocation
times. Secrets are never stored, so they cannot be listed.
`;

const REVOKE_HELP = `Usage: kt keys revoke NAME [--state-dir DIR]

Revokes the key named NAME. A running gateway notices within its next request.
To rotate the development key:
  kt keys revoke dev && kt keys create --name dev-2 --admin --write-dev-key
`;

const STATE_OPTIONS: OptionSpec = { 'state-dir': { type: 'string' }, config: { type: 'string' } };

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP);
    return 0;
  }
  try {
    if (command === 'create') return create(rest, io);
    if (command === 'list') return list(rest, io);
    if (command === 'revoke') return revoke(rest, io);
  } catch (error) {
    // A hand-edited keys.json: the store's message says what to do.
    io.err(`kt keys ${command}: ${(error as Error).message}\n`);
    return 1;
  }
  io.err(command === undefined ? HELP : `kt keys: unknown command '${command}'. Run 'kt keys --help' for usage.\n`);
  return 2;
}

function storeFor(values: ParsedArgs['values'], io: CliIO, create: boolean): KeyStore {
  const stateDir = resolveStateDir({ stateDir: stringOption(values, 'state-dir'), config: stringOption(values, 'config'), cwd: io.cwd, create });
  return new KeyStore(stateDir);
}

function create(argv: string[], io: CliIO): number {
  const command = 'kt keys create';
  const args = parseCommandArgs(command, argv, {
    ...STATE_OPTIONS,
    name: { type: 'string' },
    groups: { type: 'string' },
    admin: { type: 'boolean' },
    'write-dev-key': { type: 'boolean' },
  });
  if (isUsageError(args)) return reportUsage(io, args);
  if (args.values.help) {
    io.out(CREATE_HELP);
    return 0;
  }
  const name = stringOption(args.values, 'name');
  if (!name) return reportUsage(io, usageError(command, '--name NAME is required'));
  const groups = (stringOption(args.values, 'groups') ?? '').split(',').map((group) => group.trim()).filter(Boolean);
  const store = storeFor(args.values, io, true);
  const result = store.create({ name, groups, admin: args.values.admin === true });
  if ('error' in result) {
    io.err(`${command}: ${result.error}\n`);
    return 1;
  }
  if (args.values['write-dev-key']) store.writeDevKey(result.key);
  io.out(`${result.key}\n`);
  io.err(
    `Created key '${name}' (${describeScope(result.record)}) in ${store.path}${args.values['write-dev-key'] ? ` and ${store.devKeyPath}` : ''}.\n` +
      `This is the only time it is shown: store it now. Clients send it as 'Authorization: Bearer <key>'; kt reads $KT_GATEWAY_KEY.\n`,
  );
  return 0;
}

function list(argv: string[], io: CliIO): number {
  const command = 'kt keys list';
  const args = parseCommandArgs(command, argv, { ...STATE_OPTIONS, output: { type: 'string' } });
  if (isUsageError(args)) return reportUsage(io, args);
  if (args.values.help) {
    io.out(LIST_HELP);
    return 0;
  }
  const output = choiceOption(command, args.values, 'output', ['table', 'json'] as const, 'table');
  if (isUsageError(output)) return reportUsage(io, output);
  const store = storeFor(args.values, io, false);
  // The hash is not secret, but it is no use to a reader either.
  const keys = store.list().map(({ hash: _hash, ...visible }) => visible);
  if (output === 'json') io.out(`${JSON.stringify(keys, null, 2)}\n`);
  else if (keys.length === 0) io.out(`No keys in ${store.path}. Create one with 'kt keys create --name NAME', or start the gateway to get a dev key.\n`);
  else io.out(renderTable(KEY_COLUMNS, keys));
  return 0;
}

function revoke(argv: string[], io: CliIO): number {
  const command = 'kt keys revoke';
  const args = parseCommandArgs(command, argv, { ...STATE_OPTIONS, name: { type: 'string' } }, 1);
  if (isUsageError(args)) return reportUsage(io, args);
  if (args.values.help) {
    io.out(REVOKE_HELP);
    return 0;
  }
  const name = args.positionals[0] ?? stringOption(args.values, 'name');
  if (!name) return reportUsage(io, usageError(command, 'say which key: kt keys revoke NAME'));
  const store = storeFor(args.values, io, false);
  const before = store.list().find((record) => record.name === name)?.revoked;
  const result = store.revoke(name);
  if ('error' in result) {
    io.err(`${command}: ${result.error}\n`);
    return 1;
  }
  io.out(before ? `Key '${name}' was already revoked on ${before}.\n` : `Revoked key '${name}' (${result.prefix}…). Requests using it now get 401.\n`);
  return 0;
}

function describeScope(record: Pick<KeyRecord, 'groups' | 'admin'>): string {
  return `${record.groups.length ? `groups: ${record.groups.join(', ')}` : 'all groups'}${record.admin ? ', admin' : ''}`;
}

type VisibleKey = Omit<KeyRecord, 'hash'>;
const KEY_COLUMNS: Column<VisibleKey>[] = [
  { header: 'NAME', value: (k) => k.name },
  { header: 'PREFIX', value: (k) => `${k.prefix}…` },
  { header: 'GROUPS', value: (k) => (k.groups.length ? k.groups.join(',') : '(all)') },
  { header: 'ADMIN', value: (k) => (k.admin ? 'yes' : 'no') },
  { header: 'CREATED', value: (k) => k.created.slice(0, 19).replace('T', ' ') },
  { header: 'STATUS', value: (k) => (k.revoked ? `revoked ${k.revoked.slice(0, 10)}` : 'active') },
];
