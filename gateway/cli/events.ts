// `kt events tail|stats`: read decision events from the state dir or a running gateway.
import { existsSync, readFileSync } from 'node:fs';
import type { DecisionEvent } from '../events/decision-event';
import { eventsDir } from '../events/day-files';
import { EventLog } from '../events/event-log';
import { isFilterError, matchesFilters, parseFilters, type EventFilter } from '../events/filter';
import { followEventLog, type LiveFeed } from '../events/follow';
import { fetchEvents, openEventStream, type GatewayTarget } from '../events/gateway-client';
import { MIN_ARM_REQUESTS, STATS_DIMENSIONS, compareArms, computeStats } from '../events/stats';
import { COMPARISON_COLUMNS, EVENT_COLUMNS, EVENT_COLUMN_MINIMUMS, columnWidths, renderHeader, renderRow, renderTable, statsColumns } from '../events/table';
import { resolveStateDir } from '../state-dir';
import {
  choiceOption, intOption, isUsageError, listOption, parseCommandArgs, processIO, reportUsage, stringOption, usageError,
  type CliIO, type OptionSpec, type ParsedArgs, type UsageError,
} from './args';

const MAX_LIMIT = 10_000;

const HELP = `Usage: kt events <command> [options]

Read the decision events the gateway records for every request.

Commands:
  tail     List the newest events (or follow new ones live)
  stats    Per-tag, per-model or per-provider latency, tokens, block/error/fallback rates and cost

Run 'kt events <command> --help' for the options of each.
`;

const SOURCE_HELP = `Where events come from (default: the state dir):
  --state-dir DIR     State folder the gateway writes to (default: .kt/ beside --config, else ./.kt)
  --config FILE       policy-config.yaml whose .kt/ folder to use
  --gateway URL       Ask a running gateway instead (e.g. http://127.0.0.1:41002)
  --key KEY           Admin gateway key for --gateway; default $KT_GATEWAY_KEY, else <state>/dev-key
                      (prefer the variable: a key on the command line shows up in 'ps')`;

const TAIL_HELP = `Usage: kt events tail [options]

List the newest decision events: which model served each request, after how many fallbacks,
how fast and for how much.

Options:
  --filter K=V        Keep events whose field K equals V; repeatable (all must hold). Fields are event
                      paths: model, resolved_model, tag, decision, provider, key_id, tokens.total,
                      attempts.provider, … 'model=' matches the requested model or its model group.
                      Also K!=V, and K>N, K<N, K>=N, K<=N for numbers (e.g. "latency_ms>1000").
  --limit N           How many events (default 20, at most ${MAX_LIMIT})
  --output json|table json: one JSON array, newest first, for jq; table (default): aligned columns,
                      oldest at the top like tail(1)
  --follow, -f        Keep running and print new events as they happen (Ctrl-C stops). With
                      --output json, prints one JSON object per line (JSON Lines), oldest first
${SOURCE_HELP}
  -h, --help          Show this help

Examples:
  kt events tail --filter "model=reliable-chat" --limit 5 --output json | \\
    jq '.[] | {actual_model: .resolved_model, fallbacks: .fallback_count}'
  kt events tail --follow --filter decision=blocked
`;

const STATS_HELP = `Usage: kt events stats [options]

Per bucket: count, p50/p95 latency, average tokens, block rate, error rate, fallback rate (share of
requests that needed a fallback) and total actual cost: the guide's A/B comparison in one command.
With --by tag, each arm is also compared with the baseline ("control", else the largest arm): the
difference in mean latency and cost per allowed request with its 95% confidence interval (Welch's t),
or "too few requests to tell" while an arm has fewer than ${MIN_ARM_REQUESTS}.

Options:
  --by tag|model|resolved_model|provider|api
                      Bucket by this field (default model: the model group, else the requested model;
                      api: the route a request came in on, chat, messages or responses)
  --filter K=V        Only these events; same syntax as 'kt events tail --help'; repeatable
  --limit N           Look at the newest N events (default ${MAX_LIMIT}, at most ${MAX_LIMIT})
  --output json|table json: {"by", "events", "buckets": [...]} (and "comparisons" with --by tag),
                      rates in percent; table (default)
${SOURCE_HELP}
  -h, --help          Show this help

Example:
  kt events stats --by tag --filter model=chat-experiment
`;

