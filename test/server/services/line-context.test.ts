import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cursorPlace, shapeLine, shapeLines, siblingsAt } from '../../../server/services/line-context';
import { caret } from '../support/caret';

function pathOf(marked: string, kind: 'key' | 'value') {
  const place = placeOf(marked);
  assert.equal(place.kind, kind);
  return place.path;
}

function placeOf(marked: string) {
  const { text, position } = caret(marked);
  const lines = text.split('\n');
  return cursorPlace(shapeLines(text), lines[position.line], position.line, position.character);
}

test('shapeLine reads dashes, key, value and strips comments', () => {
  assert.deepEqual(shapeLine('    - id: openai # main'), { dashes: [4], keyCol: 6, key: 'id', keyEnd: 8, value: 'openai', valueCol: 10, blank: false });
  assert.deepEqual(shapeLine('  base_url: http://x:1/v1'), { dashes: [], keyCol: 2, key: 'base_url', keyEnd: 10, value: 'http://x:1/v1', valueCol: 12, blank: false });
  assert.equal(shapeLine('   # only a comment').blank, true);
  assert.equal(shapeLine('').blank, true);
  assert.deepEqual(shapeLine('    - audit-logger'), { dashes: [4], keyCol: 6, content: 'audit-logger', blank: false });
  assert.equal(shapeLine('"quoted key": 1').key, 'quoted key');
});

test('value place inside a group model gives the full path and the typed prefix', () => {
  const place = placeOf(['model_groups:', '  - name: a', '    models:', '      - provider: op|', '        model: x'].join('\n'));
  assert.equal(place.kind, 'value');
  assert.ok(place.kind === 'value');
  assert.deepEqual(place.path, ['model_groups', 0, 'models', 0, 'provider']);
  assert.equal(place.prefix, 'op');
  assert.deepEqual([place.start, place.end], [18, 20]);
});

test('indices count the sibling items above, including unindented lists', () => {
  const path = pathOf(['model_groups:', '- name: a', '  models: []', '- name: b', '  models:', '  - provider: x', '    model: y', '  - provider: z', '    model: |'].join('\n'), 'value');
  assert.deepEqual(path, ['model_groups', 1, 'models', 1, 'model']);
});

test('a blank indented line is a key place in the mapping that indentation selects', () => {
  const text = ['providers:', '  targets:', '    - id: openai', '      provider:', '        base_url: https://x', '        |'].join('\n');
  assert.deepEqual(pathOf(text, 'key'), ['providers', 'targets', 0, 'provider']);
  assert.deepEqual(pathOf(text.replace('        |', '      |'), 'key'), ['providers', 'targets', 0]);
  assert.deepEqual(pathOf(text.replace('        |', '    |'), 'key'), ['providers', 'targets']);
  assert.deepEqual(pathOf(text.replace('        |', '|'), 'key'), []);
});

test('a partly typed key without a colon is a key place with its prefix', () => {
  const place = placeOf(['model_groups:', '  - name: a', '    strat|'].join('\n'));
  assert.ok(place.kind === 'key');
  assert.deepEqual(place.path, ['model_groups', 0]);
  assert.equal(place.prefix, 'strat');
  assert.equal(place.colonFollows, false);
});

test('siblings of an entry stop at the item boundary', () => {
  const text = ['models:', '  - provider: a', '    model: x', '  - provider: b', '    model: y', '    weight: 3'].join('\n');
  const keys = siblingsAt(shapeLines(text), 4, 4).map((s) => `${s.key}=${s.value}`);
  assert.deepEqual(keys, ['provider=b', 'weight=3']);
});

test('comments are no completion place', () => {
  assert.equal(placeOf('pack:\n  # a comment |').kind, 'none');
});
