// Completion: schema keys at the cursor, whole targets and groups, provider ids, enum values,
// policy names, known model names for the target's provider type, and key variable names.
import {
  CompletionItemKind, InsertTextFormat, InsertTextMode, MarkupKind,
  type CompletionItem, type Range,
} from 'vscode-languageserver-types';
import { knownModel, knownModelsFor } from '../../gateway/policy/known-models';
import { PROVIDER_TYPES } from '../../gateway/policy/provider-type';
import { DEFAULT_FALLBACK_TIMEOUT_MS, envNameFor, KNOWN_POLICIES } from '../../gateway/policy/rules';
import { schemaAt } from '../../gateway/policy/schema-check';
import type { Position, ProviderType } from '../../gateway/policy/types';
import type { Environment } from './hover';
import { usd } from './hover';
import { cursorPlace, siblingsAt, type Frame, type PathSegment } from './line-context';
import type { PolicyView } from './view';

const INDENT = '  ';

export const STRATEGY_WORDS: Record<string, string> = {
  weighted: 'Random by weight: each model gets its `weight` percent of the traffic (weights sum to 100). The default.',
  fallback: 'In order: the first model answers unless it fails or exceeds its `timeout_ms`, then the next one.',
  cost: 'The cheapest model whose estimated cost fits `budget_per_request_usd`.',
  latency: 'The model with the lowest recent time to first byte.',
};

const TYPE_WORDS: Record<ProviderType, string> = {
  openai: 'OpenAI Chat Completions, or any OpenAI-compatible server.',
  'azure-openai': 'Azure OpenAI deployment (`api-key` header, `api-version` query).',
  anthropic: 'Anthropic Messages API.',
  ollama: 'Ollama (local models, no key needed).',
  mock: 'Built-in mock for offline demos: no network, no key.',
};

function lineText(view: PolicyView, line: number): string {
  const starts = view.parsed.lines.lineStarts;
  if (line >= starts.length) return '';
  const end = line + 1 < starts.length ? starts[line + 1] - 1 : view.text.length;
  return view.text.slice(starts[line], end).replace(/\r$/, '');
}

function is(path: readonly PathSegment[], pattern: ReadonlyArray<string | null>): boolean {
  return path.length === pattern.length && pattern.every((p, i) => (p === null ? typeof path[i] === 'number' : path[i] === p));
}

function docOf(schema: Record<string, any> | undefined): CompletionItem['documentation'] {
  const text = schema?.markdownDescription ?? schema?.description;
  return text ? { kind: MarkupKind.Markdown, value: text } : undefined;
}

function snippetEscape(text: string): string {
  return text.replace(/[\\$}]/g, '\\$&');
}

/** Lines relative to the entry column, laid out absolutely (clients insert them as they are). */
function layout(lines: string[], col: number): string {
  return lines.map((l, i) => (i === 0 ? l : `${' '.repeat(col)}${l}`)).join('\n');
}

export function complete(view: PolicyView, position: Position, env: Environment, triggerCharacter?: string): CompletionItem[] {
  if (position.line < 0 || position.line >= view.lines.length) return [];
  const text = lineText(view, position.line);
  const character = Math.min(position.character, text.length);
  // A typed space asks for values after `key: ` or `- `, not for keys while indenting a new line.
  if (triggerCharacter === ' ' && !/[:-] $/.test(text.slice(0, character))) return [];
  const place = cursorPlace(view.lines, text, position.line, character);
  if (place.kind === 'none') return [];
  const range: Range = { start: { line: position.line, character: place.start }, end: { line: position.line, character: place.end } };

  if (place.kind === 'value') {
    return valueItems(view, place.path, place.frames, place.line, place.col, env).map((item) => asEdit(item, range, place.needsSpace));
  }

  const schema = schemaAt(place.path);
  if (schema?.type === 'array') return listItems(view, place.path, place.col, range);
  if (schema?.properties) {
    const present = new Set(siblingsAt(view.lines, place.line, place.col).map((s) => s.key));
    const items = keyItems(place.path, schema, present, place.col, place.colonFollows, range);
    if (present.size === 0 && is(place.path, ['providers', 'targets', null])) items.push(...targetSnippets(view, place.col, range, ''));
    if (present.size === 0 && is(place.path, ['model_groups', null])) items.push(...groupSnippets(view, place.col, range, ''));
    return items;
  }
  // A scalar list item being typed, e.g. `- audit-l|` in policies.chain.
  if (typeof place.path[place.path.length - 1] === 'number') {
    return valueItems(view, place.path, place.frames, place.line, place.col, env).map((item) => asEdit(item, range, false));
  }
  return [];
}

