// A cheap scan that finds YAML nested deeper than any policy config needs, before the recursive YAML
// parser sees it: thousands of levels overflow the stack, and V8 may then abort the whole process
// (a regex compiled near the stack limit fails as "out of memory"), taking the language server with it.

/** Open `[`/`{` levels allowed; a policy config uses flow style for short lists only. */
export const MAX_FLOW_DEPTH = 64;
/** Columns of leading indentation (spaces, tabs and compact `- `/`? `/`: ` markers) allowed on a line. */
export const MAX_BLOCK_INDENT = 256;

const SPACE = 32, TAB = 9, LF = 10, CR = 13, HASH = 35, DQ = 34, SQ = 39, BACKSLASH = 92;
const DASH = 45, QUESTION = 63, COLON = 58, LBRACKET = 91, RBRACKET = 93, LBRACE = 123, RBRACE = 125, COMMA = 44;

const isBlank = (c: number) => c === SPACE || c === TAB;
const isBreak = (c: number) => c === LF || c === CR;

/**
 * Offset where the text first nests deeper than the limits, or -1. Quoted scalars and comments are
 * skipped; brackets inside plain scalars count, which can only over-estimate on texts no config has.
 */
export function tooDeepAt(text: string, maxFlow = MAX_FLOW_DEPTH, maxIndent = MAX_BLOCK_INDENT): number {
  const n = text.length;
  let flow = 0;
  let indent = 0;
  let leading = true;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isBreak(c)) {
      leading = true;
      indent = 0;
      continue;
    }
    if (leading) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : SPACE;
      if (isBlank(c) || ((c === DASH || c === QUESTION || c === COLON) && (isBlank(next) || isBreak(next)))) {
        if (++indent > maxIndent) return i;
        continue;
      }
      leading = false;
    }
    const prev = i > 0 ? text.charCodeAt(i - 1) : LF;
    if (c === HASH && (isBlank(prev) || isBreak(prev))) {
      while (i + 1 < n && !isBreak(text.charCodeAt(i + 1))) i++;
    } else if ((c === DQ || c === SQ) && startsScalar(text, i)) {
      i = closingQuote(text, i, c);
    } else if (c === LBRACKET || c === LBRACE) {
      if (++flow > maxFlow) return i;
    } else if ((c === RBRACKET || c === RBRACE) && flow > 0) {
      flow--;
    }
  }
  return -1;
}

/** A quote opens a quoted scalar only where a scalar may start. */
function startsScalar(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && isBlank(text.charCodeAt(j))) j--;
  if (j < 0) return true;
  const p = text.charCodeAt(j);
  return isBreak(p) || p === LBRACKET || p === LBRACE || p === COMMA || p === COLON || p === DASH || p === QUESTION;
}

/** Index of the quote that closes the scalar opened at `i` (the text's end when it never closes). */
function closingQuote(text: string, i: number, quote: number): number {
  const n = text.length;
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j);
    if (quote === DQ && c === BACKSLASH) j++;
    else if (c === quote) {
      if (quote === SQ && j + 1 < n && text.charCodeAt(j + 1) === SQ) j++; // '' is an escaped quote
      else return j;
    }
  }
  return n;
}
