// Re-parses only what changed: an editor edits one line of a 10,000-line config, and a full YAML parse
// costs far more than the rules. The text is cut into blocks at indentation boundaries (top-level keys,
// big lists' items, big maps' entries); each block is parsed on its own and reused while its text is
// unchanged. Anything the cut cannot vouch for (document markers, directives, a block that does not
// parse cleanly on its own) falls back to one full parse, so the result always equals parsePolicyText.
import { isMap, isSeq, LineCounter, Pair, parseDocument, visit, YAMLMap, YAMLSeq, type Document, type Node } from 'yaml';
import { parsePolicyText, type ParsedPolicy } from './document';

/** Blocks with fewer lines than this are parsed whole; splitting them costs more than it saves. */
const SPLIT_LINES = 40;

type Range3 = [number, number, number];

/** A block parsed on its own: an entry (`key: …`) or a list item (`- …`), at `base` in the text. */
interface ParsedBlock {
  kind: 'entry' | 'item';
  text: string;
  base: number;
  node: Pair<Node, Node | null> | Node | null;
  /** Range of the one-entry map or one-item list the block parsed into. */
  container: Range3;
  doc: Document.Parsed;
}

interface BlockCache {
  blocks: Map<string, ParsedBlock[]>;
}

const caches = new WeakMap<ParsedPolicy, BlockCache>();

const PARSE_OPTIONS = { prettyErrors: false, uniqueKeys: false, strict: false, logLevel: 'error' } as const;

interface Line {
  start: number;
  end: number;
  indent: number;
  /** Blank or comment only. */
  empty: boolean;
  dash: boolean;
}

class Fallback extends Error {}

/**
 * Same result as parsePolicyText(text): same nodes, values and [start, valueEnd] ranges. Only a range's
 * third offset (its end including trailing comments) can stop short of the next block's indentation.
 * `previous` (a result of this function) lends its unchanged blocks: their nodes move into the new
 * result, so `previous` must not be used afterwards.
 */
export function reparsePolicyText(text: string, previous?: ParsedPolicy): ParsedPolicy {
  const old = previous ? caches.get(previous) : undefined;
  if (previous) caches.delete(previous);
  try {
    const lines = splitLines(text);
    const next: BlockCache = { blocks: new Map() };
    const root = assembleMap(text, lines, 0, lines.length, 0, old, next);
    // An empty document made by parsePolicyText carries exactly its options; it receives the blocks.
    const doc = parsePolicyText('').doc;
    doc.contents = root as Document.Parsed['contents'];
    doc.range = [0, text.length, text.length];
    const parsed: ParsedPolicy = { text, doc, lines: countLines(text) };
    caches.set(parsed, next);
    return parsed;
  } catch (error) {
    if (!(error instanceof Fallback)) throw error;
    return parsePolicyText(text);
  }
}

/** The line table parsePolicyText builds: line starts counted from the text itself. */
function countLines(text: string): LineCounter {
  const counter = new LineCounter();
  counter.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) counter.addNewLine(i + 1);
  return counter;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  for (let start = 0; start <= text.length;) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl + 1;
    let indent = 0;
    while (text.charCodeAt(start + indent) === 32) indent++;
    const c = text[start + indent];
    const blankOrComment = start + indent >= end || c === '\n' || c === '\r' || c === '#';
    // Tabs, markers, directives and a BOM change how lines relate; leave those to the full parser.
    if (c === '\t' || c === '\ufeff' || (indent === 0 && (c === '%' || /^(?:---|\.\.\.)(?:\s|$)/.test(text.slice(start, start + 4))))) throw new Fallback();
    const dash = c === '-' && /[\s]/.test(text[start + indent + 1] ?? '\n');
    lines.push({ start, end, indent, empty: blankOrComment, dash });
    if (nl === -1) break;
    start = end;
  }
  return lines;
}

