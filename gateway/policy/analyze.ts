// The policy model's entry point: text → parsed document, outline, diagnostics and (when clean) the config.
import { isMap, isPair, isScalar, isSeq, visit, type Node } from 'yaml';
import { nodeRange, parsePolicyText, rangeOf, type ParsedPolicy } from './document';
import { outlinePolicy, type PolicyOutline } from './outline';
import { reparsePolicyText } from './incremental';
import { checkRules, type RuleOptions } from './rules';
import { checkSchema } from './schema-check';
import { tooDeepAt } from './nesting';
import type { PolicyConfig, PolicyDiagnostic } from './types';

export interface PolicyAnalysis {
  parsed: ParsedPolicy;
  outline: PolicyOutline;
  diagnostics: PolicyDiagnostic[];
  errorCount: number;
  warningCount: number;
  /** The typed config; present only when there are no errors. */
  config?: PolicyConfig;
}

export interface AnalyzeOptions extends RuleOptions {
  /** Editors: reparse only changed blocks of this earlier result's parse (`true`: first parse of a series). */
  incremental?: ParsedPolicy | true;
}

/** Larger texts are not analyzed: a real policy config is a few KB, and a 5 MB one would take seconds and hundreds of MB. */
export const MAX_POLICY_CHARS = 1024 * 1024;

export function analyzePolicy(text: string, options: AnalyzeOptions = {}): PolicyAnalysis {
  if (text.length > MAX_POLICY_CHARS) {
    const mb = (text.length / (1024 * 1024)).toFixed(1);
    return refused(text, 'KT115', `This file is ${mb} MB, over the ${MAX_POLICY_CHARS / (1024 * 1024)} MB a policy config may be, so it is not analyzed. A policy config is a few KB: check this is the right file, or split out what does not belong in it.`);
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    return refused(text, 'KT001', 'This file contains NUL bytes: it is binary data, not YAML. Open or restore the text policy-config.yaml.', nul);
  }
  const deep = tooDeepAt(text);
  if (deep !== -1) return refused(text, 'KT001', TOO_DEEP, deep);
  try {
    return analyzeText(text, options);
  } catch (error) {
    // The yaml parser reports its own stack overflows; this catches the later walks over a deep tree.
    if (error instanceof RangeError) return refused(text, 'KT001', TOO_DEEP);
    throw error;
  }
}

const TOO_DEEP = 'The YAML nests too deeply to analyze. A policy config needs only a few levels: look for runaway brackets or indentation.';

/** A single error, on the first line or at `offset`, with nothing parsed: for texts the model will not analyze. */
function refused(text: string, code: string, message: string, offset?: number): PolicyAnalysis {
  const parsed = parsePolicyText('');
  let range = { start: { line: 0, character: 0 }, end: { line: 0, character: Math.min(200, lineEnd(text, 0)) } };
  if (offset !== undefined) {
    let line = 0;
    let start = 0;
    for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
      line++;
      start = i + 1;
    }
    range = { start: { line, character: offset - start }, end: { line, character: offset - start + 1 } };
  }
  const diagnostic: PolicyDiagnostic = { code, severity: 'error', message, range };
  return { parsed, outline: { targets: [], groups: [], chain: [], configuredPolicies: new Map() }, diagnostics: [diagnostic], errorCount: 1, warningCount: 0 };
}

function lineEnd(text: string, from: number): number {
  const i = text.slice(from, from + 10_000).search(/\r|\n/);
  return i === -1 ? Math.min(text.length - from, 10_000) : i;
}

function analyzeText(text: string, options: AnalyzeOptions): PolicyAnalysis {
  const parsed = options.incremental ? reparsePolicyText(text, options.incremental === true ? undefined : options.incremental) : parsePolicyText(text);
  const diagnostics = syntaxDiagnostics(parsed);
  let outline: PolicyOutline = { targets: [], groups: [], chain: [], configuredPolicies: new Map() };
  let value: unknown;
  if (diagnostics.length === 0) {
    const root = parsed.doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
      diagnostics.push({ code: 'KT002', severity: 'error', message: 'The config is empty. Start with `providers:` and `model_groups:` (see examples/policy-config.yaml).', range: rangeOf(parsed, 0, 0) });
    } else if (!isMap(root)) {
      diagnostics.push({ code: 'KT002', severity: 'error', message: 'The config must be a mapping with keys such as `providers:` and `model_groups:`, not a list or a single value.', range: nodeRange(parsed, root as Node) });
    } else {
      diagnostics.push(...duplicateKeys(parsed));
      try {
        value = parsed.doc.toJS({ maxAliasCount: 100 });
      } catch (error) {
        diagnostics.push({ code: 'KT001', severity: 'error', message: `YAML could not be resolved: ${(error as Error).message}. Remove excessive or circular aliases.`, range: firstAliasRange(parsed) });
      }
      if (value !== undefined) {
        outline = outlinePolicy(parsed);
        diagnostics.push(...checkSchema(parsed, value), ...checkRules(parsed, outline, options));
      }
    }
  }
  diagnostics.sort(byPosition);
  const errorCount = diagnostics.filter((d) => d.severity === 'error').length;
  const warningCount = diagnostics.filter((d) => d.severity === 'warning').length;
  return { parsed, outline, diagnostics, errorCount, warningCount, config: errorCount === 0 ? toConfig(outline, value) : undefined };
}

