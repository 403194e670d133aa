// The fast YAML path either declines a text or gives exactly what yaml's parseDocument gives: the same
// node classes, ranges, scalar values/sources/types, document range and toJS(), and the same policy
// diagnostics. Checked on every example, the bench's generated configs, generated block-style documents
// and random mutations of real configs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import { analyzePolicy } from '../../gateway/policy/analyze';
import { fastYaml, parseBlockYaml } from '../../gateway/policy/fast-yaml';
import { generateConfig } from '../../bench/lib/policy-config.mjs';

const OPTIONS = { prettyErrors: false, uniqueKeys: false, strict: false, logLevel: 'error' } as const;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(name) ? [path] : [];
  });
}
const EXAMPLE_FILES = yamlFiles(join(__dirname, '..', '..', 'examples'));
const EXAMPLES = EXAMPLE_FILES.map((f) => readFileSync(f, 'utf8'));
/** Examples outside the subset on purpose: a syntax error inside a flow list. */
const OUTSIDE_SUBSET = new Set(['KT001-syntax-error.yaml']);

// Comments are not copied onto nodes (see fast-yaml.ts); every other own field must match.
const SKIPPED_FIELDS = new Set(['comment', 'commentBefore', 'spaceBefore', 'items', 'key', 'value']);

/** Every field of every node, as a plain structure deepStrictEqual can compare. */
function shape(node: unknown): unknown {
  if (node === null || node === undefined) return node;
  const fields: Record<string, unknown> = { class: (node as object).constructor.name };
  for (const [k, v] of Object.entries(node as object)) if (!SKIPPED_FIELDS.has(k)) fields[k] = v;
  if (isScalar(node)) fields.value = node.value;
  else if (isMap(node) || isSeq(node)) fields.items = (node.items as unknown[]).map(shape);
  else if (isPair(node)) {
    fields.key = shape(node.key);
    fields.value = shape(node.value);
  } else assert.fail(`unexpected node ${String(node)}`);
  return fields;
}

/** 'fast' when the fast path produced the document (and it matched yaml), 'declined' otherwise. */
function check(text: string): 'fast' | 'declined' {
  const fast = parseBlockYaml(text, OPTIONS);
  if (!fast) return 'declined';
  const ref = parseDocument(text, OPTIONS);
  const where = JSON.stringify(text.length > 400 ? `${text.slice(0, 400)}…` : text);
  assert.deepEqual([...ref.errors, ...ref.warnings].map((e) => e.code), [], `fast path took a text yaml reports: ${where}`);
  assert.deepEqual(fast.errors.length + fast.warnings.length, 0);
  assert.deepStrictEqual(shape(fast.contents), shape(ref.contents), `nodes differ: ${where}`);
  assert.deepStrictEqual(fast.range, ref.range, `document range differs: ${where}`);
  assert.deepStrictEqual(fast.toJS(), ref.toJS(), `toJS differs: ${where}`);
  const [slow, quick] = analyzeBothWays(text);
  assert.deepStrictEqual(quick.diagnostics, slow.diagnostics, `diagnostics differ: ${where}`);
  assert.deepStrictEqual(quick.config, slow.config, `config differs: ${where}`);
  return 'fast';
}

function analyzeBothWays(text: string) {
  fastYaml.enabled = false;
  try {
    return [analyzePolicy(text), (fastYaml.enabled = true, analyzePolicy(text))] as const;
  } finally {
    fastYaml.enabled = true;
  }
}

test('every example config takes the fast path and matches yaml', () => {
  for (const [i, text] of EXAMPLES.entries()) {
    const name = EXAMPLE_FILES[i].split(/[\\/]/).pop()!;
    assert.equal(check(text), OUTSIDE_SUBSET.has(name) ? 'declined' : 'fast', name);
  }
});

test('the bench configs take the fast path and match yaml', () => {
  for (const lines of [50, 1000, 10000]) assert.equal(check(generateConfig(lines)), 'fast', `${lines} lines`);
});

