// JSON Schema validation (ajv) of the parsed config, mapped to KT002 diagnostics on the offending token.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import schema from '../../schemas/policy-config.schema.json';
import { nodeAtPath, nodeRange, type ParsedPolicy } from './document';
import { appendToMap, replaceNode } from './edits';
import { closest, quoteList } from './text';
import type { PolicyDiagnostic } from './types';

export const policySchema = schema as Record<string, unknown>;
let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(policySchema);
  return validator;
}

/** The schema node that describes the value at a JSON path, following $refs and array items. */
export function schemaAt(path: ReadonlyArray<string | number>): Record<string, any> | undefined {
  let node: any = policySchema;
  for (const segment of path) {
    node = deref(node);
    if (!node) return undefined;
    if (typeof segment === 'number' || /^\d+$/.test(segment)) node = node.items;
    else node = node.properties?.[segment];
  }
  return deref(node);
}

function deref(node: any): any {
  if (node && typeof node.$ref === 'string') {
    const name = node.$ref.replace('#/definitions/', '');
    return (policySchema.definitions as any)[name];
  }
  return node;
}

/** `model_groups[0].models[1].provider`, as a user reads it. */
function displayPath(path: string[]): string {
  return path.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function decodePath(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function checkSchema(parsed: ParsedPolicy, value: unknown): PolicyDiagnostic[] {
  const run = validate();
  if (run(value)) return [];
  const out: PolicyDiagnostic[] = [];
  const seen = new Set<string>();
  for (const error of run.errors ?? []) {
    const diagnostic = toDiagnostic(parsed, error);
    if (!diagnostic) continue;
    const key = `${diagnostic.range.start.line}:${diagnostic.range.start.character}:${diagnostic.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(diagnostic);
    }
  }
  return out;
}

function toDiagnostic(parsed: ParsedPolicy, error: ErrorObject): PolicyDiagnostic | undefined {
  const path = decodePath(error.instancePath);
  const where = path.length ? displayPath(path) : 'the top level';
  const { node, pair } = nodeAtPath(parsed.doc, path);
  const base = { code: 'KT002', severity: 'error' as const };
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const allowed = Object.keys(schemaAt(path)?.properties ?? {});
      const keyPair = isMap(node) ? node.items.find((p: any) => String(p.key?.value) === key) : undefined;
      const keyNode = keyPair?.key as Node | undefined;
      const suggestion = closest(key, allowed);
      return {
        ...base,
        message: `Unknown key "${key}" in ${where}.` + (suggestion ? ` Did you mean "${suggestion}"?` : ` Allowed keys: ${quoteList(allowed)}.`),
        range: nodeRange(parsed, keyNode ?? node),
        fixes: suggestion && keyNode ? [{ title: `Rename to "${suggestion}"`, edits: [replaceNode(parsed, keyNode, suggestion)] }] : undefined,
      };
    }
    case 'required': {
      const missing = String(error.params.missingProperty);
      // On a map that is a key's value, underline that key; on a list item, its first key.
      const anchor: Node | null | undefined = pair?.key as Node | undefined
        ?? (isMap(node) ? (node.items[0]?.key as Node | undefined) : node);
      return {
        ...base,
        message: `Missing required key "${missing}" in ${where}. Add \`${missing}:\`${exampleFor(path, missing)}.`,
        range: nodeRange(parsed, anchor),
        fixes: missingKeyFix(parsed, node, missing, path),
      };
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const actual = isSeq(node) || isMap(node) ? 'a collection' : `"${String((node as any)?.value)}"`;
      const suggestion = typeof (node as any)?.value === 'string' ? closest((node as any).value, allowed) : undefined;
      return {
        ...base,
        message: `${actual} is not a valid ${path[path.length - 1]}. Allowed values: ${quoteList(allowed)}.` + (suggestion ? ` Did you mean "${suggestion}"?` : ''),
        range: nodeRange(parsed, node),
        fixes: suggestion && node ? [{ title: `Change to "${suggestion}"`, edits: [replaceNode(parsed, node, suggestion)] }] : undefined,
      };
    }
    case 'type': {
      const words: Record<string, string> = { array: 'list', object: 'mapping', integer: 'whole number' };
      const expected = String(error.params.type).split(',').map((t) => words[t] ?? t).join(' or ');
      const article = /^[aeiou]/.test(expected) ? 'an' : 'a';
      // An empty value has a zero-width range after the colon: underline its key instead.
      const empty = !node?.range || node.range[0] === node.range[1];
      // YAML reads 1.0 or yes as a number/boolean; quoting is the fix when text was meant.
      const quoted = expected === 'string' && isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean')
        ? `"${String(node.source ?? node.value)}"` : undefined;
      return {
        ...base,
        message: `${where} must be ${article} ${expected}${describeActual(node)}.${quoted ? ` Put it in quotes (${quoted}) to make it text.` : ''}`,
        range: nodeRange(parsed, empty && pair?.key ? (pair.key as Node) : node),
        fixes: quoted && node ? [{ title: `Quote as ${quoted}`, edits: [replaceNode(parsed, node, quoted)] }] : undefined,
      };
    }
    case 'pattern':
      return { ...base, message: `${where} ${patternHint(path)}`, range: nodeRange(parsed, node) };
    case 'minimum':
      return { ...base, message: `${where} must be at least ${error.params.limit}${describeActual(node)}.`, range: nodeRange(parsed, node) };
    case 'maximum':
      return { ...base, message: `${where} must be at most ${error.params.limit}${describeActual(node)}.`, range: nodeRange(parsed, node) };
    case 'exclusiveMinimum':
      return { ...base, message: `${where} must be greater than ${error.params.limit}${describeActual(node)}.`, range: nodeRange(parsed, node) };
    case 'minLength':
      return { ...base, message: `${where} must not be empty.`, range: nodeRange(parsed, node) };
    default:
      return { ...base, message: `${where} ${error.message ?? 'is invalid'}.`, range: nodeRange(parsed, node) };
  }
}