function byPosition(a: PolicyDiagnostic, b: PolicyDiagnostic): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.code.localeCompare(b.code);
}

function syntaxDiagnostics(parsed: ParsedPolicy): PolicyDiagnostic[] {
  return parsed.doc.errors.map((error) => {
    const [start, end] = errorSpan(parsed.text, error.pos[0], error.pos[1]);
    const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    return {
      code: 'KT001',
      severity: 'error' as const,
      message: /Maximum call stack size exceeded/.test(message) ? TOO_DEEP : `YAML syntax error: ${message}. Check indentation, quotes and colons on this line.`,
      range: rangeOf(parsed, start, end),
    };
  });
}

/**
 * At least one character wide. An error reported at the end of the text or on a line break (e.g. a quote
 * never closed) moves back to the last visible character, so the squiggle sits on the line that caused it.
 */
function errorSpan(text: string, from: number, to: number): [number, number] {
  let start = Math.max(0, Math.min(from, text.length));
  if (start >= text.length || text[start] === '\n' || text[start] === '\r') {
    let back = start - 1;
    while (back >= 0 && /\s/.test(text[back])) back--;
    if (back >= 0) return [back, back + 1];
  }
  return [start, Math.max(to, start + 1)];
}

/** Where alias expansion went wrong: the first `*alias` in the text (the whole first line if none). */
function firstAliasRange(parsed: ParsedPolicy) {
  let found: Node | undefined;
  visit(parsed.doc, {
    Alias(_, alias) {
      found = alias;
      return visit.BREAK;
    },
  });
  return found ? nodeRange(parsed, found) : rangeOf(parsed, 0, parsed.text.length);
}

function duplicateKeys(parsed: ParsedPolicy): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  // A plain recursive walk: yaml's visit() builds a path array per node, a measurable cost on big configs.
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      const items = node.items;
      // Most mappings have a handful of keys: scanning the earlier ones beats allocating a Map per mapping.
      const seen = items.length > 16 ? new Map<string, Node>() : undefined;
      for (let i = 0; i < items.length; i++) {
        const pair = items[i];
        if (isScalar(pair.key)) {
          const key = String(pair.key.value);
          let first: Node | undefined = seen?.get(key);
          for (let j = 0; !seen && j < i && !first; j++) {
            const earlier = items[j].key;
            if (isScalar(earlier) && String(earlier.value) === key) first = earlier;
          }
          if (first) {
            out.push({
              code: 'KT001',
              severity: 'error',
              message: `Duplicate key "${key}": YAML keys must be unique in a mapping, and only the last one would count. Remove or merge one.`,
              range: nodeRange(parsed, pair.key as Node),
              related: [{ range: nodeRange(parsed, first), message: `first "${key}"` }],
            });
          } else seen?.set(key, pair.key as Node);
        } else walk(pair.key);
        walk(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    } else if (isPair(node)) {
      walk(node.key);
      walk(node.value);
    }
  };
  walk(parsed.doc.contents);
  return out;
}

function toConfig(outline: PolicyOutline, value: unknown): PolicyConfig {
  // The same plain value the schema checked; toJS is not cheap on big configs, so it runs once.
  const js = (value ?? {}) as Record<string, any>;
  const targets = ((js.providers?.targets ?? []) as any[]).map((t, i) => ({
    id: String(t.id),
    type: outline.targets[i]?.type ?? 'openai',
    baseUrl: String(t.provider?.base_url ?? (outline.targets[i]?.type === 'mock' ? `mock://${t.id}` : '')),
    keyEnv: t.provider?.secret_key_ref?.env,
    apiVersion: t.provider?.api_version,
    mock: t.provider?.mock,
  }));
  const groups = ((js.model_groups ?? []) as any[]).map((g) => ({
    name: String(g.name),
    strategy: g.strategy ?? 'weighted',
    session_affinity: g.session_affinity === true,
    budget_per_request_usd: g.budget_per_request_usd,
    models: (g.models as any[]).map((m) => ({ ...m })),
  }));
  const audit = js.policy?.['audit-logger'];
  return {
    pack: js.pack,
    targets,
    groups,
    policyChain: (js.policies?.chain ?? []) as string[],
    auditLogger: audit && (js.policies?.chain ?? []).includes('audit-logger')
      ? { immutable: audit.immutable === true, retention_days: audit.retention_days, log_all_access: audit.log_all_access === true }
      : undefined,
  };
}