/** Whether any node carries a comment: yaml's parse attaches them, the fast path does not. */
function hasComments(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  const n = node as { comment?: string; commentBefore?: string; items?: unknown[]; key?: unknown; value?: unknown };
  if (n.comment || n.commentBefore) return true;
  return (n.items ?? []).some(hasComments) || (isPair(node) && (hasComments(n.key) || hasComments(n.value)));
}

test('parsePolicyText uses the fast path unless it is turned off', () => {
  const text = EXAMPLES[EXAMPLE_FILES.findIndex((f) => f.endsWith('policy-config.yaml'))];
  const [slow, quick] = analyzeBothWays(text);
  assert.ok(hasComments(slow.parsed.doc.contents));
  assert.ok(!hasComments(quick.parsed.doc.contents));
});

test('declines what is outside the subset', () => {
  const outside = [
    '', '# only a comment\n', 'plain scalar\n', '  a: 1\n', 'a: [1, 2]\n', 'a: {b: 1}\n', 'a: &x 1\nb: *x\n', 'a: !!str 1\n',
    'a: |\n  text\n', 'a: >\n  text\n', 'a: "multi\n  line"\n', 'a: b\n  c\n', '---\na: 1\n', 'a: 1\n...\n', '%YAML 1.2\n---\na: 1\n',
    'a:\n\tb: 1\n', '? a\n: 1\n', '\ufeffa: 1\n', 'a: 1\r\nb: 2\r\n', 'a: "esc\\n"\n', 'a: b: c\n', 'a: 1\n b: 2\n', '- a\nb: 1\n',
    'a:\n  - x\n  b: 1\n', 'a: # c\nb: 1\n', 'a:\n# c\nb: 1\n', '- # c\n- b\n', '-\n  a: 1\n', '- - a\n', 'a : 1\n', 'a: "x" y\n',
    "a: 'open\n", 'a: 1 #c\n#x\n b: 2\n', 'a: 1\n\u0085b: 2\n', 'a: -\n',
  ];
  for (const text of outside) assert.equal(parseBlockYaml(text, OPTIONS), undefined, JSON.stringify(text));
});

test('resolves scalars as the core schema does', () => {
  const values = ['0', '-1', '+5', '007', '0x1F', '0o17', '0o19', '1.0', '1.50', '.5', '1e3', '1.5E-3', '-.inf', '.Inf', '.nan', '.NaN',
    '1_000', '0.00015', '1.0.0', '2024-10-21', 'null', 'Null', 'NULL', '~', 'true', 'True', 'TRUE', 'false', 'FALSE', 'yes', 'on',
    "'1'", '"true"', "'it''s'", '""', "''", '[]', '{}', 'a#b', 'é😀', 'x:y', '-x', 'a,b', "it's", 'say "hi"'];
  const text = values.map((v, i) => `k${i}: ${v}\n`).join('') + values.map((v) => `${/^[[{]/.test(v) ? 'x' : v}: 1\n`).join('');
  assert.equal(check(text), 'fast');
  assert.equal(check(`- ${values.join('\n- ')}\n`), 'fast');
});

test('comment lines stretch the ranges yaml stretches', () => {
  const texts = [
    '# lead\n\na: 1\n  # deeper: joins the value\n\n    # still\n# back at 0\n  # no longer\nb:\n  c: 1\n  # stays in b\n\nd:\n  - x\n  # t\n  - y\n    # deep\n# end\n',
    'a:\n  b:\n    c: 1\n    # trailing\n  d: 2\n',
    'a:\n  b:\n    c: 1\n   # between\n  d: 2\n',
    'a:\n- x\n- y:   z  \n  k: "v"  # c\nb:  \n',
    'a:\n  - []\n     # e\n  - {}\n  # x\n',
    'a:\n  b: 1\n  # c',
    'a:\n\n\n',
    'a:\n  b:\n\nc: 1\n',
  ];
  for (const text of texts) assert.equal(check(text), 'fast', JSON.stringify(text));
});

