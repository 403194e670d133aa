// Which group of which policy file a `kt-explain:` document explains: the group in the path (so the
// tab reads "cheap-chat route.md"), the policy file's URI in the query. Free of `vscode` for tests.

export const EXPLAIN_SCHEME = 'kt-explain';

export interface ExplainTarget {
  /** The policy document's URI, as the language server knows it. */
  uri: string;
  group: string;
}

export function explainPath(group: string): string {
  return `/${encodeURIComponent(group)} route.md`;
}

/** The target of a `kt-explain:` URI's path and query, or undefined when they are not one of ours. */
export function parseExplainTarget(path: string, query: string): ExplainTarget | undefined {
  const m = /^\/(.+) route\.md$/.exec(path);
  if (!m || !query) return undefined;
  try {
    return { uri: decodeURIComponent(query), group: decodeURIComponent(m[1]) };
  } catch {
    return undefined;
  }
}
