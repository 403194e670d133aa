// `k=v` filters over DecisionEvent field paths, shared by `kt events`, the events API and the SSE stream.
import type { DecisionEvent } from './decision-event';

export type FilterOperator = '=' | '!=' | '>' | '<' | '>=' | '<=';

export interface EventFilter {
  path: string[];
  op: FilterOperator;
  value: string;
  /** As the user wrote it, for messages. */
  text: string;
}

export interface FilterError { error: string }

const ATTEMPT_FIELDS = ['provider', 'model', 'outcome', 'status', 'error', 'latency_ms'];
const KNOWN_PATHS = new Set([
  'id', 'ts', 'kind', 'key_id', 'model', 'model_group', 'strategy', 'provider', 'resolved_model', 'tag',
  'session_id', 'stream', 'fallback_count', 'latency_ms', 'ttft_ms', 'estimated_cost_usd', 'actual_cost_usd',
  'decision', 'reason', 'http_status', 'path', 'prev_hash', 'hash',
  'tokens.prompt', 'tokens.completion', 'tokens.total',
  ...ATTEMPT_FIELDS.map((field) => `attempts.${field}`),
  'skipped.provider', 'skipped.model', 'skipped.reason',
]);

const SYNTAX = /^\s*([A-Za-z_][\w.]*)\s*(!=|>=|<=|=|>|<)\s*(.*?)\s*$/s;

export function parseFilter(text: string): EventFilter | FilterError {
  const match = SYNTAX.exec(text);
  if (!match) {
    return { error: `bad filter '${text}': write field=value (also !=, >, <, >=, <=), e.g. --filter "model=reliable-chat"` };
  }
  const [, key, op, value] = match as unknown as [string, string, FilterOperator, string];
  if (!KNOWN_PATHS.has(key)) {
    return { error: `bad filter '${text}': unknown field '${key}'. Known fields: ${[...KNOWN_PATHS].join(', ')}` };
  }
  if ((op === '>' || op === '<' || op === '>=' || op === '<=') && !isNumeric(value)) {
    return { error: `bad filter '${text}': '${op}' compares numbers, and '${value}' is not a number` };
  }
  return { path: key.split('.'), op, value, text };
}

export function parseFilters(texts: readonly string[]): EventFilter[] | FilterError {
  const filters: EventFilter[] = [];
  for (const text of texts) {
    const parsed = parseFilter(text);
    if ('error' in parsed) return parsed;
    filters.push(parsed);
  }
  return filters;
}

export function isFilterError(value: unknown): value is FilterError {
  return typeof value === 'object' && value !== null && 'error' in value;
}

/** Every filter must hold (AND). */
export function matchesFilters(event: DecisionEvent, filters: readonly EventFilter[]): boolean {
  return filters.every((filter) => matchesFilter(event, filter));
}

export function matchesFilter(event: DecisionEvent, filter: EventFilter): boolean {
  const values = valuesAt(event, filter.path);
  // The guide filters by `model=<group name>`: the requested model or the group it resolved to both count.
  if (filter.path.length === 1 && filter.path[0] === 'model') values.push(event.model_group);
  const hit = values.some((value) => compare(value, filter.op === '!=' ? '=' : filter.op, filter.value));
  return filter.op === '!=' ? !hit : hit;
}

/** The values at a dotted path; arrays (attempts, skipped) fan out, so `attempts.provider=x` means "any attempt". */
function valuesAt(root: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [root];
  for (const key of path) {
    const next: unknown[] = [];
    for (const value of current) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item !== null && typeof item === 'object') next.push((item as Record<string, unknown>)[key]);
      }
    }
    current = next;
  }
  return current.flatMap((value) => (Array.isArray(value) ? value : [value]));
}

function compare(actual: unknown, op: FilterOperator, expected: string): boolean {
  if (actual === undefined) return false;
  if (op === '=') {
    if (actual === null) return expected === 'null' || expected === '';
    if (typeof actual === 'number' && isNumeric(expected)) return actual === Number(expected);
    return String(actual) === expected;
  }
  if (typeof actual !== 'number') return false;
  const number = Number(expected);
  switch (op) {
    case '>': return actual > number;
    case '<': return actual < number;
    case '>=': return actual >= number;
    case '<=': return actual <= number;
    default: return false;
  }
}

function isNumeric(text: string): boolean {
  return text.trim() !== '' && Number.isFinite(Number(text));
}