// --- generated block-style documents ---------------------------------------------------------------

type Tree = { map: [string, Tree][] } | { seq: Tree[] } | { scalar: string } | { empty: true };

// Mostly what the subset covers, with a share of what it must decline (odd keys and scalars).
const KEYS = ['name', 'id', 'provider', 'model', 'weight', 'a b', '1', 'null', 'true', '"q k"', "'s k'", 'x#y', 'k:v', '~', '-k', '0x10', 'ké'];
const ODD_KEYS = ['a #c', '? k', '[k]', 'k :', '&a k', '"k" ', '- k', '"k\\t"'];
const SCALARS = ['openai', 'gpt-4o', 'https://api.openai.com/v1', 'a b', 'x#y', 'a:b', '0', '-1', '+5', '0x1F', '0o17', '1.50', '.5', '1e3',
  '-.inf', '.nan', '1_000', '1.0.0', '2024-10-21', 'null', '~', 'True', 'FALSE', 'yes', '-x', 'a [b]', 'a{b}', 'a,b', 'é😀', "it's",
  'say "hi"', "'a b'", "'it''s'", "''", '"x"', '""', '"a # b"', "'# c'", '"2024-10-21"', '[]', '{}', 'a  b', 'a!b', 'a&b *c'];
const ODD_SCALARS = ['key:', '-', '@x', '`x', '%x', '!x', '&x', '*x', '|', '>', '?x', ':x', 'a: b', '"a\\nb"', "'open", '"x" y', '[ ]', '[a]',
  '{a: 1}', 'x\ty', '- a'];
const COMMENTS = ['# c', '#', '#x', '# a: b', '# - x', '# "q'];

const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof({ arbitrary: fc.constantFrom(...SCALARS), weight: 9 }, { arbitrary: fc.constantFrom(...ODD_SCALARS), weight: 1 }).map((scalar) => ({ scalar })),
    fc.constant({ empty: true } as Tree),
    fc.array(tie('node'), { minLength: 1, maxLength: 4 }).map((seq) => ({ seq })),
    fc.array(fc.tuple(fc.oneof({ arbitrary: fc.constantFrom(...KEYS), weight: 19 }, { arbitrary: fc.constantFrom(...ODD_KEYS), weight: 1 }), tie('node')), { minLength: 1, maxLength: 4 }).map((map) => ({ map })),
  ),
})).node;

/** Renders a tree in block style, with style choices (indents, comments, blank lines) from a seeded generator. */
function render(root: Tree, seed: number): string {
  let state = seed >>> 0 || 1;
  const rand = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const lines: string[] = [];
  const pad = (n: number) => ' '.repeat(n);
  const trail = () => (rand(6) === 0 ? pad(1 + rand(2)) : '') + (rand(5) === 0 ? ` ${pad(rand(2))}${COMMENTS[rand(COMMENTS.length)]}` : '');
  const noise = (indent: number) => {
    while (rand(5) === 0) lines.push(rand(2) ? '' : pad(rand(3)));
    while (rand(4) === 0) lines.push(`${pad(Math.max(0, indent + rand(7) - 3))}${COMMENTS[rand(COMMENTS.length)]}`);
  };
  const step = () => 1 + rand(4);
  /** `head` is the text before the node on its first line (`key:` or `-`), or undefined at the root. */
  const node = (t: Tree, indent: number, head: string | undefined, lineIndent: number, inSeq: boolean): void => {
    if ('scalar' in t || 'empty' in t) {
      const value = 'scalar' in t ? ` ${t.scalar}` : rand(3) === 0 ? ' ' : '';
      lines.push(`${pad(lineIndent)}${head ?? ''}${head === undefined ? value.trimStart() : value}${trail()}`);
      return;
    }
    const compact = head === '-' && 'map' in t && rand(4) !== 0;
    if (head !== undefined && !compact) {
      lines.push(`${pad(lineIndent)}${head}${rand(6) === 0 ? ` ${COMMENTS[rand(COMMENTS.length)]}` : ''}`);
      noise(indent);
    }
    const at = head === undefined ? 0 : compact ? lineIndent + 2 + rand(2) : indent + ('seq' in t && !inSeq && rand(3) === 0 ? 0 : step());
    if ('map' in t) {
      t.map.forEach(([key, value], i) => {
        if (i > 0) noise(at);
        if (compact && i === 0) node(value, at, `${pad(at - lineIndent - 2)}- ${key}:`.trimStart(), lineIndent, false);
        else node(value, at, `${key}:`, at, false);
      });
    } else {
      t.seq.forEach((item, i) => {
        if (i > 0) noise(at);
        node(item, at, '-', at, true);
      });
    }
  };
  noise(0);
  node(root, 0, undefined, 0, false);
  noise(0);
  let text = lines.join('\n');
  if (rand(4) !== 0) text += '\n';
  return text;
}