function asEdit(item: CompletionItem, range: Range, needsSpace: boolean): CompletionItem {
  const newText = `${needsSpace ? ' ' : ''}${item.insertText ?? item.label}`;
  const { insertText: _dropped, ...rest } = item;
  return { ...rest, textEdit: { range, newText }, filterText: item.filterText ?? item.label };
}

function keyItems(path: PathSegment[], schema: Record<string, any>, present: Set<string>, col: number, colonFollows: boolean, range: Range): CompletionItem[] {
  const required = new Set<string>(schema.required ?? []);
  const items: CompletionItem[] = [];
  for (const key of Object.keys(schema.properties ?? {})) {
    if (present.has(key)) continue;
    const prop = schemaAt([...path, key]);
    let newText: string;
    let snippet = true;
    if (colonFollows) {
      newText = key;
      snippet = false;
    } else if (prop?.type === 'object') newText = layout([`${key}:`, `${INDENT}$0`], col);
    else if (prop?.type === 'array') newText = layout([`${key}:`, `${INDENT}- $0`], col);
    else if (Array.isArray(prop?.enum)) newText = `${key}: \${1|${prop.enum.join(',')}|}`;
    else if (prop?.type === 'boolean') newText = `${key}: \${1|true,false|}`;
    else newText = `${key}: $0`;
    items.push({
      label: key,
      kind: CompletionItemKind.Property,
      detail: `${required.has(key) ? 'required ' : ''}${prop?.type ?? ''}`.trim(),
      documentation: docOf(prop),
      sortText: `${required.has(key) ? '0' : '1'}${key}`,
      textEdit: { range, newText },
      insertTextFormat: snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      insertTextMode: InsertTextMode.asIs,
    });
  }
  return items;
}

/** At a list's indentation without a `- ` yet: whole items. */
function listItems(view: PolicyView, path: PathSegment[], col: number, range: Range): CompletionItem[] {
  if (is(path, ['providers', 'targets'])) return targetSnippets(view, col + 2, range, '- ');
  if (is(path, ['model_groups'])) return groupSnippets(view, col + 2, range, '- ');
  if (is(path, ['policies', 'chain'])) {
    return KNOWN_POLICIES.map((name) => ({ label: `- ${name}`, kind: CompletionItemKind.Value, textEdit: { range, newText: `- ${name}` }, documentation: docOf(schemaAt([...path, 0])) }));
  }
  if (is(path, ['model_groups', null, 'models'])) {
    return [{
      label: '- provider/model',
      kind: CompletionItemKind.Snippet,
      documentation: docOf(schemaAt([...path, 0])),
      textEdit: { range, newText: layout([`- provider: \${1|${targetIds(view).join(',') || 'openai'}|}`, `model: $2`], col + 2) },
      insertTextFormat: InsertTextFormat.Snippet,
      insertTextMode: InsertTextMode.asIs,
    }];
  }
  return [];
}

function targetIds(view: PolicyView): string[] {
  return [...new Set(view.outline.targets.flatMap((t) => (t.id ? [t.id] : [])))];
}

const TARGET_TEMPLATES: Record<ProviderType, { url: string; extra?: string[]; key: boolean }> = {
  openai: { url: 'https://api.openai.com/v1', key: true },
  anthropic: { url: 'https://api.anthropic.com/v1', key: true },
  'azure-openai': { url: 'https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT/', extra: ['api_version: 2024-10-21'], key: true },
  ollama: { url: 'http://localhost:11434/v1', key: false },
  mock: { url: 'mock://demo', extra: ['mock:', `${INDENT}latency_ms: 150`], key: false },
};