const SOURCE_OPTIONS: OptionSpec = {
  'state-dir': { type: 'string' },
  config: { type: 'string' },
  gateway: { type: 'string' },
  key: { type: 'string' },
};

type EventsSource =
  | { kind: 'log'; log: EventLog; stateDir: string }
  | { kind: 'gateway'; target: GatewayTarget };

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP);
    return 0;
  }
  if (command === 'tail') return tail(rest, io);
  if (command === 'stats') return stats(rest, io);
  io.err(command === undefined ? HELP : `kt events: unknown command '${command}'. Run 'kt events --help' for usage.\n`);
  return 2;
}

async function tail(argv: string[], io: CliIO): Promise<number> {
  const command = 'kt events tail';
  const args = parseCommandArgs(command, argv, {
    ...SOURCE_OPTIONS,
    filter: { type: 'string', multiple: true },
    limit: { type: 'string' },
    output: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
  });
  if (isUsageError(args)) return reportUsage(io, args);
  if (args.values.help) {
    io.out(TAIL_HELP);
    return 0;
  }
  const limit = intOption(command, args.values, 'limit', 20, 1, MAX_LIMIT);
  const output = choiceOption(command, args.values, 'output', ['table', 'json'] as const, 'table');
  const filterTexts = listOption(args.values, 'filter');
  const filters = parseFilters(filterTexts);
  const source = resolveSource(command, args.values, io);
  for (const value of [limit, output, source]) if (isUsageError(value)) return reportUsage(io, value);
  if (isFilterError(filters)) return reportUsage(io, usageError(command, filters.error));
  const options = { limit: limit as number, output: output as 'table' | 'json', filters, filterTexts };
  if (args.values.follow) return follow(command, source as EventsSource, options, io);

  const events = await query(source as EventsSource, filterTexts, filters, options.limit);
  if ('error' in events) return fail(io, command, events.error);
  if (options.output === 'json') io.out(`${JSON.stringify(events, null, 2)}\n`);
  else if (events.length === 0) io.out(`${nothingFound(source as EventsSource, filterTexts)}\n`);
  else io.out(renderTable(EVENT_COLUMNS, [...events].reverse()));
  return 0;
}

async function follow(
  command: string,
  source: EventsSource,
  options: { limit: number; output: 'table' | 'json'; filters: EventFilter[]; filterTexts: string[] },
  io: CliIO,
): Promise<number> {
  // Start listening before the first query, so nothing written in between is lost; ids drop the overlap.
  const feed: LiveFeed | { error: string } = source.kind === 'log'
    ? followEventLog(source.stateDir, { onWarning: (message) => io.err(`${command}: warning: ${message}\n`) })
    : await openEventStream(source.target, options.filterTexts);
  if ('error' in feed) return fail(io, command, feed.error);
  const stop = stopSignal(io);
  const onAbort = () => feed.close();
  if (stop.signal.aborted) onAbort();
  else stop.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const initial = await query(source, options.filterTexts, options.filters, options.limit);
    if ('error' in initial) return fail(io, command, initial.error);
    const shown = new Set(initial.map((event) => event.id));
    const oldestFirst = [...initial].reverse();
    const widths = columnWidths(EVENT_COLUMNS, oldestFirst, EVENT_COLUMN_MINIMUMS);
    const print = (event: DecisionEvent) =>
      io.out(options.output === 'json' ? `${JSON.stringify(event)}\n` : renderRow(EVENT_COLUMNS, widths, event));
    if (options.output === 'table') io.out(renderHeader(EVENT_COLUMNS, widths));
    oldestFirst.forEach(print);
    for await (const event of feed.events) {
      if (shown.has(event.id) || !matchesFilters(event, options.filters)) continue;
      shown.add(event.id);
      print(event);
    }
    if (!stop.signal.aborted && source.kind === 'gateway') return fail(io, command, `the gateway at ${source.target.url} closed the event stream (stopped?)`);
    return 0;
  } finally {
    feed.close();
    stop.dispose();
  }
}

