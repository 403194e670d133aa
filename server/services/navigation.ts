// Go to definition, find references and rename for provider ids (and references of group names).
import type { Location, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver-types';
import type { Scalar } from 'yaml';
import { nodeRange } from '../../gateway/policy/document';
import type { Position } from '../../gateway/policy/types';
import { nodeAt, symbolAt, type PolicySymbol } from './locate';
import type { PolicyView } from './view';

/** Same rule as the schema's target id pattern, so a rename never creates an invalid id. */
const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function symbolAtPosition(view: PolicyView, position: Position): PolicySymbol | undefined {
  return symbolAt(view.outline, nodeAt(view.parsed, view.offsetAt(position)));
}

function targetIdNodes(view: PolicyView, id: string): Scalar[] {
  return view.outline.targets.flatMap((t) => (t.id === id && t.idNode ? [t.idNode] : []));
}

function providerRefNodes(view: PolicyView, id: string): Scalar[] {
  return view.outline.groups.flatMap((g) => g.models.flatMap((m) => (m.provider === id && m.providerNode ? [m.providerNode] : [])));
}

export function definition(view: PolicyView, uri: string, position: Position): Location[] {
  const symbol = symbolAtPosition(view, position);
  if (symbol?.kind !== 'providerRef') return [];
  return targetIdNodes(view, symbol.id).map((node) => ({ uri, range: nodeRange(view.parsed, node) }));
}

export function references(view: PolicyView, uri: string, position: Position, includeDeclaration: boolean): Location[] {
  const symbol = symbolAtPosition(view, position);
  let declarations: Scalar[] = [];
  let uses: Scalar[] = [];
  if (symbol?.kind === 'target' || symbol?.kind === 'providerRef') {
    declarations = targetIdNodes(view, symbol.id);
    uses = providerRefNodes(view, symbol.id);
  } else if (symbol?.kind === 'group') {
    // Clients request groups by name; inside the config a name recurs only where it is declared again.
    declarations = view.outline.groups.flatMap((g) => (g.name === symbol.name && g.nameNode ? [g.nameNode] : []));
  } else return [];
  return [...(includeDeclaration ? declarations : []), ...uses]
    .sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0))
    .map((node) => ({ uri, range: nodeRange(view.parsed, node) }));
}

export function prepareRename(view: PolicyView, position: Position): { range: Range; placeholder: string } | undefined {
  const symbol = symbolAtPosition(view, position);
  if (symbol?.kind !== 'target' && symbol?.kind !== 'providerRef') return undefined;
  return { range: nodeRange(view.parsed, symbol.node), placeholder: symbol.id };
}

export class RenameError extends Error {}

/** A plain scalar unless YAML would read the new id as a number, boolean or null, or the old one was quoted. */
function scalarText(old: Scalar, id: string): string {
  if (old.type === 'QUOTE_DOUBLE') return `"${id}"`;
  if (old.type === 'QUOTE_SINGLE') return `'${id}'`;
  const ambiguous = /^(?:[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|true|false|yes|no|on|off|null|~)$/i.test(id);
  return ambiguous ? `"${id}"` : id;
}

export function rename(view: PolicyView, uri: string, position: Position, newName: string): WorkspaceEdit | undefined {
  const symbol = symbolAtPosition(view, position);
  if (symbol?.kind !== 'target' && symbol?.kind !== 'providerRef') return undefined;
  const id = newName.trim();
  if (!PROVIDER_ID.test(id)) {
    throw new RenameError(`"${newName}" is not a valid provider id: start with a letter or digit and use only letters, digits, ".", "_" and "-".`);
  }
  if (id !== symbol.id && view.outline.targets.some((t) => t.id === id)) {
    throw new RenameError(`A provider target with id "${id}" already exists; pick another id.`);
  }
  const edits: TextEdit[] = [...targetIdNodes(view, symbol.id), ...providerRefNodes(view, symbol.id)]
    .sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0))
    .map((node) => ({ range: nodeRange(view.parsed, node), newText: scalarText(node, id) }));
  return { changes: { [uri]: edits } };
}
