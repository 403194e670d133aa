// The routing dashboard inside its webview: draws what the extension posts (DashboardData) with uPlot,
// in the theme's chart colours. No network: the data comes by postMessage, scripts and styles from dist/.
import uPlot from 'uplot';
import type { CostRow, DashboardData } from '../series';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscode = acquireVsCodeApi();
const PALETTE = ['blue', 'orange', 'green', 'purple', 'yellow', 'red'].map((c) => `--vscode-charts-${c}`)
  .concat(['--vscode-terminal-ansiCyan', '--vscode-terminal-ansiMagenta']);
const FALLBACK_COLOURS = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#cca700', '#f14c4c', '#29b8db', '#bc3fbc'];

interface Chart {
  plot: uPlot;
  /** The series layout it was built for; a new layout rebuilds the chart. */
  layout: string;
}
const charts = new Map<string, Chart>();
let latest: DashboardData | undefined;

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}
const colour = (i: number) => cssVar(PALETTE[i % PALETTE.length]!, FALLBACK_COLOURS[i % FALLBACK_COLOURS.length]!);
const foreground = () => cssVar('--vscode-foreground', '#cccccc');
const grid = () => cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');

function withAlpha(c: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})/i.exec(c);
  if (!hex) return c;
  const n = parseInt(hex[1]!, 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Counts start at zero and show at least 0–1, so an all-zero series is a flat line at the bottom. */
const COUNT_SCALES: uPlot.Scales = { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } };

function axes(yLabel: string): uPlot.Axis[] {
  const stroke = foreground();
  const g = { stroke: grid(), width: 1 };
  return [
    { stroke, grid: g, ticks: g },
    { stroke, grid: g, ticks: g, label: yLabel, size: 60 },
  ];
}

function width(): number {
  return Math.max(320, document.getElementById('charts')!.clientWidth - 8);
}

function chart(id: string, title: string, layout: string, build: () => Pick<uPlot.Options, 'series' | 'axes' | 'scales'>, data: uPlot.AlignedData): void {
  const existing = charts.get(id);
  if (existing && existing.layout === layout) {
    existing.plot.setData(data);
    return;
  }
  existing?.plot.destroy();
  const host = document.getElementById(id)!;
  host.replaceChildren();
  const options: uPlot.Options = { title, width: width(), height: 220, ...build() };
  charts.set(id, { plot: new uPlot(options, data, host), layout });
}

function drawLatency(d: DashboardData): void {
  const series: uPlot.Series[] = [{}];
  const data: uPlot.AlignedData = [d.times];
  d.models.forEach((m, i) => {
    // Points too: a bucket between empty ones has no line to draw.
    series.push({ label: `${m.model} p50`, stroke: colour(i), width: 2, spanGaps: false, points: { show: true, size: 5 } });
    series.push({ label: `${m.model} p95`, stroke: colour(i), width: 1, dash: [5, 4], spanGaps: false });
    data.push(m.p50 as number[], m.p95 as number[]);
  });
  chart('latency', 'Latency per model (ms): p50 solid, p95 dashed', d.models.map((m) => m.model).join('|'), () => ({ series, axes: axes('ms') }), data);
}

function drawRequests(d: DashboardData): void {
  // Stacked: each model is drawn as the running total up to it, topmost first so each fill shows; the
  // legend shows the model's own count.
  const totals = d.models.map((_, i) => d.times.map((_, t) => d.models.slice(0, i + 1).reduce((sum, m) => sum + m.requests[t]!, 0)));
  const order = d.models.map((_, i) => d.models.length - 1 - i);
  const series: uPlot.Series[] = [{}];
  const data: uPlot.AlignedData = [d.times];
  for (const i of order) {
    const own = d.models[i]!.requests;
    series.push({
      label: d.models[i]!.model, stroke: colour(i), fill: withAlpha(colour(i), 0.35), width: 1,
      paths: uPlot.paths.stepped!({ align: 1 }),
      value: (_u, _v, _s, idx) => (idx === null || idx === undefined ? '–' : String(own[idx] ?? 0)),
    });
    data.push(totals[i]!);
  }
  chart('requests', `Requests per model, stacked (per ${d.bucketSeconds} s)`, d.models.map((m) => m.model).join('|'), () => ({ series, axes: axes('requests'), scales: COUNT_SCALES }), data);
}

function drawFailures(d: DashboardData): void {
  const bars = uPlot.paths.bars!({ size: [0.6, 40] });
  const series: uPlot.Series[] = [
    {},
    { label: 'fell back', stroke: colour(1), fill: withAlpha(colour(1), 0.6), paths: bars },
    { label: 'errors', stroke: colour(5), fill: withAlpha(colour(5), 0.6), paths: bars },
  ];
  chart('failures', `Fallbacks and errors (per ${d.bucketSeconds} s)`, 'fixed', () => ({ series, axes: axes('requests'), scales: COUNT_SCALES }), [d.times, d.fallbacks, d.errors]);
}

function usd(n: number): string {
  return n === 0 ? '$0' : n >= 1 ? `$${n.toFixed(2)}` : `$${Number(n.toPrecision(3))}`;
}

function costTable(id: string, title: string, rows: CostRow[]): void {
  const host = document.getElementById(id)!;
  const top = rows.slice(0, 15);
  const most = Math.max(...top.map((r) => r.usd), 1e-12);
  const heading = document.createElement('h3');
  heading.textContent = title;
  const table = document.createElement('table');
  for (const r of top) {
    const tr = table.insertRow();
    tr.insertCell().textContent = r.key;
    const bar = tr.insertCell();
    bar.className = 'bar-cell';
    const fill = document.createElement('div');
    fill.className = 'bar';
    fill.style.width = `${Math.max(1, (r.usd / most) * 100)}%`;
    bar.append(fill);
    tr.insertCell().textContent = usd(r.usd);
    tr.insertCell().textContent = `${r.requests} req`;
  }
  host.replaceChildren(heading, rows.length ? table : Object.assign(document.createElement('p'), { textContent: 'No requests yet.' }));
}

function draw(d: DashboardData): void {
  latest = d;
  const status = document.getElementById('status')!;
  const empty = document.getElementById('empty')!;
  empty.hidden = d.requests > 0;
  document.getElementById('charts')!.hidden = d.requests === 0;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  status.textContent = d.requests ? `${plural(d.requests, 'request')} · ${usd(d.totalUsd)} · ${plural(d.models.length, 'model')} · buckets of ${d.bucketSeconds} s` : '';
  status.dataset.requests = String(d.requests);
  if (!d.requests) return;
  drawLatency(d);
  drawRequests(d);
  drawFailures(d);
  costTable('cost-groups', 'Cost per model group', d.costByGroup);
  costTable('cost-tags', 'Cost per tag', d.costByTag);
  status.dataset.drawn = String(charts.size);
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = event.data as { type?: string; data?: DashboardData };
  if (message?.type === 'data' && message.data) draw(message.data);
});

let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    for (const { plot } of charts.values()) plot.setSize({ width: width(), height: 220 });
  }, 100);
});

// A theme change swaps the CSS variables: rebuild the charts in the new colours.
new MutationObserver(() => {
  for (const c of charts.values()) c.plot.destroy();
  charts.clear();
  if (latest) draw(latest);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

vscode.postMessage({ type: 'ready' });