test('generated block-style documents: declined, or identical to yaml', () => {
  let taken = 0;
  let total = 0;
  fc.assert(fc.property(tree.filter((t) => 'map' in t || 'seq' in t), fc.integer(), (t, seed) => {
    total++;
    if (check(render(t, seed)) === 'fast') taken++;
  }), { numRuns: 2000 });
  // The generator must exercise the fast path, not only its refusals.
  console.log(`generated: ${taken} of ${total} taken`);
  assert.ok(taken > total / 5, `fast path taken for only ${taken} of ${total}`);
});

// --- mutations of real configs -------------------------------------------------------------------

const BASES = [...EXAMPLES, generateConfig(120)];
const MUTATION_CHARS = [' ', '  ', '#', ' #', ':', ': ', '-', '- ', '"', "'", '\t', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\r', '\n', '?', '%', '~', 'x', '0', '.'];

const mutation = fc.oneof(
  fc.record({ op: fc.constantFrom('delete', 'duplicate', 'indent', 'outdent', 'comment', 'blank', 'swap'), at: fc.nat(), n: fc.nat(6) }),
  fc.record({ op: fc.constant('insert'), at: fc.nat(), n: fc.nat(MUTATION_CHARS.length - 1) }),
  fc.record({ op: fc.constant('truncate'), at: fc.nat(), n: fc.constant(0) }),
);

function mutate(text: string, edits: { op: string; at: number; n: number }[]): string {
  let lines = text.split('\n');
  for (const { op, at, n } of edits) {
    const i = at % lines.length;
    if (op === 'delete') lines.splice(i, 1);
    else if (op === 'duplicate') lines.splice(i, 0, lines[i]);
    else if (op === 'indent') lines[i] = ' '.repeat(1 + (n % 3)) + lines[i];
    else if (op === 'outdent') lines[i] = lines[i].replace(new RegExp(`^ {1,${1 + (n % 3)}}`), '');
    else if (op === 'comment') lines.splice(i, 0, `${' '.repeat(n)}# c`);
    else if (op === 'blank') lines.splice(i, 0, ' '.repeat(n % 2));
    else if (op === 'swap') [lines[i], lines[(i + 1) % lines.length]] = [lines[(i + 1) % lines.length], lines[i]];
    else {
      const flat = lines.join('\n');
      const pos = at % (flat.length + 1);
      lines = (op === 'insert' ? flat.slice(0, pos) + MUTATION_CHARS[n] + flat.slice(pos) : flat.slice(0, pos)).split('\n');
    }
    if (lines.length === 0) lines = [''];
  }
  return lines.join('\n');
}

test('mutated and truncated configs: declined, or identical to yaml', () => {
  let taken = 0;
  fc.assert(fc.property(fc.constantFrom(...BASES), fc.array(mutation, { minLength: 1, maxLength: 4 }), (text, edits) => {
    if (check(mutate(text, edits)) === 'fast') taken++;
  }), { numRuns: 1500 });
  console.log(`mutated: ${taken} taken`);
  assert.ok(taken > 300, `fast path taken for only ${taken} mutated configs`);
});
