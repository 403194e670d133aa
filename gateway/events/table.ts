// Aligned text tables for people: `kt events tail --output table`, `kt events stats`, `kt keys list`.
import type { DecisionEvent } from './decision-event';
import type { ArmComparison, BucketStats } from './stats';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  right?: boolean;
}

export function renderTable<T>(columns: Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((row) => row[index].length)));
  const line = (values: string[]) =>
    values.map((value, index) => (columns[index].right ? value.padStart(widths[index]) : value.padEnd(widths[index]))).join('  ').trimEnd();
  return [line(columns.map((column) => column.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Fixed-width rows for `--follow`, where later rows cannot widen earlier ones. */
export function renderRow<T>(columns: Column<T>[], widths: number[], row: T): string {
  return columns.map((column, index) => {
    const value = column.value(row);
    return column.right ? value.padStart(widths[index]) : value.padEnd(widths[index]);
  }).join('  ').trimEnd() + '\n';
}

export function renderHeader<T>(columns: Column<T>[], widths: number[]): string {
  return columns.map((column, index) => (column.right ? column.header.padStart(widths[index]) : column.header.padEnd(widths[index]))).join('  ').trimEnd() + '\n';
}

export function columnWidths<T>(columns: Column<T>[], rows: readonly T[], minimums: number[]): number[] {
  return columns.map((column, index) => Math.max(minimums[index] ?? 0, column.header.length, ...rows.map((row) => column.value(row).length)));
}

const dash = (value: string | null | undefined) => (value === null || value === undefined || value === '' ? '-' : value);

export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '-';
  return usd === 0 ? '$0' : `$${usd < 0.01 ? usd.toPrecision(2) : usd.toFixed(4)}`;
}

export const EVENT_COLUMNS: Column<DecisionEvent>[] = [
  { header: 'TIME', value: (e) => e.ts.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z') },
  { header: 'MODEL', value: (e) => dash(e.model_group ?? e.model) },
  { header: 'RESOLVED', value: (e) => dash(e.resolved_model) },
  { header: 'PROVIDER', value: (e) => dash(e.provider) },
  { header: 'TAG', value: (e) => dash(e.tag) },
  { header: 'DECISION', value: (e) => (e.decision === 'allowed' ? 'allowed' : `${e.decision} ${e.http_status}`) },
  { header: 'FALLBACKS', value: (e) => String(e.fallback_count), right: true },
  { header: 'LATENCY', value: (e) => `${Math.round(e.latency_ms)} ms`, right: true },
  { header: 'TOKENS', value: (e) => String(e.tokens?.total ?? 0), right: true },
  { header: 'COST', value: (e) => formatCost(e.actual_cost_usd), right: true },
];

/** Typical widths, so a followed table lines up even when it starts empty. */
export const EVENT_COLUMN_MINIMUMS = [20, 14, 16, 12, 10, 8, 9, 9, 6, 9];

export function statsColumns(by: string): Column<BucketStats>[] {
  return [
    { header: by.toUpperCase(), value: (b) => dash(b.key) },
    { header: 'COUNT', value: (b) => String(b.count), right: true },
    { header: 'P50', value: (b) => `${Math.round(b.p50_latency_ms)} ms`, right: true },
    { header: 'P95', value: (b) => `${Math.round(b.p95_latency_ms)} ms`, right: true },
    { header: 'AVG TOKENS', value: (b) => String(b.avg_tokens), right: true },
    { header: 'BLOCKED', value: (b) => `${b.block_rate_pct}%`, right: true },
    { header: 'ERRORS', value: (b) => `${b.error_rate_pct}%`, right: true },
    { header: 'FALLBACKS', value: (b) => `${b.fallback_rate_pct}%`, right: true },
    { header: 'COST', value: (b) => formatCost(b.total_cost_usd), right: true },
  ];
}

function signed(value: number, metric: ArmComparison['metric']): string {
  const sign = value > 0 ? '+' : value < 0 ? '-' : '';
  return metric === 'latency_ms' ? `${sign}${+Math.abs(value).toFixed(1)} ms` : `${sign}$${+Math.abs(value).toPrecision(3)}`;
}

/** `kt events stats --by tag`: each arm against the baseline, with the 95% interval of the difference. */
export const COMPARISON_COLUMNS: Column<ArmComparison>[] = [
  { header: 'METRIC', value: (c) => (c.metric === 'latency_ms' ? 'latency' : 'cost') },
  { header: 'ARM - BASELINE', value: (c) => `${c.arm} - ${c.baseline}` },
  { header: 'DIFFERENCE', value: (c) => (c.difference === null ? '-' : signed(c.difference, c.metric)), right: true },
  { header: '95% CI', value: (c) => (c.ci95 ? `${signed(c.ci95[0], c.metric)} to ${signed(c.ci95[1], c.metric)}` : '-'), right: true },
  { header: 'VERDICT', value: (c) => c.verdict },
];