const SIMPLE_HEADER = /^ *[A-Za-z0-9_][A-Za-z0-9_.-]*:[ \t]*(?:#.*)?\r?\n?$/;

/** The entries of the block map whose keys are at `indent` in lines [from, to). */
function assembleMap(text: string, lines: Line[], from: number, to: number, indent: number, old: BlockCache | undefined, next: BlockCache): YAMLMap {
  const starts: number[] = [];
  for (let i = from; i < to; i++) {
    const l = lines[i];
    if (l.empty) continue;
    if (l.indent < indent || (l.indent === indent && l.dash && starts.length === 0)) throw new Fallback();
    if (l.indent === indent && !l.dash) starts.push(i);
    else if (starts.length === 0) throw new Fallback();
  }
  if (starts.length === 0) throw new Fallback();
  const map = new YAMLMap();
  let first: Range3 | undefined;
  let last: Range3 | undefined;
  for (let s = 0; s < starts.length; s++) {
    const a = starts[s];
    const b = s + 1 < starts.length ? starts[s + 1] : to;
    const { pair, container } = entry(text, lines, a, b, indent, old, next);
    map.items.push(pair);
    first ??= container;
    last = container;
  }
  map.range = [first![0], last![1], last![2]];
  return map;
}

/** One `key: …` entry spanning lines [a, b): split further when big and simple, else parsed whole. */
function entry(text: string, lines: Line[], a: number, b: number, indent: number, old: BlockCache | undefined, next: BlockCache): { pair: Pair<Node, Node | null>; container: Range3 } {
  const header = text.slice(lines[a].start, lines[a].end);
  const body = firstContent(lines, a + 1, b);
  if (b - a >= SPLIT_LINES && SIMPLE_HEADER.test(header) && body !== -1) {
    const head = block('entry', text, lines[a].start, lines[a].end, old, next);
    const pair = head.node as Pair<Node, Node | null>;
    const bodyLine = lines[body];
    let value: YAMLMap | YAMLSeq;
    if (bodyLine.dash && bodyLine.indent >= indent) value = assembleSeq(text, lines, a + 1, b, bodyLine.indent, old, next);
    else if (bodyLine.indent > indent) value = assembleMap(text, lines, a + 1, b, bodyLine.indent, old, next);
    else throw new Fallback();
    const split = new Pair(pair.key, value);
    // The full parser ends the entry's map where its value ends.
    return { pair: split as Pair<Node, Node | null>, container: [head.container[0], value.range![1], value.range![2]] };
  }
  const whole = block('entry', text, lines[a].start, lines[b - 1].end, old, next);
  return { pair: whole.node as Pair<Node, Node | null>, container: whole.container };
}

/** The items of the block list whose dashes are at `indent` in lines [from, to). */
function assembleSeq(text: string, lines: Line[], from: number, to: number, indent: number, old: BlockCache | undefined, next: BlockCache): YAMLSeq {
  const starts: number[] = [];
  for (let i = from; i < to; i++) {
    const l = lines[i];
    if (l.empty) continue;
    if (l.indent < indent || (l.indent === indent && !l.dash)) throw new Fallback();
    if (l.indent === indent) starts.push(i);
    else if (starts.length === 0) throw new Fallback();
  }
  const seq = new YAMLSeq();
  let first: Range3 | undefined;
  let last: Range3 | undefined;
  for (let s = 0; s < starts.length; s++) {
    const a = starts[s];
    const b = s + 1 < starts.length ? starts[s + 1] : to;
    const item = block('item', text, lines[a].start, lines[b - 1].end, old, next);
    seq.items.push(item.node as Node);
    first ??= item.container;
    last = item.container;
  }
  seq.range = [first![0], last![1], last![2]];
  return seq;
}

function firstContent(lines: Line[], from: number, to: number): number {
  for (let i = from; i < to; i++) if (!lines[i].empty) return i;
  return -1;
}

/** Parses text[start, end) on its own, or reuses the block parsed from the same text last time. */
function block(kind: ParsedBlock['kind'], text: string, start: number, end: number, old: BlockCache | undefined, next: BlockCache): ParsedBlock {
  const source = text.slice(start, end);
  const key = `${kind}\u0000${source}`;
  const reusable = old?.blocks.get(key);
  let found = reusable?.pop();
  if (found) {
    if (found.base !== start) shift(found, start - found.base);
  } else {
    found = parseBlock(kind, source, start);
  }
  const list = next.blocks.get(key);
  if (list) list.push(found);
  else next.blocks.set(key, [found]);
  return found;
}

function parseBlock(kind: ParsedBlock['kind'], source: string, base: number): ParsedBlock {
  const doc = parseDocument(source, PARSE_OPTIONS);
  if (doc.errors.length || doc.warnings.length) throw new Fallback();
  const contents = doc.contents as Node | null;
  let node: ParsedBlock['node'];
  if (kind === 'entry') {
    if (!isMap(contents) || contents.items.length !== 1 || contents.flow) throw new Fallback();
    node = contents.items[0] as Pair<Node, Node | null>;
  } else {
    if (!isSeq(contents) || contents.items.length !== 1 || contents.flow) throw new Fallback();
    node = contents.items[0] as Node | null;
  }
  const parsed: ParsedBlock = { kind, text: source, base: 0, node, container: [...contents.range!] as Range3, doc };
  if (base !== 0) shift(parsed, base);
  return parsed;
}

/** Moves every range in a block by `delta` characters. */
function shift(b: ParsedBlock, delta: number): void {
  const move = (node: any) => {
    const r = node?.range;
    if (r) {
      r[0] += delta;
      r[1] += delta;
      r[2] += delta;
    }
  };
  b.container = [b.container[0] + delta, b.container[1] + delta, b.container[2] + delta];
  visit(b.doc, {
    Node(_, node) {
      move(node);
    },
  });
  b.base += delta;
}

