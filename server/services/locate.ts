// Finds the YAML node under an offset in a parsed policy, with its path from the root.
import { isMap, isPair, isScalar, isSeq, type Node, type Pair, type Scalar } from 'yaml';
import type { ParsedPolicy } from '../../gateway/policy/document';
import type { LocatedGroup, LocatedModel, LocatedTarget, PolicyOutline } from '../../gateway/policy/outline';
import type { PathSegment } from './line-context';

export interface NodeAt {
  path: PathSegment[];
  /** On a mapping key (path ends with that key) or on a scalar value (path leads to it). */
  kind: 'key' | 'value';
  node: Scalar;
  pair?: Pair<Node, Node | null>;
}

function covers(node: Node | null | undefined, offset: number): boolean {
  return !!node?.range && node.range[0] <= offset && offset <= node.range[1];
}

export function nodeAt(parsed: ParsedPolicy, offset: number): NodeAt | undefined {
  let node = parsed.doc.contents as Node | null;
  const path: PathSegment[] = [];
  for (let depth = 0; node && depth < 1000; depth++) {
    if (isMap(node)) {
      let next: Node | null = null;
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const key = item.key as Node | null;
        if (isScalar(key) && covers(key, offset)) return { path: [...path, String(key.value)], kind: 'key', node: key, pair: item as Pair<Node, Node | null> };
        if (covers(item.value as Node | null, offset) && isScalar(key)) {
          path.push(String(key.value));
          next = item.value as Node;
          break;
        }
      }
      node = next;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => covers(item as Node, offset));
      if (index === -1) return undefined;
      path.push(index);
      node = node.items[index] as Node;
    } else if (isScalar(node)) {
      return { path, kind: 'value', node };
    } else return undefined;
  }
  return undefined;
}

/** What a located node means in the routing config. */
export type PolicySymbol =
  | { kind: 'target'; id: string; node: Scalar; target: LocatedTarget }
  | { kind: 'providerRef'; id: string; node: Scalar; group: LocatedGroup; model: LocatedModel }
  | { kind: 'group'; name: string; node: Scalar; group: LocatedGroup }
  | { kind: 'model'; name: string; node: Scalar; group: LocatedGroup; model: LocatedModel }
  | { kind: 'keyEnv'; name: string; node: Scalar; target: LocatedTarget }
  | { kind: 'policy'; name: string; node: Scalar };

export function symbolAt(outline: PolicyOutline, at: NodeAt | undefined): PolicySymbol | undefined {
  if (!at || at.kind !== 'value') return undefined;
  const p = at.path;
  const value = at.node.value === null || at.node.value === undefined ? undefined : String(at.node.value);
  if (value === undefined) return undefined;
  if (p.length === 4 && p[0] === 'providers' && p[1] === 'targets' && p[3] === 'id') {
    const target = outline.targets.find((t) => t.idNode === at.node);
    return target ? { kind: 'target', id: value, node: at.node, target } : undefined;
  }
  if (p.length === 6 && p[0] === 'providers' && p[1] === 'targets' && p[3] === 'provider' && p[4] === 'secret_key_ref' && p[5] === 'env') {
    const target = outline.targets.find((t) => t.keyEnvNode === at.node);
    return target ? { kind: 'keyEnv', name: value, node: at.node, target } : undefined;
  }
  if (p[0] === 'model_groups' && typeof p[1] === 'number') {
    const group = outline.groups.find((g) => g.index === p[1]);
    if (!group) return undefined;
    if (p.length === 3 && p[2] === 'name' && group.nameNode === at.node) return { kind: 'group', name: value, node: at.node, group };
    if (p.length === 5 && p[2] === 'models' && typeof p[3] === 'number') {
      const model = group.models.find((m) => m.index === p[3]);
      if (!model) return undefined;
      if (p[4] === 'provider' && model.providerNode === at.node) return { kind: 'providerRef', id: value, node: at.node, group, model };
      if (p[4] === 'model' && model.modelNode === at.node) return { kind: 'model', name: value, node: at.node, group, model };
    }
  }
  if (p.length === 3 && p[0] === 'policies' && p[1] === 'chain') return { kind: 'policy', name: value, node: at.node };
  return undefined;
}
