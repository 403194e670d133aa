// Caret fixtures: `provider: op|` marks the cursor with `|` (one per fixture).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Position } from '../../../gateway/policy/types';

export function caret(marked: string): { text: string; position: Position } {
  const at = marked.indexOf('|');
  if (at === -1 || marked.indexOf('|', at + 1) !== -1) throw new Error('a caret fixture needs exactly one "|"');
  const text = marked.slice(0, at) + marked.slice(at + 1);
  const before = marked.slice(0, at).split('\n');
  return { text, position: { line: before.length - 1, character: before[before.length - 1].length } };
}

export function fixture(name: string): string {
  return readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8');
}

/** The fixture file with a caret placed after the first occurrence of `after` on the line containing `on`. */
export function caretIn(text: string, on: string, after: string, occurrence = 0): { text: string; position: Position } {
  const lines = text.split('\n');
  let seen = 0;
  for (let line = 0; line < lines.length; line++) {
    if (!lines[line].includes(on)) continue;
    if (seen++ < occurrence) continue;
    const character = lines[line].indexOf(after) + after.length;
    if (character < after.length) throw new Error(`"${after}" is not on the line "${lines[line]}"`);
    return { text, position: { line, character } };
  }
  throw new Error(`no line contains "${on}"`);
}
