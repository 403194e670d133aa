// Where the cursor is in the YAML structure, read from indentation: completion happens mid-edit, when
// the text is often not valid YAML yet, so it cannot rely on the parsed tree.

export type PathSegment = string | number;

export interface LineShape {
  /** Columns of the `- ` sequence indicators that open the line. */
  dashes: number[];
  /** Column where the content after indentation and dashes starts. */
  keyCol: number;
  /** The key when the content is `key:` or `key: value`. */
  key?: string;
  keyEnd?: number;
  /** Inline value after `key:` without a trailing comment, and its column. */
  value?: string;
  valueCol?: number;
  /** Content without a key (a scalar list item, or a key being typed). */
  content?: string;
  blank: boolean;
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\-?:,[\]{}][^#]*?|-[^\s#][^#]*?)\s*:(?=\s|$)/;

export function shapeLine(line: string): LineShape {
  let col = 0;
  while (line[col] === ' ') col++;
  const dashes: number[] = [];
  while (line[col] === '-' && (col + 1 === line.length || line[col + 1] === ' ' || line[col + 1] === '\t' || line[col + 1] === '\r')) {
    dashes.push(col);
    col++;
    while (line[col] === ' ') col++;
  }
  const rest = line.slice(col).replace(/\r$/, '');
  if ((rest === '' || rest.startsWith('#')) && dashes.length === 0) return { dashes, keyCol: col, blank: true };
  const m = KEY.exec(rest);
  if (!m) return { dashes, keyCol: col, content: stripComment(rest), blank: false };
  const rawKey = m[1];
  const key = /^["']/.test(rawKey) ? rawKey.slice(1, -1) : rawKey;
  let valueCol = col + m[0].length;
  while (line[valueCol] === ' ' || line[valueCol] === '\t') valueCol++;
  const value = stripComment(line.slice(valueCol).replace(/\r$/, ''));
  return { dashes, keyCol: col, key, keyEnd: col + rawKey.length, value, valueCol, blank: false };
}

function stripComment(text: string): string {
  if (text.startsWith('#')) return '';
  const hash = text.search(/\s#/);
  return (hash === -1 ? text : text.slice(0, hash)).trimEnd();
}

export function shapeLines(text: string): LineShape[] {
  return text.split('\n').map(shapeLine);
}

/** An ancestor of the cursor: the path segment it adds, and the line and column of its entries. */
export interface Frame {
  segment: PathSegment;
  line: number;
  col: number;
}

/** Column of the content that follows the dash at `dash` on a line (the item's entries). */
function afterDash(s: LineShape | undefined, dash: number, fallback: number): number {
  const k = s ? s.dashes.indexOf(dash) : -1;
  if (!s || k === -1) return fallback;
  return k + 1 < s.dashes.length ? s.dashes[k + 1] : s.keyCol;
}

function firstCol(s: LineShape): number {
  return s.dashes.length ? s.dashes[0] : s.keyCol;
}

/**
 * The path from the root to the mapping entry (or scalar list item) at `col` on line `line`, whose
 * line starts with the sequence indicators `dashes`. Frames list the ancestors' keys and items.
 */
export function pathAt(shapes: readonly LineShape[], line: number, col: number, dashes: readonly number[]): Frame[] {
  const frames: Frame[] = [];
  let mode: 'entry' | 'item' = 'entry';
  let at = line;
  let column = col;

  // An entry that follows dashes on its own line is the first entry of the innermost item.
  const enterLine = (j: number, entryCol: number, lineDashes: readonly number[]) => {
    at = j;
    if (lineDashes.length === 0) {
      mode = 'entry';
      column = entryCol;
      return;
    }
    for (let k = lineDashes.length - 1; k >= 1; k--) frames.unshift({ segment: 0, line: j, col: afterDash(shapes[j], lineDashes[k], entryCol) });
    mode = 'item';
    column = lineDashes[0];
  };
  enterLine(line, col, dashes);

  for (let guard = 0; guard < shapes.length + 2; guard++) {
    if (mode === 'entry') {
      let parent = -1;
      for (let j = Math.min(at, shapes.length) - 1; j >= 0; j--) {
        const s = shapes[j];
        if (s.blank || s.keyCol > column) continue;
        if (s.dashes.length && s.dashes[0] >= column) continue;
        if (s.keyCol === column) {
          if (s.dashes.length) {
            parent = j;
            break;
          }
          continue;
        }
        parent = j;
        break;
      }
      if (parent === -1) return frames;
      const s = shapes[parent];
      if (s.keyCol === column) {
        enterLine(parent, column, s.dashes);
        continue;
      }
      if (s.key === undefined) return frames;
      frames.unshift({ segment: s.key, line: parent, col: s.keyCol });
      enterLine(parent, s.keyCol, s.dashes);
    } else {
      let index = 0;
      let parent = -1;
      for (let j = Math.min(at, shapes.length) - 1; j >= 0; j--) {
        const s = shapes[j];
        if (s.blank) continue;
        if (s.dashes.includes(column)) {
          if (s.dashes[0] === column) {
            index++;
            continue;
          }
          // A nested sequence that starts on this line: items below it are its later items.
          index++;
          const k = s.dashes.indexOf(column);
          frames.unshift({ segment: index, line: at, col: afterDash(shapes[at], column, column + 2) });
          for (let n = k - 1; n >= 1; n--) frames.unshift({ segment: 0, line: j, col: afterDash(s, s.dashes[n], s.dashes[n] + 2) });
          at = j;
          mode = 'item';
          column = s.dashes[0];
          parent = -2;
          break;
        }
        if (firstCol(s) > column) continue;
        parent = j;
        break;
      }
      if (parent === -2) continue;
      if (parent === -1) {
        frames.unshift({ segment: index, line: at, col: afterDash(shapes[at], column, column + 2) });
        return frames;
      }
      const s = shapes[parent];
      // `key:` at the dash column or left of it owns the sequence (YAML allows unindented lists).
      if (s.key === undefined || s.keyCol > column || (s.keyCol === column && s.value)) {
        frames.unshift({ segment: index, line: at, col: afterDash(shapes[at], column, column + 2) });
        return frames;
      }
      frames.unshift({ segment: index, line: at, col: afterDash(shapes[at], column, column + 2) });
      frames.unshift({ segment: s.key, line: parent, col: s.keyCol });
      enterLine(parent, s.keyCol, s.dashes);
    }
  }
  return frames;
}

export interface SiblingEntry {
  key: string;
  value?: string;
  line: number;
}

/** The other entries of the block mapping whose entry at `col` is on `line` (and that entry with includeSelf). */
export function siblingsAt(shapes: readonly LineShape[], line: number, col: number, includeSelf = false): SiblingEntry[] {
  const out: SiblingEntry[] = [];
  const own = shapes[line];
  if (includeSelf && own?.key !== undefined && own.keyCol === col) out.push({ key: own.key, value: own.value, line });
  const startsItem = own !== undefined && own.keyCol === col && own.dashes.length > 0;
  if (!startsItem) {
    for (let j = Math.min(line, shapes.length) - 1; j >= 0; j--) {
      const s = shapes[j];
      if (s.blank || s.keyCol > col || (s.dashes.length && s.dashes[0] >= col)) continue;
      if (s.keyCol < col) break;
      if (s.key !== undefined) out.push({ key: s.key, value: s.value, line: j });
      if (s.dashes.length) break;
    }
  }
  for (let j = line + 1; j < shapes.length; j++) {
    const s = shapes[j];
    if (s.blank) continue;
    if ((s.dashes.length && s.dashes[0] < col) || s.keyCol < col) break;
    if (s.keyCol === col && s.key !== undefined && !s.dashes.length) out.push({ key: s.key, value: s.value, line: j });
  }
  return out;
}

export type CursorPlace =
  /** Typing a mapping key: `prefix` so far, from `start` to `end` on the line. */
  | { kind: 'key'; path: PathSegment[]; frames: Frame[]; line: number; col: number; start: number; end: number; prefix: string; colonFollows: boolean }
  /** Typing the value of `path`'s last key (or a scalar list item). */
  | { kind: 'value'; path: PathSegment[]; frames: Frame[]; line: number; col: number; start: number; end: number; prefix: string; needsSpace: boolean }
  /** In a comment. */
  | { kind: 'none' };

/** The cursor's place in the structure, from the line shapes and the raw text of the cursor's line. */
export function cursorPlace(shapes: readonly LineShape[], lineText: string, line: number, character: number): CursorPlace {
  const shape = shapeLine(lineText);
  const before = lineText.slice(0, character);
  if (before.trim().startsWith('#') || /\s#/.test(before.slice(shape.keyCol))) return { kind: 'none' };
  const blankBefore = before.slice(shape.keyCol).trim() === '';
  if (shape.key !== undefined && shape.keyEnd !== undefined && character > shape.keyEnd) {
    const frames = pathAt(shapes, line, shape.keyCol, shape.dashes);
    const valueStart = shape.value && shape.valueCol !== undefined && shape.valueCol <= character ? shape.valueCol : character;
    const valueEnd = shape.value && shape.valueCol !== undefined ? Math.max(character, shape.valueCol + shape.value.length) : character;
    return {
      kind: 'value', frames, path: [...frames.map((f) => f.segment), shape.key], line, col: shape.keyCol,
      start: valueStart, end: valueEnd, prefix: lineText.slice(valueStart, character), needsSpace: lineText[character - 1] === ':',
    };
  }
  // A blank line: the entry goes where the cursor is (the user has indented it already).
  const col = blankBefore && !shape.dashes.length ? character : shape.keyCol;
  const frames = pathAt(shapes, line, col, shape.dashes.filter((d) => d < col));
  const wordStart = blankBefore ? character : shape.keyCol;
  const rawEnd = shape.key !== undefined && shape.keyEnd !== undefined ? shape.keyEnd : shape.keyCol + (shape.content?.length ?? 0);
  const wordEnd = Math.max(character, blankBefore ? character : rawEnd);
  const path = frames.map((f) => f.segment);
  return {
    kind: 'key', frames, path, line, col, start: wordStart, end: wordEnd, prefix: lineText.slice(wordStart, character),
    colonFollows: shape.key !== undefined,
  };
}
