// A fast parser for the block-style YAML that policy configs are written in. It builds the same `yaml`
// nodes (YAMLMap, YAMLSeq, Pair, Scalar) with the same ranges, sources, types and values that
// `parseDocument` gives, in a fraction of the time, because it reads lines instead of tokens.
//
// The subset, all of which must hold or the whole text is declined (the caller then uses `parseDocument`):
// - LF line breaks; no tabs, CR, BOM or other control characters anywhere; a root map or list at column 0.
// - Lines are blank, full-line comments, `key: value`, `key:` (a nested block or an empty value follows),
//   `- value`, `- key: value` (a map inside a list item), or a bare `-`.
// - Keys are plain or quoted and on one line; values are one-line plain, 'single' or "double" (without
//   backslash escapes) quoted scalars or an empty `[]` / `{}`, with an optional `# comment` after a space.
// - Lists may sit at their key's column (`key:` then `- item`) or deeper.
// Declined, among others: other flow collections, anchors, aliases, tags, block scalars, multi-line scalars,
// `?` keys, document markers and directives, any indentation the full parser would report, and comments
// right after a `key:` or `-` whose value turns out empty (yaml attaches those in ways not worth copying).
//
// Comments are skipped, but where yaml's parser would attach a comment line to a node it can stretch that
// node's range end (range[2]); that is copied exactly. The nodes' `comment`, `commentBefore` and
// `spaceBefore` fields are not set: nothing in the policy model reads them.
import { isScalar, parseDocument, Pair, Scalar, YAMLMap, YAMLSeq, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions, type ScalarTag } from 'yaml';

export type FastYamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * Whether callers try the fast path. `KT_YAML_FAST=0` in the environment turns it off (read once at load),
 * to compare results or timings; the equivalence tests flip it.
 */
export const fastYaml = { enabled: typeof process === 'undefined' || process.env?.KT_YAML_FAST !== '0' };

/** Thrown inside the parser when the text leaves the subset; never escapes this module. */
class Decline extends Error {}

type Range3 = [number, number, number];

/** An open block collection: its node, the column of its keys or dashes, and a trailing comment's end. */
interface Frame {
  node: YAMLMap | YAMLSeq;
  isMap: boolean;
  indent: number;
  start: number;
  commentEnd?: number;
}

/** A `key:` or `-` whose value is decided by the next content line: a nested block, or empty. */
interface Pending {
  pair?: Pair<Scalar, unknown>;
  seq?: YAMLSeq;
  /** Column of the key, or of the dash. */
  indent: number;
  /** Where yaml places an empty value: after the indicator and the spaces that follow it. */
  emptyAt: number;
  hasComment: boolean;
}

