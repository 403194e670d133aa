// Parses policy-config.yaml keeping source ranges, and locates nodes for diagnostics and editor features.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { fastYaml, parseBlockYaml } from './fast-yaml';
import type { Position, Range } from './types';

export interface ParsedPolicy {
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

// uniqueKeys off: duplicate keys are reported by our own rule with a range, not as a hard parse error.
// logLevel error: yaml's warnings (e.g. collection keys) would otherwise go to process.emitWarning → stderr.
const PARSE_OPTIONS = { prettyErrors: false, uniqueKeys: false, strict: false, logLevel: 'error' } as const;

export function parsePolicyText(text: string): ParsedPolicy {
  // The fast path reads the block-style subset real configs use into the same nodes; yaml parses the rest.
  const doc = (fastYaml.enabled ? parseBlockYaml(text, PARSE_OPTIONS) : undefined) ?? parseDocument(text, PARSE_OPTIONS);
  return { text, doc, lines: countLines(text) };
}

/**
 * Line starts from the text itself. yaml's own LineCounter only sees newline tokens, and while recovering
 * from a syntax error it can swallow line breaks into other tokens, which put later positions on the wrong line.
 */
function countLines(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return lines;
}

export function positionAt(parsed: ParsedPolicy, offset: number): Position {
  const clamped = Math.max(0, Math.min(offset, parsed.text.length));
  const { line, col } = parsed.lines.linePos(clamped);
  return { line: line - 1, character: col - 1 };
}

export function offsetAt(parsed: ParsedPolicy, position: Position): number {
  const starts = parsed.lines.lineStarts;
  if (position.line >= starts.length) return parsed.text.length;
  return Math.min(starts[Math.max(0, position.line)] + position.character, parsed.text.length);
}

/** Range of [start, end) offsets, clamped to the first line so a diagnostic never covers a whole block. */
export function rangeOf(parsed: ParsedPolicy, start: number, end: number): Range {
  const from = positionAt(parsed, start);
  let to = positionAt(parsed, Math.max(start, end));
  if (to.line !== from.line) {
    const lineEnd = lineEndOffset(parsed, start);
    to = positionAt(parsed, Math.max(start, lineEnd));
  }
  return { start: from, end: to };
}

export function lineEndOffset(parsed: ParsedPolicy, offset: number): number {
  const nl = parsed.text.indexOf('\n', offset);
  const end = nl === -1 ? parsed.text.length : nl;
  return end > offset && parsed.text[end - 1] === '\r' ? end - 1 : end;
}

/** Range covering a node's own token(s): a scalar's text, or the first line of a collection. */
export function nodeRange(parsed: ParsedPolicy, node: Node | null | undefined, fallback?: Range): Range {
  if (!node || !node.range) return fallback ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return rangeOf(parsed, node.range[0], node.range[1]);
}

export function pairOf(map: unknown, key: string): Pair<Node, Node | null> | undefined {
  if (!isMap(map)) return undefined;
  for (const item of map.items) {
    if (isScalar(item.key) && String(item.key.value) === key) return item as Pair<Node, Node | null>;
  }
  return undefined;
}

export function valueOf(map: unknown, key: string): Node | null | undefined {
  return pairOf(map, key)?.value;
}

export function scalarString(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return typeof v === 'string' ? v : v === null || v === undefined ? undefined : String(v);
}

export function scalarNumber(node: unknown): number | undefined {
  return isScalar(node) && typeof node.value === 'number' ? node.value : undefined;
}

export function seqItems(node: unknown): Node[] {
  return isSeq(node) ? (node.items as Node[]) : [];
}

/** Follows a JSON pointer-like path of keys and indices through the YAML tree. */
export function nodeAtPath(doc: Document.Parsed, path: ReadonlyArray<string | number>): { node?: Node | null; pair?: Pair<Node, Node | null> } {
  let node: Node | null | undefined = doc.contents as Node | null;
  let pair: Pair<Node, Node | null> | undefined;
  for (const segment of path) {
    if (typeof segment === 'number' || (isSeq(node) && /^\d+$/.test(segment))) {
      node = seqItems(node)[Number(segment)];
      pair = undefined;
    } else {
      pair = pairOf(node, segment);
      node = pair?.value;
    }
    if (node === undefined) return { pair };
  }
  return { node, pair };
}

export function keyColumn(parsed: ParsedPolicy, map: YAMLMap): number | undefined {
  const first = map.items[0];
  if (!first || !isPair(first) || !isScalar(first.key) || !first.key.range) return undefined;
  return positionAt(parsed, first.key.range[0]).character;
}
