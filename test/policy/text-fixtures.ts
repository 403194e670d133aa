// Test-side helpers: apply LSP text edits, and locate expected ranges by the token they should cover.
import assert from 'node:assert/strict';
import type { Range, TextEdit } from '../../gateway/policy/types';

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function offsetOf(starts: number[], text: string, line: number, character: number): number {
  assert.ok(line >= 0 && line < starts.length, `edit line ${line} outside the text`);
  const lineEnd = line + 1 < starts.length ? starts[line + 1] : text.length + 1;
  const offset = starts[line] + character;
  assert.ok(character >= 0 && offset < lineEnd, `edit character ${character} outside line ${line}`);
  return offset;
}

/** Applies non-overlapping edits (positions refer to the original text), as an editor would. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = lineStarts(text);
  const spans = edits
    .map((e) => ({
      from: offsetOf(starts, text, e.range.start.line, e.range.start.character),
      to: offsetOf(starts, text, e.range.end.line, e.range.end.character),
      newText: e.newText,
    }))
    .sort((a, b) => b.from - a.from);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i].to <= spans[i - 1].from, 'edits overlap');
  let out = text;
  for (const s of spans) {
    assert.ok(s.from <= s.to, 'edit range is reversed');
    out = out.slice(0, s.from) + s.newText + out.slice(s.to);
  }
  return out;
}

/**
 * The range of `token` on the one line of `text` containing `lineNeedle` (0-based, LSP style).
 * Without `occurrence` the needle must be on exactly one line; with it, picks among them (1 = first).
 */
export function at(text: string, lineNeedle: string, token = lineNeedle, occurrence?: number): Range {
  const lines = text.split('\n');
  const matches = lines.flatMap((l, i) => (l.includes(lineNeedle) ? [i] : []));
  if (occurrence === undefined) assert.equal(matches.length, 1, `"${lineNeedle}" is on ${matches.length} lines; pass an occurrence`);
  const n = occurrence ?? 1;
  assert.ok(matches.length >= n, `fixture has ${matches.length} line(s) with "${lineNeedle}", wanted #${n}`);
  const line = matches[n - 1];
  const character = lines[line].indexOf(token);
  assert.ok(character >= 0, `"${token}" not on line ${line}: ${lines[line]}`);
  return { start: { line, character }, end: { line, character: character + token.length } };
}
