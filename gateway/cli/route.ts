// `kt route explain`: the CLI edge over routing/explain.ts. Reads the config, request and event log;
// the explanation itself is pure.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EventLog } from '../events/event-log';
import { validateChatRequest } from '../http/validate';
import { analyzePolicy } from '../policy/analyze';
import { loadDotEnv } from '../policy/dotenv';
import type { ChatRequest } from '../providers/provider';
import { explainRoute, renderExplanation, type ExplainOptions } from '../routing/explain';
import { replayAttempts } from '../routing/latency';
import { seededRandom } from '../routing/seeded-random';
import { resolveStateDir } from '../state-dir';
import {
  choiceOption, intOption, isUsageError, parseCommandArgs, processIO, reportUsage, stringOption, usageError, type CliIO,
} from './args';

const COMMAND = 'kt route explain';
/** Newest events replayed into the latency averages; alpha 0.3 forgets older ones long before this. */
const LATENCY_EVENTS = 10_000;

export const HELP = `Usage: kt route explain --config FILE --model NAME [options]

Says what the gateway would do with a request to a model group, from the same planner the gateway
runs, without sending anything: the strategy in words, each model's share (weighted), the order and
timeouts (fallback), estimated tokens and cost and what is skipped (cost), the current preference
(latency), the model session affinity picks, and the provider keys the route needs that are not set.

Options:
  --config FILE        policy-config.yaml (its .env is read for keys, as the gateway does)
  --model NAME         the model group; default the request's "model"
  --request FILE       a chat completion request body (JSON) to explain; "-" reads standard input.
                       Default: one user message "Hello" with no max_tokens
  --session ID         the x-session-id header the request would carry
  --seed N             make the random draws (weighted pick, latency exploration) with this seed
  --state-dir DIR      where the event log is, for latency groups' moving averages
                       (default: .kt/ beside --config)
  --ollama-fallback MODEL
                       as the gateway's flag: a local Ollama model as every group's last resort
                       (the VS Code extension starts the gateway with it by default)
  --ollama-url URL     Ollama's OpenAI-compatible URL for --ollama-fallback
  --format text|json   text for people (default), json for tools
  -h, --help           show this help

Exit status: 0 the request would be sent; 1 it would not (config errors, not a model group, blocked
by the budget or no model fits); 2 usage error or unreadable file.
`;

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const args = parseCommandArgs(COMMAND, argv, {
    config: { type: 'string' },
    model: { type: 'string' },
    request: { type: 'string' },
    session: { type: 'string' },
    seed: { type: 'string' },
    'state-dir': { type: 'string' },
    'ollama-fallback': { type: 'string' },
    'ollama-url': { type: 'string' },
    format: { type: 'string' },
  });
  if (isUsageError(args)) return reportUsage(io, args);
  if (args.values.help) {
    io.out(HELP);
    return 0;
  }
  const format = choiceOption(COMMAND, args.values, 'format', ['text', 'json'] as const, 'text');
  const seed = intOption(COMMAND, args.values, 'seed', 0, 0, 2 ** 32 - 1);
  if (isUsageError(format)) return reportUsage(io, format);
  if (isUsageError(seed)) return reportUsage(io, seed);
  const configPath = stringOption(args.values, 'config');
  if (!configPath) return reportUsage(io, usageError(COMMAND, 'missing --config FILE'));

  const configText = readText(resolve(io.cwd, configPath), configPath);
  if ('error' in configText) return reportUsage(io, usageError(COMMAND, configText.error));
  let request: ChatRequest | undefined;
  const requestPath = stringOption(args.values, 'request');
  if (requestPath !== undefined) {
    const parsed = readRequest(requestPath, io, stringOption(args.values, 'model'));
    if ('error' in parsed) return reportUsage(io, usageError(COMMAND, parsed.error));
    request = parsed.request;
  }
  const model = stringOption(args.values, 'model') ?? request?.model;
  if (!model) return reportUsage(io, usageError(COMMAND, 'missing --model NAME (or a "model" in the --request body)'));

  const analysis = analyzePolicy(configText.text);
  if (!analysis.config) {
    io.err(`${COMMAND}: ${configPath} has ${analysis.errorCount} error${analysis.errorCount === 1 ? '' : 's'}, so the gateway would not run it; see kt policy lint --file ${configPath}.\n`);
    return 1;
  }
  const config = analysis.config;
  const options: ExplainOptions = {
    model,
    request,
    sessionId: stringOption(args.values, 'session'),
    env: { ...loadDotEnv(join(dirname(resolve(io.cwd, configPath)), '.env')), ...io.env },
    random: args.values.seed !== undefined ? seededRandom(seed) : undefined,
  };
  const ollamaModel = stringOption(args.values, 'ollama-fallback');
  if (ollamaModel) options.ollamaFallback = { model: ollamaModel, baseUrl: stringOption(args.values, 'ollama-url') };
  else if (stringOption(args.values, 'ollama-url') !== undefined) return reportUsage(io, usageError(COMMAND, '--ollama-url only applies with --ollama-fallback MODEL'));
  if (config.groups.find((g) => g.name === model)?.strategy === 'latency') {
    const stateDir = resolveStateDir({ stateDir: stringOption(args.values, 'state-dir'), config: configPath, cwd: io.cwd, create: false });
    const events = new EventLog({ stateDir, onWarning: (message) => io.err(`${COMMAND}: warning: ${message}\n`) }).query({ limit: LATENCY_EVENTS }).reverse();
    if (events.length) options.latency = { board: replayAttempts(events), source: `the attempts of the newest ${events.length} events in ${stateDir}` };
  }
  const explanation = explainRoute(config, options);
  if ('error' in explanation) {
    io.err(`${COMMAND}: ${explanation.message}\n`);
    return 1;
  }
  io.out(format === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : `${renderExplanation(explanation, 'text')}\n`);
  return explanation.blocked ? 1 : 0;
}

function readText(path: string, shown: string): { text: string } | { error: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code ?? 'unreadable';
    return { error: `cannot read ${shown}: ${why}` };
  }
}

/** The body as the gateway would validate it; --model, when given, replaces its "model". */
function readRequest(path: string, io: CliIO, model: string | undefined): { request: ChatRequest } | { error: string } {
  const read = path === '-' ? readStdin() : readText(resolve(io.cwd, path), path);
  if ('error' in read) return read;
  let body: unknown;
  try {
    body = JSON.parse(read.text);
  } catch (error) {
    return { error: `--request ${path} is not JSON (${(error as Error).message})` };
  }
  if (model !== undefined && body !== null && typeof body === 'object' && !Array.isArray(body)) body = { ...body, model };
  const valid = validateChatRequest(body);
  return valid.ok ? { request: valid.request } : { error: `--request ${path}: ${valid.message}` };
}

function readStdin(): { text: string } | { error: string } {
  try {
    return { text: readFileSync(0, 'utf8') };
  } catch (error) {
    return { error: `cannot read standard input: ${(error as Error).message}` };
  }
}
