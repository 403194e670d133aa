// Quick fixes: the repairs the policy model attached to a diagnostic, offered as they are.
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver-types';
import type { PolicyDiagnostic, Range } from '../../gateway/policy/types';
import type { PolicyView } from './view';

function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/**
 * One quick fix per repair of each client diagnostic that is still current: same code and range as a
 * diagnostic of this document version. Stale diagnostics get none, so no edit lands on moved text.
 */
export function quickFixes(view: PolicyView, uri: string, clientDiagnostics: readonly Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of clientDiagnostics) {
    const current: PolicyDiagnostic | undefined = view.analysis.diagnostics.find((d) => d.code === diagnostic.code && sameRange(d.range, diagnostic.range));
    if (!current) continue;
    // The fix data published as `diagnostic.data` for this version; a client's copy from an older
    // version can match by code and range yet carry edits computed for text that has since changed.
    const fixes = current.fixes ?? [];
    for (const fix of fixes) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: fixes.length === 1,
        edit: { changes: { [uri]: fix.edits.map((e) => ({ range: e.range, newText: e.newText })) } },
      });
    }
  }
  return actions;
}
