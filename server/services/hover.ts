// Hovers: schema documentation of keys, and what a provider reference, group, model or key variable means.
import { MarkupKind, type Hover } from 'vscode-languageserver-types';
import { nodeRange } from '../../gateway/policy/document';
import { knownModel } from '../../gateway/policy/known-models';
import type { LocatedGroup, LocatedModel, LocatedTarget } from '../../gateway/policy/outline';
import { KNOWN_POLICIES } from '../../gateway/policy/rules';
import { explainRoute, renderExplanation } from '../../gateway/routing/explain';
import { schemaAt } from '../../gateway/policy/schema-check';
import type { Position } from '../../gateway/policy/types';
import { nodeAt, symbolAt } from './locate';
import type { PolicyView } from './view';

export type Environment = Readonly<Record<string, string | undefined>>;

function markdown(value: string, view: PolicyView, node: Parameters<typeof nodeRange>[1]): Hover {
  return { contents: { kind: MarkupKind.Markdown, value }, range: nodeRange(view.parsed, node) };
}

export function usd(n: number): string {
  return `$${+n.toFixed(6)}`;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function schemaDoc(path: ReadonlyArray<string | number>): string | undefined {
  const schema = schemaAt(path);
  return schema?.markdownDescription ?? schema?.description;
}

export function hover(view: PolicyView, position: Position, env: Environment): Hover | null {
  const at = nodeAt(view.parsed, view.offsetAt(position));
  if (!at) return null;
  if (at.kind === 'key') {
    const doc = schemaDoc(at.path);
    return doc ? markdown(`${code(String(at.path[at.path.length - 1]))}\n\n${doc}`, view, at.node) : null;
  }
  const symbol = symbolAt(view.outline, at);
  switch (symbol?.kind) {
    case 'target':
    case 'providerRef': {
      const targets = view.outline.targets.filter((t) => t.id === symbol.id);
      const text = targets.length
        ? targets.map((t) => targetMarkdown(view, t, env)).join('\n\n---\n\n')
        : `**${symbol.id}**: no provider target has this id. Define it under \`providers.targets\` or pick one of: ${view.outline.targets.map((t) => code(t.id ?? '?')).join(', ') || '(none yet)'}.`;
      return markdown(text, view, symbol.node);
    }
    case 'group':
      return markdown(explainGroupMarkdown(view, symbol.name, env), view, symbol.node);
    case 'model':
      return markdown(modelMarkdown(view, symbol.model), view, symbol.node);
    case 'keyEnv':
      return markdown(`${code(symbol.name)} ${envState(symbol.name, env)}\n\nThe API key of target **${symbol.target.id ?? '?'}** is read from this variable; the key itself never goes in the config.`, view, symbol.node);
    case 'policy': {
      const known = (KNOWN_POLICIES as readonly string[]).includes(symbol.name);
      const configured = view.outline.configuredPolicies.has(symbol.name);
      const state = !known ? 'is not a policy the gateway knows' : configured ? 'is configured under `policy`' : 'is not configured under `policy` yet';
      return markdown(`Policy ${code(symbol.name)} ${state}.\n\n${schemaDoc(['policy', symbol.name]) ?? ''}`.trim(), view, symbol.node);
    }
  }
  // Any other value: the documentation of its key (e.g. what each strategy does).
  const doc = schemaDoc(at.path);
  return doc ? markdown(doc, view, at.node) : null;
}

function envState(name: string, env: Environment): string {
  return env[name] !== undefined && env[name] !== '' ? 'is set ✓' : 'is **not set** ✗ (export it, or add it to a .env file beside the config)';
}

function targetMarkdown(view: PolicyView, t: LocatedTarget, env: Environment): string {
  const inferred = !t.typeNode || t.typeNode.value !== t.type;
  const users = view.outline.groups.filter((g) => g.models.some((m) => m.provider === t.id && t.id !== undefined)).map((g) => g.name ?? `#${g.index + 1}`);
  const lines = [
    `**${t.id ?? `target #${t.index + 1}`}** · provider target`,
    '',
    `- base_url: ${t.baseUrl ? code(t.baseUrl) : '_not set_'}`,
    `- type: ${code(t.type)}${inferred ? ' (inferred from base_url)' : ''}`,
    `- key: ${t.keyEnv ? `${code(t.keyEnv)} ${envState(t.keyEnv, env)}` : t.type === 'mock' || t.type === 'ollama' ? 'none needed' : '_no secret_key_ref_'}`,
    `- used by: ${users.length ? users.map(code).join(', ') : 'no model group'}`,
  ];
  return lines.join('\n');
}

function label(m: LocatedModel): string {
  return `${m.provider ?? '?'}/${m.model ?? '?'}`;
}

/** Price per 1k tokens: from the config, else the known list price. */
function prices(m: LocatedModel): { input?: number; output?: number; listed: boolean } {
  const known = m.model ? knownModel(m.model) : undefined;
  const input = m.costIn ?? known?.inputPer1k;
  const output = m.costOut ?? known?.outputPer1k;
  return { input, output, listed: (m.costIn === undefined || m.costOut === undefined) && known !== undefined };
}

/** Markdown for a group: the planner's explanation of a default request when the config is clean. */
export function explainGroupMarkdown(view: PolicyView, name: string, env: Environment): string {
  const config = view.analysis.config;
  if (!config) {
    const located = view.outline.groups.find((g) => g.name === name);
    const errors = `${view.analysis.errorCount} error${view.analysis.errorCount === 1 ? '' : 's'}`;
    const note = `_The gateway would not run this config while it has ${errors} (see Problems), so this is what the file says, not what the planner would do._`;
    return located ? `${groupMarkdown(view, located)}\n\n${note}` : `No model group named \`${name}\` in this config. ${note}`;
  }
  const explained = explainRoute(config, { model: name, env });
  if ('error' in explained) return explained.message;
  return `${renderExplanation(explained, 'markdown')}\n\n_For a given request, session, seed or the latency averages of the event log: \`kt route explain --config FILE --model ${name} --request FILE\`._`;
}

export function groupMarkdown(view: PolicyView, g: LocatedGroup): string {
  const head = `**${g.name ?? `group #${g.index + 1}`}** · model group, strategy ${code(g.strategy)}${g.strategyNode ? '' : ' (default)'}`;
  const out = [head, ''];
  if (g.strategy === 'weighted') {
    const sum = g.models.reduce((a, m) => a + (m.weight ?? 0), 0);
    const unweighted = g.models.every((m) => m.weight === undefined);
    out.push('Each request goes to one model picked at random in proportion to its weight.', '', '| model | weight | share |', '|---|---:|---:|');
    for (const m of g.models) {
      const share = unweighted ? 100 / g.models.length : m.weight !== undefined && sum > 0 ? (m.weight * 100) / sum : undefined;
      out.push(`| ${label(m)} | ${m.weight ?? '—'} | ${share === undefined ? '—' : `${+share.toFixed(1)}%`} |`);
    }
    if (!unweighted && Math.abs(sum - 100) > 1e-9) out.push('', `The weights sum to ${+sum.toFixed(6)}, not 100; shares above are relative to that sum.`);
    if (g.sessionAffinity) out.push('', 'Session affinity: a conversation stays on the model it started on.');
  } else if (g.strategy === 'fallback') {
    out.push('Models are tried in this order; on an error or timeout the next one is tried.', '');
    g.models.forEach((m, i) => out.push(`${i + 1}. ${label(m)} — ${m.timeoutMs !== undefined ? `timeout ${m.timeoutMs} ms` : 'no timeout_ms'}`));
    const total = g.models.reduce((a, m) => a + (m.timeoutMs ?? 0), 0);
    if (g.models.length > 1 && g.models.every((m) => m.timeoutMs !== undefined)) out.push('', `Worst case before the last model answers: ${total} ms of timeouts.`);
  } else if (g.strategy === 'cost') {
    out.push(`The cheapest model whose estimated cost fits ${g.budget !== undefined ? `the budget of ${usd(g.budget)} per request` : 'the budget (budget_per_request_usd not set)'} serves each request.`, '');
    out.push('| model | per 1k input | per 1k output | 1k in + 1k out |', '|---|---:|---:|---:|');
    const rows = g.models.map((m) => ({ m, ...prices(m) }));
    rows.sort((a, b) => (a.input ?? Infinity) + (a.output ?? Infinity) - ((b.input ?? Infinity) + (b.output ?? Infinity)));
    for (const r of rows) {
      const both = r.input !== undefined && r.output !== undefined ? usd(r.input + r.output) : '—';
      out.push(`| ${label(r.m)} | ${r.input !== undefined ? usd(r.input) : '—'} | ${r.output !== undefined ? usd(r.output) : '—'} | ${both}${r.listed ? ' (list price)' : ''} |`);
    }
  } else {
    out.push('Each request goes to the model with the lowest recent time to first byte.', '');
    g.models.forEach((m) => out.push(`- ${label(m)}${m.timeoutMs !== undefined ? ` — timeout ${m.timeoutMs} ms` : ''}`));
  }
  return out.join('\n');
}

export function modelMarkdown(view: PolicyView, m: LocatedModel): string {
  const name = m.model ?? '?';
  const known = knownModel(name);
  const target = view.outline.targets.find((t) => t.id === m.provider);
  const on = target ? ` on ${code(target.id ?? '?')} (${target.type})` : '';
  if (!known) {
    return `${code(name)}${on}\n\nNot a model with a known list price. Set \`cost_per_1k_input\`, \`cost_per_1k_output\` and \`max_input_tokens\` if cost routing should use it.`;
  }
  const lines = [
    `${code(name)}${on} — ${known.description}`,
    '',
    `- list price: ${usd(known.inputPer1k)} per 1k input tokens, ${usd(known.outputPer1k)} per 1k output tokens`,
    `- context window: ${known.contextWindow.toLocaleString('en-US')} tokens`,
  ];
  if (m.costIn !== undefined || m.costOut !== undefined) lines.push(`- this config: ${m.costIn !== undefined ? usd(m.costIn) : '—'} in, ${m.costOut !== undefined ? usd(m.costOut) : '—'} out per 1k tokens`);
  return lines.join('\n');
}
