// The outline view: provider targets, model groups and their models, policies in the chain.
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver-types';
import type { Node, Pair } from 'yaml';
import { nodeRange, pairOf } from '../../gateway/policy/document';
import type { Range } from '../../gateway/policy/types';
import type { PolicyView } from './view';

/** From a node's first character to the end of its value, all lines included. */
export function spanOf(view: PolicyView, node: Node | null | undefined): Range | undefined {
  if (!node?.range) return undefined;
  return { start: view.positionAt(node.range[0]), end: view.positionAt(Math.max(node.range[0], node.range[1])) };
}

/** A `key: value` entry from its key to the end of its value. */
function pairSpan(view: PolicyView, pair: Pair<Node, Node | null>): Range {
  const start = pair.key?.range?.[0] ?? 0;
  const end = pair.value?.range?.[1] ?? pair.key?.range?.[1] ?? start;
  return { start: view.positionAt(start), end: view.positionAt(Math.max(start, end)) };
}

function symbol(name: string, kind: SymbolKind, range: Range, selectionRange: Range, detail?: string, children?: DocumentSymbol[]): DocumentSymbol {
  return { name: name || '(unnamed)', kind, range, selectionRange, detail, children };
}

function percent(n: number): string {
  return `${+n.toFixed(1)}%`;
}

export function documentSymbols(view: PolicyView): DocumentSymbol[] {
  const { outline, parsed } = view;
  if (!outline.root) return [];
  const out: DocumentSymbol[] = [];

  const providers = pairOf(outline.root, 'providers');
  if (providers && outline.targets.length) {
    const targets = outline.targets.map((t) => {
      const range = spanOf(view, t.node) ?? nodeRange(parsed, t.node);
      const selection = t.idNode ? nodeRange(parsed, t.idNode) : { start: range.start, end: range.start };
      return symbol(t.id ?? `target #${t.index + 1}`, SymbolKind.Object, range, selection, t.baseUrl ? `${t.type} · ${t.baseUrl}` : t.type);
    });
    const key = providers.key as Node;
    out.push(symbol('providers', SymbolKind.Namespace, pairSpan(view, providers), nodeRange(parsed, key), `${targets.length} targets`, targets));
  }

  const chainPair = pairOf(pairOf(outline.root, 'policies')?.value, 'chain');
  if (chainPair && outline.chain.length) {
    const policies = outline.chain.map(({ name, node }) => symbol(name, SymbolKind.Event, nodeRange(parsed, node), nodeRange(parsed, node), outline.configuredPolicies.has(name) ? 'configured' : 'not configured'));
    const key = chainPair.key as Node;
    out.push(symbol('policies.chain', SymbolKind.Namespace, pairSpan(view, chainPair), nodeRange(parsed, key), undefined, policies));
  }

  const groupsPair = pairOf(outline.root, 'model_groups');
  if (groupsPair && outline.groups.length) {
    const groups = outline.groups.map((g) => {
      const weightSum = g.models.reduce((a, m) => a + (m.weight ?? 0), 0);
      const models = g.models.map((m, i) => {
        const range = spanOf(view, m.node) ?? nodeRange(parsed, m.node);
        const anchor = m.modelNode ?? m.providerNode;
        const selection = anchor ? nodeRange(parsed, anchor) : { start: range.start, end: range.start };
        const detail = g.strategy === 'weighted' && m.weight !== undefined && weightSum > 0
          ? percent((m.weight * 100) / weightSum)
          : g.strategy === 'fallback' ? `#${i + 1}${m.timeoutMs !== undefined ? ` · ${m.timeoutMs} ms` : ''}` : m.tag;
        return symbol(`${m.provider ?? '?'}/${m.model ?? '?'}`, SymbolKind.Field, range, selection, detail);
      });
      const range = spanOf(view, g.node) ?? nodeRange(parsed, g.node);
      const selection = g.nameNode ? nodeRange(parsed, g.nameNode) : { start: range.start, end: range.start };
      return symbol(g.name ?? `group #${g.index + 1}`, SymbolKind.Class, range, selection, g.strategy, models);
    });
    const key = groupsPair.key as Node;
    out.push(symbol('model_groups', SymbolKind.Namespace, pairSpan(view, groupsPair), nodeRange(parsed, key), `${groups.length} groups`, groups));
  }
  return out;
}
