// One analysed version of a policy document, as the editor services read it.
import { analyzePolicy, type PolicyAnalysis } from '../../gateway/policy/analyze';
import { offsetAt, positionAt, type ParsedPolicy } from '../../gateway/policy/document';
import { outlinePolicy, type PolicyOutline } from '../../gateway/policy/outline';
import type { Position } from '../../gateway/policy/types';
import { shapeLines, type LineShape } from './line-context';

export class PolicyView {
  private outlineCache?: PolicyOutline;
  private shapeCache?: LineShape[];

  constructor(readonly analysis: PolicyAnalysis) {}

  get text(): string {
    return this.analysis.parsed.text;
  }

  get parsed(): ParsedPolicy {
    return this.analysis.parsed;
  }

  /** The analysis skips the outline on syntax errors; editing features still want what did parse. */
  get outline(): PolicyOutline {
    if (this.outlineCache) return this.outlineCache;
    const { outline, parsed } = this.analysis;
    this.outlineCache = outline.root || parsed.doc.errors.length === 0 ? outline : outlinePolicy(parsed);
    return this.outlineCache;
  }

  get lines(): LineShape[] {
    this.shapeCache ??= shapeLines(this.text);
    return this.shapeCache;
  }

  offsetAt(position: Position): number {
    return offsetAt(this.parsed, position);
  }

  positionAt(offset: number): Position {
    return positionAt(this.parsed, offset);
  }
}

export function viewOf(text: string): PolicyView {
  return new PolicyView(analyzePolicy(text));
}