function describeActual(node: unknown): string {
  if (isSeq(node)) return ', not a list';
  if (isMap(node)) return ', not a mapping';
  const v = (node as any)?.value;
  if (v === null || v === undefined) return ', but it is empty';
  // The source as written: 1.0, not the parsed 1.
  const written = isScalar(node) && node.source !== undefined ? String(node.source) : String(v);
  return `, not ${typeof v === 'string' ? `the text "${v}"` : `${typeof v} ${written}`}`;
}

function patternHint(path: string[]): string {
  const last = path[path.length - 1];
  if (last === 'env') return 'must be an environment variable name: letters, digits and "_", not starting with a digit (e.g. OPENAI_API_KEY).';
  if (last === 'id') return 'must start with a letter or digit and use only letters, digits, ".", "_" and "-" (e.g. openai).';
  return 'has an invalid format.';
}

function exampleFor(path: string[], key: string): string {
  const examples: Record<string, string> = {
    targets: ' with a list of provider targets',
    id: ' with a unique target id (e.g. `id: openai`)',
    provider: path.includes('models') ? ' with a target id from providers.targets' : ' with `base_url` and `secret_key_ref`',
    base_url: ' (e.g. `base_url: https://api.openai.com/v1`)',
    env: ' with the variable that holds the key (e.g. `env: OPENAI_API_KEY`)',
    name: ' with the group name clients request',
    models: ' with at least one `provider`/`model` entry',
    model: ' with the model name the provider serves (e.g. `model: gpt-4o-mini`)',
  };
  return examples[key] ?? '';
}

function missingKeyFix(parsed: ParsedPolicy, node: Node | null | undefined, missing: string, path: string[]) {
  if (!isMap(node)) return undefined;
  const templates: Record<string, string[]> = {
    base_url: ['base_url: https://api.openai.com/v1'],
    env: ['env: API_KEY'],
    models: ['models:', '  - provider: ', '    model: '],
    model: ['model: '],
    provider: path.includes('models') ? ['provider: '] : ['provider:', '  base_url: https://api.openai.com/v1'],
  };
  const lines = templates[missing];
  if (!lines) return undefined;
  const edit = appendToMap(parsed, node, lines);
  return edit ? [{ title: `Add "${missing}"`, edits: [edit] }] : undefined;
}