// Anything outside printable text plus LF; lone surrogates are fine for yaml and for us.
const UNSUPPORTED_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
// A plain scalar may not start with one of these (`-` is handled on its own).
const INDICATORS = new Set(['?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

/**
 * The Document `parseDocument(text, options)` would return, or undefined when `text` is outside the subset.
 * Only documents without errors or warnings are produced; anything yaml would complain about is declined.
 */
export function parseBlockYaml(text: string, options: FastYamlOptions = {}): Document.Parsed | undefined {
  if (!supportedOptions(options) || UNSUPPORTED_CHARS.test(text)) return undefined;
  try {
    return new BlockParser(text, options).parse();
  } catch (error) {
    if (error instanceof Decline) return undefined;
    throw error;
  }
}

/** Options that change how scalars resolve, what nodes carry or what the parse reports are left to yaml. */
function supportedOptions(o: FastYamlOptions): boolean {
  return (o.version ?? '1.2') === '1.2' && (o.schema ?? 'core') === 'core' && !o.customTags && !o.merge && !o.keepSourceTokens
    && !o.stringKeys && !o.lineCounter;
}

class BlockParser {
  private readonly text: string;
  private readonly doc: Document.Parsed;
  private readonly plainTags: ScalarTag[];
  private readonly keyTags: ScalarTag[];
  private readonly stringTag: ScalarTag;
  private readonly stack: Frame[] = [];
  private rootNode: YAMLMap | YAMLSeq | undefined;
  private pending: Pending | undefined;
  /** The last line's scalar value, which more-indented comment lines right after it extend. */
  private attachTo: Scalar | YAMLMap | YAMLSeq | undefined;
  private attachIndent = 0;
  /** Deepest column of the comment lines since the last content line that were not attached (-1: none). */
  private commentIndent = -1;

  constructor(text: string, options: FastYamlOptions) {
    this.text = text;
    // An empty parse carries exactly the options, directives and schema a full parse would.
    this.doc = parseDocument('', options);
    const tags = this.doc.schema.tags as ScalarTag[];
    this.plainTags = tags.filter((t) => t.default === true && t.test && !('collection' in t && t.collection));
    this.keyTags = tags.filter((t) => (t.default === true || t.default === 'key') && t.test && !('collection' in t && t.collection));
    const str = tags.find((t) => t.tag === 'tag:yaml.org,2002:str');
    if (!str) throw new Decline();
    this.stringTag = str;
  }

  parse(): Document.Parsed {
    const text = this.text;
    for (let pos = 0; pos < text.length;) {
      const nl = text.indexOf('\n', pos);
      const lineEnd = nl === -1 ? text.length : nl;
      const next = nl === -1 ? text.length : nl + 1;
      let s = pos;
      while (s < lineEnd && text.charCodeAt(s) === 32) s++;
      if (s < lineEnd) {
        if (text.charCodeAt(s) === 35 /* # */) this.commentLine(s - pos, next);
        else this.contentLine(pos, s, lineEnd, next);
      }
      pos = next;
    }
    if (this.stack.length === 0 || this.pending?.hasComment) throw new Decline();
    const endsEmpty = this.pending !== undefined;
    if (this.pending) this.resolveEmpty(this.pending);
    while (this.stack.length > 0) this.close(text.length);
    const root = this.rootNode!;
    const contentEnd = root.range![2];
    this.doc.contents = root as Document.Parsed['contents'];
    // Blank lines after an empty last value stay inside it in yaml's parse, so the document ends there.
    this.doc.range = [root.range![0], contentEnd, endsEmpty ? contentEnd : text.length];
    return this.doc;
  }

  private commentLine(indent: number, next: number): void {
    if (this.attachTo) {
      // yaml adds a comment indented deeper than the current collection to the value before it.
      if (indent > this.attachIndent) {
        this.attachTo.range![2] = next;
        return;
      }
      this.attachTo = undefined;
    }
    if (this.pending) this.pending.hasComment = true;
    else if (indent > this.commentIndent) this.commentIndent = indent;
  }

  private contentLine(lineStart: number, s: number, lineEnd: number, next: number): void {
    const text = this.text;
    const indent = s - lineStart;
    this.attachTo = undefined;
    if (indent === 0 && (text.startsWith('---', s) || text.startsWith('...', s))) throw new Decline();
    const dash = isDashAt(text, s, lineEnd);
    if (this.stack.length === 0) {
      if (indent !== 0) throw new Decline();
      this.open(dash, indent, s);
      this.rootNode = this.stack[0].node;
    } else if (this.pending && this.opensNested(this.pending, indent, dash)) {
      const pending = this.pending;
      this.pending = undefined;
      const frame = this.open(dash, indent, s);
      pending.pair!.value = frame.node;
    } else {
      if (this.pending) {
        if (this.pending.hasComment || (this.pending.seq && indent > this.pending.indent)) throw new Decline();
        this.resolveEmpty(this.pending);
        this.pending = undefined;
      }
      this.dedentTo(indent, dash, s);
    }
    // Comment lines not kept by a closed collection lead into this line's item.
    const commentedBefore = this.commentIndent >= 0;
    this.commentIndent = -1;
    const top = this.stack[this.stack.length - 1];
    if (dash) this.dashLine(top, s, lineEnd, next, commentedBefore);
    else this.keyLine(top, s, lineEnd, next);
  }

  /** After `key:`, a deeper line (or a dash at the key's column) starts the key's block value. */
  private opensNested(p: Pending, indent: number, dash: boolean): boolean {
    return p.pair !== undefined && (indent > p.indent || (indent === p.indent && dash));
  }

  private open(isSeq: boolean, indent: number, start: number): Frame {
    const node = isSeq ? new YAMLSeq(this.doc.schema) : new YAMLMap(this.doc.schema);
    const frame: Frame = { node, isMap: !isSeq, indent, start };
    this.stack.push(frame);
    return frame;
  }

  /** Closes collections the line is outside of; the line must then continue the innermost one left. */
  private dedentTo(indent: number, dash: boolean, at: number): void {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) throw new Decline();
      if (top.indent > indent || (!top.isMap && top.indent === indent && !dash)) {
        if (this.stack.length === 1) throw new Decline();
        this.close(at);
        continue;
      }
      if (top.indent !== indent || top.isMap === dash) throw new Decline();
      return;
    }
  }

  /**
   * Sets a finished collection's range. yaml keeps comment lines that trail a collection inside it when
   * one of them is at least as deep as the collection (and it is not at column 0): then its range runs
   * up to the next content (`nextContent`).
   */
  private close(nextContent: number): void {
    const frame = this.stack.pop()!;
    if (this.commentIndent >= 0 && frame.indent !== 0 && this.commentIndent >= frame.indent) {
      frame.commentEnd = nextContent;
      this.commentIndent = -1;
    }
    const items = frame.node.items as unknown[];
    const last = items[items.length - 1];
    const lastNode = (frame.isMap ? (last as Pair<Scalar, Scalar | YAMLMap | YAMLSeq>).value : last) as Scalar | YAMLMap | YAMLSeq;
    const end = lastNode.range![2];
    frame.node.range = [frame.start, end, frame.commentEnd ?? end];
  }

  private resolveEmpty(p: Pending): void {
    const empty = this.plain('', p.emptyAt, p.emptyAt, p.emptyAt, false);
    if (p.pair) p.pair.value = empty;
    else p.seq!.items.push(empty);
  }

  /** `- …` in a list: an empty item, a scalar, or the first entry of a map inside the item. */
  private dashLine(frame: Frame, s: number, lineEnd: number, next: number, commentedBefore: boolean): void {
    const text = this.text;
    const seq = frame.node as YAMLSeq;
    let r = s + 1;
    while (r < lineEnd && text.charCodeAt(r) === 32) r++;
    if (r === lineEnd) {
      // yaml stretches an empty item over comments before its dash too.
      this.pending = { seq, indent: frame.indent, emptyAt: r, hasComment: commentedBefore };
      return;
    }
    const c = text[r];
    if (c === '#' || isDashAt(text, r, lineEnd)) throw new Decline();
    const key = this.key(r, lineEnd);
    if (key) {
      const inner = this.open(false, r - (s - frame.indent), r);
      seq.items.push(inner.node);
      this.entry(inner, key.node, key.after, lineEnd, next);
      return;
    }
    const value = this.value(r, lineEnd, next);
    seq.items.push(value);
    this.attach(value, frame, lineEnd);
  }

  private keyLine(frame: Frame, s: number, lineEnd: number, next: number): void {
    const key = this.key(s, lineEnd);
    if (!key) throw new Decline();
    this.entry(frame, key.node, key.after, lineEnd, next);
  }

  /** The part of `key: …` after the colon: nothing (pending), a comment (pending), or a scalar. */
  private entry(frame: Frame, key: Scalar, afterColon: number, lineEnd: number, next: number): void {
    const text = this.text;
    const map = frame.node as YAMLMap;
    let r = afterColon;
    while (r < lineEnd && text.charCodeAt(r) === 32) r++;
    const pair = new Pair<Scalar, unknown>(key, null);
    map.items.push(pair as Pair<unknown, unknown>);
    if (r === lineEnd || text[r] === '#') {
      this.pending = { pair, indent: frame.indent, emptyAt: r, hasComment: r < lineEnd };
      return;
    }
    if (isDashAt(text, r, lineEnd)) throw new Decline();
    const value = this.value(r, lineEnd, next);
    pair.value = value;
    this.attach(value, frame, lineEnd);
  }

  private attach(value: Scalar | YAMLMap | YAMLSeq, frame: Frame, lineEnd: number): void {
    if (lineEnd < this.text.length) {
      this.attachTo = value;
      this.attachIndent = frame.indent;
    }
  }

  /** An implicit key at `s` up to `: ` (or `:` at the line end); undefined when the line has none. */
  private key(s: number, lineEnd: number): { node: Scalar; after: number } | undefined {
    const text = this.text;
    const c = text[s];
    if (c === "'" || c === '"') {
      const q = this.quoted(s, lineEnd);
      if (text[q.end] !== ':' || (q.end + 1 < lineEnd && text.charCodeAt(q.end + 1) !== 32)) return undefined;
      const node = this.quotedScalar(q.value, c, s, q.end, q.end);
      return { node, after: q.end + 1 };
    }
    if (INDICATORS.has(c) || isDashAt(text, s, lineEnd)) return undefined;
    for (let i = s; i < lineEnd; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 58 /* : */ && (i + 1 === lineEnd || text.charCodeAt(i + 1) === 32)) {
        if (text.charCodeAt(i - 1) === 32) throw new Decline();
        return { node: this.plain(text.slice(s, i), s, i, i, true), after: i + 1 };
      }
      // A comment before any colon, or flow punctuation: not a key this parser reads.
      if ((ch === 35 /* # */ && text.charCodeAt(i - 1) === 32) || ch === 91 || ch === 93 || ch === 123 || ch === 125) return undefined;
    }
    return undefined;
  }

  /** A one-line scalar (or empty flow collection) at `r`; its range ends after the line break, as yaml's does. */
  private value(r: number, lineEnd: number, next: number): Scalar | YAMLMap | YAMLSeq {
    const text = this.text;
    const c = text[r];
    if ((c === '[' && text[r + 1] === ']') || (c === '{' && text[r + 1] === '}')) {
      this.expectLineEnd(r + 2, lineEnd);
      const empty = c === '[' ? new YAMLSeq(this.doc.schema) : new YAMLMap(this.doc.schema);
      empty.flow = true;
      empty.range = [r, r + 2, next];
      return empty;
    }
    if (c === "'" || c === '"') {
      const q = this.quoted(r, lineEnd);
      this.expectLineEnd(q.end, lineEnd);
      return this.quotedScalar(q.value, c, r, q.end, next);
    }
    if (INDICATORS.has(c) || (c === '-' && r + 1 < lineEnd && text.charCodeAt(r + 1) === 32)) throw new Decline();
    let end = r;
    for (let i = r; i < lineEnd; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 32) continue;
      if (ch === 35 /* # */ && text.charCodeAt(i - 1) === 32) break;
      // `key: a: b` is a nested map on one line, an error in block style.
      if (ch === 58 /* : */ && (i + 1 === lineEnd || text.charCodeAt(i + 1) === 32)) throw new Decline();
      end = i + 1;
    }
    return this.plain(text.slice(r, end), r, end, next, false);
  }

  /** After a quoted scalar only spaces and a comment may follow. */
  private expectLineEnd(from: number, lineEnd: number): void {
    const text = this.text;
    let i = from;
    while (i < lineEnd && text.charCodeAt(i) === 32) i++;
    if (i < lineEnd && !(text.charCodeAt(i) === 35 && i > from)) throw new Decline();
  }

  /** A quoted scalar that closes on its own line; double quotes without escapes. */
  private quoted(s: number, lineEnd: number): { value: string; end: number } {
    const text = this.text;
    const quote = text[s];
    let value = '';
    let from = s + 1;
    for (;;) {
      const close = text.indexOf(quote, from);
      if (close === -1 || close >= lineEnd) throw new Decline();
      if (quote === '"') {
        const slash = text.indexOf('\\', s + 1);
        if (slash !== -1 && slash < close) throw new Decline();
        return { value: text.slice(s + 1, close), end: close + 1 };
      }
      value += text.slice(from, close);
      if (text[close + 1] === "'") {
        value += "'";
        from = close + 2;
        continue;
      }
      return { value, end: close + 1 };
    }
  }

  private quotedScalar(value: string, quote: string, start: number, end: number, nodeEnd: number): Scalar {
    const scalar = this.resolve(this.stringTag, value);
    scalar.range = [start, end, nodeEnd];
    scalar.source = value;
    scalar.type = quote === '"' ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE;
    return scalar;
  }

  /** A plain scalar resolved by the core schema's tests, as yaml's composer does. */
  private plain(source: string, start: number, end: number, nodeEnd: number, atKey: boolean): Scalar {
    const tags = atKey ? this.keyTags : this.plainTags;
    let tag = this.stringTag;
    for (const t of tags) {
      if (t.test!.test(source)) {
        tag = t;
        break;
      }
    }
    const scalar = this.resolve(tag, source);
    scalar.range = [start, end, nodeEnd] as Range3;
    scalar.source = source;
    scalar.type = Scalar.PLAIN;
    if (tag.format) scalar.format = tag.format;
    return scalar;
  }

  private resolve(tag: ScalarTag, source: string): Scalar {
    const res = tag.resolve(source, () => {
      throw new Decline();
    }, this.doc.options);
    return isScalar(res) ? (res as Scalar) : new Scalar(res);
  }
}

/** `-` followed by a space or the line end: a list item indicator. */
function isDashAt(text: string, i: number, lineEnd: number): boolean {
  return text.charCodeAt(i) === 45 && (i + 1 === lineEnd || text.charCodeAt(i + 1) === 32);
}
