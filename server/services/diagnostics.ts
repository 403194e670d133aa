// The policy model's diagnostics in LSP form: source "kt", the KT code, related locations and fix data.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-types';
import type { PolicyDiagnostic, Severity } from '../../gateway/policy/types';
import { DIAGNOSTIC_SOURCE, type PolicyDiagnosticData } from '../protocol';
import type { PolicyView } from './view';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspDiagnostic(uri: string, d: PolicyDiagnostic): Diagnostic {
  const diagnostic: Diagnostic = {
    range: d.range,
    severity: SEVERITY[d.severity],
    code: d.code,
    source: DIAGNOSTIC_SOURCE,
    message: d.message,
  };
  if (d.related?.length) diagnostic.relatedInformation = d.related.map((r) => ({ location: { uri, range: r.range }, message: r.message }));
  if (d.fixes?.length) diagnostic.data = { fixes: d.fixes } satisfies PolicyDiagnosticData;
  return diagnostic;
}

export function diagnosticsOf(view: PolicyView, uri: string): Diagnostic[] {
  return view.analysis.diagnostics.map((d) => toLspDiagnostic(uri, d));
}
