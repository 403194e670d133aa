// Code lenses above each model group and inlay hints after each model line, from the live stats.
import type { CodeLens, InlayHint, Range } from 'vscode-languageserver-types';
import { lineEndOffset, nodeRange } from '../../gateway/policy/document';
import { SHOW_GROUP_EVENTS_COMMAND, TRY_IT_COMMAND } from '../protocol';
import { MIN_ARM_REQUESTS, type ArmComparison } from '../../gateway/events/stats';
import { describeFigures, formatWindow, type LiveStats } from './live-stats';
import type { PolicyView } from './view';

export interface LiveView {
  stats: LiveStats;
  gatewayRunning: boolean;
  liveStats: boolean;
  now?: number;
}

export function liveCodeLenses(view: PolicyView, live: LiveView): CodeLens[] {
  if (!live.gatewayRunning) return [];
  const now = live.now ?? Date.now();
  const window = formatWindow(live.stats.window);
  const lenses: CodeLens[] = [];
  for (const group of view.outline.groups) {
    if (!group.name || !group.nameNode) continue;
    const range = lineStart(nodeRange(view.parsed, group.nameNode));
    lenses.push({ range, command: { title: '$(play) Try it', command: TRY_IT_COMMAND, arguments: [group.name] } });
    if (!live.liveStats) continue;
    const stats = live.stats.group(group.name, now);
    const title = stats ? `${describeFigures(stats)} · last ${window}` : `no requests in the last ${window}`;
    lenses.push({ range, command: { title, command: SHOW_GROUP_EVENTS_COMMAND, arguments: [group.name] } });
    if (stats && stats.tags.length) {
      const arms = stats.tags.map((t) => `${t.tag}: ${describeFigures(t, { rates: false })}`).join('  |  ');
      lenses.push({ range, command: { title: `A/B ${arms}`, command: SHOW_GROUP_EVENTS_COMMAND, arguments: [group.name] } });
      for (const title of comparisonTitles(stats.comparisons)) lenses.push({ range, command: { title, command: SHOW_GROUP_EVENTS_COMMAND, arguments: [group.name] } });
    }
  }
  return lenses;
}

/** Hints at the end of each `model:` line inside `range`, for lines the gateway served in the window. */
export function liveInlayHints(view: PolicyView, range: Range, live: LiveView): InlayHint[] {
  if (!live.gatewayRunning || !live.liveStats || live.stats.size === 0) return [];
  const now = live.now ?? Date.now();
  const hints: InlayHint[] = [];
  for (const group of view.outline.groups) {
    if (!group.name) continue;
    const groupRange = nodeRange(view.parsed, group.node);
    const groupEnd = group.node.range ? view.positionAt(group.node.range[1]).line : groupRange.start.line;
    if (groupEnd < range.start.line || groupRange.start.line > range.end.line) continue;
    for (const model of group.models) {
      if (!model.provider || !model.model || !model.modelNode?.range) continue;
      const end = view.positionAt(lineEndOffset(view.parsed, model.modelNode.range[0]));
      if (end.line < range.start.line || end.line > range.end.line) continue;
      const figures = live.stats.line(group.name, model.provider, model.model, now);
      if (!figures) continue;
      hints.push({ position: end, label: describeFigures(figures), paddingLeft: true });
    }
  }
  return hints;
}

/** One line per arm against the baseline: the 95% interval verdicts for latency and cost, or too few to tell. */
export function comparisonTitles(comparisons: readonly ArmComparison[]): string[] {
  const byArm = new Map<string, ArmComparison[]>();
  for (const c of comparisons) byArm.set(c.arm, [...(byArm.get(c.arm) ?? []), c]);
  return [...byArm].map(([arm, [latency, cost]]) => {
    const head = `${arm} vs ${latency!.baseline}:`;
    if (latency!.difference === null) return `${head} too few requests to tell (${latency!.baseline_n} and ${latency!.arm_n}; ${MIN_ARM_REQUESTS} each needed)`;
    const costText = cost && cost.difference !== null ? `; cost: ${shortVerdict(cost, arm)}` : '';
    return `${head} latency: ${shortVerdict(latency!, arm)}${costText} (95% CI)`;
  });
}

function shortVerdict(c: ArmComparison, arm: string): string {
  return c.verdict.startsWith(`${arm} is `) ? c.verdict.slice(arm.length + 4).replace(/ per request$/, '') : c.verdict.replace(/: the interval includes 0$/, '');
}

function lineStart(range: Range): Range {
  return { start: { line: range.start.line, character: 0 }, end: { line: range.start.line, character: 0 } };
}