function freeId(view: PolicyView, base: string): string {
  const taken = new Set(targetIds(view));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

function targetSnippets(view: PolicyView, col: number, range: Range, dash: string): CompletionItem[] {
  return PROVIDER_TYPES.map((type) => {
    const t = TARGET_TEMPLATES[type];
    const id = freeId(view, type === 'ollama' ? 'local-ollama' : type);
    const lines = [`${dash}id: \${1:${id}}`, 'provider:'];
    if (type === 'azure-openai' || type === 'mock') lines.push(`${INDENT}type: ${type}`);
    lines.push(`${INDENT}base_url: \${2:${snippetEscape(t.url)}}`);
    if (t.key) lines.push(`${INDENT}secret_key_ref:`, `${INDENT}${INDENT}env: \${3:${envNameFor(id)}}`);
    for (const e of t.extra ?? []) lines.push(`${INDENT}${e}`);
    return {
      label: `${dash}provider target (${type})`,
      kind: CompletionItemKind.Snippet,
      detail: TYPE_WORDS[type],
      documentation: { kind: MarkupKind.Markdown, value: `A whole provider target of type \`${type}\`.\n\n\`\`\`yaml\n${lines.join('\n').replace(/\$\{\d+:([^}]*)\}/g, '$1')}\n\`\`\`` },
      sortText: `2target-${type}`,
      filterText: `${dash}id provider ${type}`,
      textEdit: { range, newText: layout(lines, col) },
      insertTextFormat: InsertTextFormat.Snippet,
      insertTextMode: InsertTextMode.asIs,
    };
  });
}

function groupSnippets(view: PolicyView, col: number, range: Range, dash: string): CompletionItem[] {
  const ids = targetIds(view);
  const choice = (n: number) => (ids.length ? `\${${n}|${ids.join(',')}|}` : `\${${n}:openai}`);
  const firstType = view.outline.targets.find((t) => t.id === ids[0])?.type ?? 'openai';
  const sample = knownModelsFor(firstType)[0]?.name ?? 'gpt-4o-mini';
  const sampleModel = knownModel(sample);
  const bodies: Record<string, string[]> = {
    weighted: ['models:', `${INDENT}- provider: ${choice(2)}`, `${INDENT}  model: \${3:${sample}}`, `${INDENT}  weight: 100`],
    fallback: [
      'models:',
      `${INDENT}- provider: ${choice(2)}`, `${INDENT}  model: \${3:${sample}}`, `${INDENT}  timeout_ms: \${4:${DEFAULT_FALLBACK_TIMEOUT_MS}}`,
      `${INDENT}- provider: ${choice(5)}`, `${INDENT}  model: $6`, `${INDENT}  timeout_ms: \${7:${DEFAULT_FALLBACK_TIMEOUT_MS * 3}}`,
    ],
    cost: [
      'budget_per_request_usd: ${2:0.01}', 'models:', `${INDENT}- provider: ${choice(3)}`, `${INDENT}  model: \${4:${sample}}`,
      `${INDENT}  cost_per_1k_input: \${5:${sampleModel?.inputPer1k ?? 0.00015}}`, `${INDENT}  cost_per_1k_output: \${6:${sampleModel?.outputPer1k ?? 0.0006}}`,
    ],
    latency: ['models:', `${INDENT}- provider: ${choice(2)}`, `${INDENT}  model: \${3:${sample}}`, `${INDENT}- provider: ${choice(4)}`, `${INDENT}  model: $5`],
  };
  return Object.entries(bodies).map(([strategy, body]) => {
    const lines = [`${dash}name: \${1:${strategy === 'weighted' ? 'fast-chat' : `${strategy}-chat`}}`, `strategy: ${strategy}`, ...body];
    return {
      label: `${dash}model group (${strategy})`,
      kind: CompletionItemKind.Snippet,
      detail: STRATEGY_WORDS[strategy].replace(/`/g, ''),
      documentation: { kind: MarkupKind.Markdown, value: `A whole model group with strategy \`${strategy}\`: ${STRATEGY_WORDS[strategy]}` },
      sortText: `2group-${strategy}`,
      filterText: `${dash}name model group ${strategy}`,
      textEdit: { range, newText: layout(lines, col) },
      insertTextFormat: InsertTextFormat.Snippet,
      insertTextMode: InsertTextMode.asIs,
    };
  });
}

function valueItems(view: PolicyView, path: PathSegment[], frames: Frame[], line: number, col: number, env: Environment): CompletionItem[] {
  if (is(path, ['model_groups', null, 'models', null, 'provider'])) {
    return view.outline.targets.filter((t) => t.id).map((t) => ({
      label: t.id!,
      kind: CompletionItemKind.Reference,
      detail: `${t.type}${t.baseUrl ? ` · ${t.baseUrl}` : ''}`,
    }));
  }
  if (is(path, ['model_groups', null, 'models', null, 'model'])) {
    const providerId = siblingsAt(view.lines, line, col).find((s) => s.key === 'provider')?.value;
    const type = view.outline.targets.find((t) => t.id === providerId)?.type;
    const models = type ? knownModelsFor(type) : PROVIDER_TYPES.flatMap((t) => knownModelsFor(t));
    return [...new Map(models.map((m) => [m.name, m])).values()].map((m) => ({
      label: m.name,
      kind: CompletionItemKind.Value,
      detail: `${usd(m.inputPer1k)} in / ${usd(m.outputPer1k)} out per 1k · ${m.contextWindow.toLocaleString('en-US')} tokens`,
      documentation: { kind: MarkupKind.Markdown, value: m.description },
    }));
  }
  if (is(path, ['providers', 'targets', null, 'provider', 'secret_key_ref', 'env'])) return envItems(view, frames[2], env);
  if (is(path, ['policies', 'chain', null])) {
    return KNOWN_POLICIES.map((name) => ({
      label: name,
      kind: CompletionItemKind.Value,
      detail: view.outline.configuredPolicies.has(name) ? 'configured under policy' : 'not configured under policy yet',
      documentation: docOf(schemaAt(['policy', name])),
    }));
  }
  const schema = schemaAt(path);
  if (Array.isArray(schema?.enum)) {
    const words: Record<string, string> = path[path.length - 1] === 'strategy' ? STRATEGY_WORDS : path[path.length - 1] === 'type' ? TYPE_WORDS : {};
    return schema.enum.map((v: unknown) => ({
      label: String(v),
      kind: CompletionItemKind.EnumMember,
      documentation: words[String(v)] ? { kind: MarkupKind.Markdown, value: words[String(v)] } : undefined,
    }));
  }
  if (schema?.type === 'boolean') return ['true', 'false'].map((v) => ({ label: v, kind: CompletionItemKind.Value }));
  return [];
}

function envItems(view: PolicyView, item: Frame | undefined, env: Environment): CompletionItem[] {
  // The target's id sits in the enclosing `- id:` item; its derived name is the first suggestion.
  const id = item ? siblingsAt(view.lines, item.line, item.col, true).find((s) => s.key === 'id')?.value : undefined;
  const suggested = id ? envNameFor(id) : undefined;
  const used = view.outline.targets.flatMap((t) => (t.keyEnv ? [t.keyEnv] : []));
  const names = new Set<string>([...(suggested ? [suggested] : []), ...used, ...Object.keys(env).filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n))]);
  return [...names].map((name) => {
    const set = env[name] !== undefined && env[name] !== '';
    const rank = name === suggested ? 0 : used.includes(name) ? 1 : /KEY|TOKEN|SECRET/i.test(name) ? 2 : 3;
    return {
      label: name,
      kind: CompletionItemKind.Variable,
      // Whether it is set, never its value.
      detail: `${name === suggested ? 'derived from the id · ' : used.includes(name) ? 'used in this config · ' : ''}${set ? 'set' : 'not set'}`,
      sortText: `${rank}${name}`,
      preselect: name === suggested,
    };
  });
}
