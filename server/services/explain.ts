// The "Explain route…" code action: the client opens the group's explanation (hover.ts
// explainGroupMarkdown, asked for with kt/explainRoute) as a read-only document.
import type { CodeAction, Range } from 'vscode-languageserver-types';
import type { LocatedGroup } from '../../gateway/policy/outline';
import { EXPLAIN_ROUTE_COMMAND } from '../protocol';
import type { PolicyView } from './view';

function inside(range: Range, group: LocatedGroup, view: PolicyView): boolean {
  const span = group.node.range;
  if (!span) return false;
  const start = view.offsetAt(range.start);
  return span[0] <= start && start <= span[1];
}

/** "Explain route…" on the model group the selection starts in; not offered when only quick fixes are asked for. */
export function explainActions(view: PolicyView, uri: string, range: Range, only?: readonly string[]): CodeAction[] {
  if (only && only.length) return [];
  const group = view.outline.groups.find((g) => g.name !== undefined && inside(range, g, view));
  if (!group?.name) return [];
  return [{ title: `Explain route "${group.name}"…`, command: { title: 'Explain route…', command: EXPLAIN_ROUTE_COMMAND, arguments: [uri, group.name] } }];
}
