// `kt audit verify`: exit 0 when the event log's hash chain holds, 1 naming the first bad record.
import { verifyAuditChain } from '../events/audit';
import { headFileName } from '../events/chain-head';
import { resolveStateDir } from '../state-dir';
import { isUsageError, parseCommandArgs, processIO, reportUsage, stringOption, type CliIO } from './args';

const HELP = `Usage: kt audit verify [--state-dir DIR] [--config FILE]

Checks the decision event log's hash chain (written when policy.audit-logger.immutable is true).
Exit 0 with a summary when every record is intact and in order; exit 1 naming the first
edited, removed, reordered or truncated record (file, line, event id). Records cut off the
end of the newest file are found through the chain head (events/chain-head.log).

Options:
  --state-dir DIR     State folder the gateway writes to (default: .kt/ beside --config, else ./.kt)
  --config FILE       policy-config.yaml whose .kt/ folder to use
  -h, --help          Show this help
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP);
    return 0;
  }
  if (command !== 'verify') {
    io.err(command === undefined ? HELP : `kt audit: unknown command '${command}'. Run 'kt audit --help' for usage.\n`);
    return 2;
  }
  const args = parseCommandArgs('kt audit verify', rest, { 'state-dir': { type: 'string' }, config: { type: 'string' } });
  if (isUsageError(args)) return reportUsage(io, args);
  if (args.values.help) {
    io.out(HELP);
    return 0;
  }
  const stateDir = resolveStateDir({ stateDir: stringOption(args.values, 'state-dir'), config: stringOption(args.values, 'config'), cwd: io.cwd, create: false });
  const result = verifyAuditChain(stateDir);
  if (!result.ok) {
    io.err(`kt audit verify: FAILED: ${result.message}\n`);
    return 1;
  }
  const span = result.files.length === 1 ? result.files[0] : `${result.files[0]} … ${result.files[result.files.length - 1]}`;
  const unchained = result.unchained ? ` (${result.unchained} older records predate the chain and are not covered)` : '';
  const missingHeads = result.replicas.filter((r) => !r.headChecked).map((r) => headFileName(r.replica));
  const head = missingHeads.length ? ` No ${missingHeads.join(', ')} beside the events (written by gateways before it was kept): records cut off the end of the newest file would not show.` : '';
  if (result.replicas.length > 1) {
    io.out(`Audit chains intact: ${result.records} records over ${result.replicas.length} replicas${unchained}.${head}\n`);
    for (const r of result.replicas) io.out(`  ${r.replica ?? '(unnamed)'}: ${r.records} records in ${r.files.length} file(s), last ${r.lastId}\n`);
    return 0;
  }
  io.out(`Audit chain intact: ${result.records} records in ${result.files.length} file(s) (${span}), last ${result.lastId}${unchained}.${head}\n`);
  return 0;
}
