// Builds the text edits that quick fixes apply; the rules attach them to diagnostics as fix data.
import { isMap, isScalar, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { keyColumn, lineEndOffset, nodeRange, positionAt, type ParsedPolicy } from './document';
import type { Range, TextEdit } from './types';

function lineStartOffset(parsed: ParsedPolicy, offset: number): number {
  const nl = parsed.text.lastIndexOf('\n', Math.max(0, offset - 1));
  return nl === -1 ? 0 : nl + 1;
}

function point(parsed: ParsedPolicy, offset: number): Range {
  const p = positionAt(parsed, offset);
  return { start: p, end: p };
}

export function replaceNode(parsed: ParsedPolicy, node: Node, newText: string): TextEdit {
  return { range: nodeRange(parsed, node), newText };
}

/** Appends `key: value` lines (already relative to the map's indentation) as the last entries of a block map. */
export function appendToMap(parsed: ParsedPolicy, map: YAMLMap, lines: string[]): TextEdit | undefined {
  if (map.flow || map.items.length === 0) return undefined;
  const column = keyColumn(parsed, map);
  const last = map.items[map.items.length - 1] as Pair<Node, Node | null>;
  const end = (last.value as Node | null)?.range?.[1] ?? (last.key as Node | null)?.range?.[1];
  if (column === undefined || end === undefined) return undefined;
  const contentEnd = trimTrailing(parsed.text, end);
  const at = lineEndOffset(parsed, Math.max(0, contentEnd - 1));
  const indent = ' '.repeat(column);
  return { range: point(parsed, at), newText: lines.map((l) => `\n${indent}${l}`).join('') };
}

/** Deletes a key and its value, whole lines included. */
export function removePair(parsed: ParsedPolicy, pair: Pair<Node, Node | null>): TextEdit | undefined {
  const start = (pair.key as Node | null)?.range?.[0];
  const end = (pair.value as Node | null)?.range?.[1] ?? (pair.key as Node | null)?.range?.[1];
  if (start === undefined || end === undefined) return undefined;
  return deleteLines(parsed, start, end);
}

/** Deletes one item of a block sequence, from its `-` line to the line before the next item. */
export function removeSeqItem(parsed: ParsedPolicy, seq: YAMLSeq, index: number): TextEdit | undefined {
  const item = seq.items[index] as Node | undefined;
  if (seq.flow || !item?.range) return undefined;
  return deleteLines(parsed, item.range[0], item.range[1]);
}

function deleteLines(parsed: ParsedPolicy, start: number, end: number): TextEdit {
  const from = lineStartOffset(parsed, start);
  const contentEnd = trimTrailing(parsed.text, end);
  const lineEnd = lineEndOffset(parsed, Math.max(from, contentEnd - 1));
  const to = parsed.text[lineEnd] === '\r' ? lineEnd + 2 : parsed.text[lineEnd] === '\n' ? lineEnd + 1 : lineEnd;
  return { range: { start: positionAt(parsed, from), end: positionAt(parsed, to) }, newText: '' };
}

function trimTrailing(text: string, end: number): number {
  let e = Math.min(end, text.length);
  while (e > 0 && /\s/.test(text[e - 1])) e--;
  return e;
}

export function isBlockMap(node: unknown): node is YAMLMap {
  return isMap(node) && !node.flow;
}

export function scalarText(node: unknown): string | undefined {
  return isScalar(node) && node.source !== undefined ? String(node.source) : undefined;
}

/** Integer weights proportional to `weights` that sum to exactly 100 (largest remainder). */
export function proportionalWeights(weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const shares = sum > 0 ? weights.map((w) => (w * 100) / sum) : weights.map(() => 100 / weights.length);
  const floors = shares.map(Math.floor);
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = shares.map((s, i) => ({ i, r: s - floors[i] })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i]++;
    left--;
  }
  return floors;
}