async function stats(argv: string[], io: CliIO): Promise<number> {
  const command = 'kt events stats';
  const args = parseCommandArgs(command, argv, {
    ...SOURCE_OPTIONS,
    by: { type: 'string' },
    filter: { type: 'string', multiple: true },
    limit: { type: 'string' },
    output: { type: 'string' },
  });
  if (isUsageError(args)) return reportUsage(io, args);
  if (args.values.help) {
    io.out(STATS_HELP);
    return 0;
  }
  const by = choiceOption(command, args.values, 'by', STATS_DIMENSIONS, 'model');
  const limit = intOption(command, args.values, 'limit', MAX_LIMIT, 1, MAX_LIMIT);
  const output = choiceOption(command, args.values, 'output', ['table', 'json'] as const, 'table');
  const filterTexts = listOption(args.values, 'filter');
  const filters = parseFilters(filterTexts);
  const source = resolveSource(command, args.values, io);
  for (const value of [by, limit, output, source]) if (isUsageError(value)) return reportUsage(io, value);
  if (isFilterError(filters)) return reportUsage(io, usageError(command, filters.error));

  const events = await query(source as EventsSource, filterTexts, filters, limit as number);
  if ('error' in events) return fail(io, command, events.error);
  const buckets = computeStats(events, by as (typeof STATS_DIMENSIONS)[number]);
  // Tags are A/B arms: say whether the arms differ, with the uncertainty, not only their averages.
  const comparisons = by === 'tag' ? compareArms(events) : undefined;
  if (output === 'json') io.out(`${JSON.stringify({ by, events: events.length, buckets, ...(comparisons ? { comparisons } : {}) }, null, 2)}\n`);
  else if (events.length === 0) io.out(`${nothingFound(source as EventsSource, filterTexts)}\n`);
  else {
    io.out(`${renderTable(statsColumns(by as string), buckets)}\n${events.length} events${events.length === limit ? ` (the newest ${limit}; see --limit)` : ''}\n`);
    if (comparisons?.length) {
      io.out(`\nA/B: each arm against ${comparisons[0].baseline}, allowed requests only, 95% Welch t interval of the mean difference per request\n${renderTable(COMPARISON_COLUMNS, comparisons)}`);
    }
  }
  return 0;
}

function resolveSource(command: string, values: ParsedArgs['values'], io: CliIO): EventsSource | UsageError {
  const stateDir = resolveStateDir({ stateDir: stringOption(values, 'state-dir'), config: stringOption(values, 'config'), cwd: io.cwd, create: false });
  const url = stringOption(values, 'gateway');
  if (url === undefined) {
    if (stringOption(values, 'key') !== undefined) return usageError(command, '--key only applies with --gateway URL');
    const log = new EventLog({ stateDir, onWarning: (message) => io.err(`${command}: warning: ${message}\n`) });
    return { kind: 'log', log, stateDir };
  }
  const key = stringOption(values, 'key') ?? io.env.KT_GATEWAY_KEY ?? readDevKey(stateDir);
  if (!key) {
    return usageError(command, `no gateway key: pass --key, set KT_GATEWAY_KEY, or point --state-dir at the folder holding the gateway's dev-key`);
  }
  return { kind: 'gateway', target: { url, key } };
}

function readDevKey(stateDir: string): string | undefined {
  const path = `${stateDir}/dev-key`;
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || undefined : undefined;
}

async function query(source: EventsSource, filterTexts: string[], filters: EventFilter[], limit: number): Promise<DecisionEvent[] | { error: string }> {
  if (source.kind === 'log') return source.log.query({ filters, limit });
  return fetchEvents(source.target, filterTexts, limit);
}

function nothingFound(source: EventsSource, filterTexts: string[]): string {
  if (filterTexts.length) return `No events match ${filterTexts.map((text) => `--filter "${text}"`).join(' ')}.`;
  return source.kind === 'log'
    ? `No events in ${eventsDir(source.stateDir)} yet: start the gateway ('kt gateway start') and send it a request, or pass --state-dir.`
    : `The gateway at ${source.target.url} has recorded no events yet.`;
}

function fail(io: CliIO, command: string, message: string): number {
  io.err(`${command}: ${message}\n`);
  return 1;
}

/** The caller's signal, or Ctrl-C: either ends --follow cleanly with exit 0. */
function stopSignal(io: CliIO): { signal: AbortSignal; dispose(): void } {
  if (io.signal) return { signal: io.signal, dispose: () => undefined };
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}
