// Read-only virtual documents `kt-explain:/<group> route.md?<policy uri>`: the language server's route
// explanation of a model group, refreshed as its policy file is edited.
import * as vscode from 'vscode';
import type { ExplainRouteParams, ExplainRouteResult } from '../../server/protocol';
import { EXPLAIN_SCHEME, explainPath, parseExplainTarget } from '../explain/explain-target';

export function explainUri(policyUri: string, group: string): vscode.Uri {
  return vscode.Uri.from({ scheme: EXPLAIN_SCHEME, path: explainPath(group), query: encodeURIComponent(policyUri) });
}

export class ExplainDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly explain: (params: ExplainRouteParams) => Promise<ExplainRouteResult>) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const target = parseExplainTarget(uri.path, uri.query);
    if (!target) return `${uri.toString()} does not name a model group to explain.`;
    return `${(await this.explain(target)).markdown}\n`;
  }

  /** A policy file changed: re-ask for the explanations of its groups that are open. */
  sourceChanged(policyUri: string): void {
    for (const doc of vscode.workspace.textDocuments) {
      if (doc.uri.scheme === EXPLAIN_SCHEME && parseExplainTarget(doc.uri.path, doc.uri.query)?.uri === policyUri) this.changed.fire(doc.uri);
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
