/**
 * The one shape every stage reports in. Findings are data: the report stage renders them, nothing
 * else formats or prints them.
 */

export type Severity = 'error' | 'warning' | 'notice';

/** 1-based lines and columns; `endColumn` is the column just past the last character (as SARIF). */
export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface SourceLocation extends SourceRange {
  /** Path relative to the working directory, with `/` separators. */
  file: string;
}

export interface ResourceRef {
  kind: string;
  name: string;
  namespace: string;
}

/** A place elsewhere that explains a finding: the pull secret, the `imagePullSecrets` entry, … */
export interface RelatedLocation extends SourceLocation {
  message: string;
}

export interface Finding extends SourceLocation {
  /** Stable rule ID from the catalogue in `src/analysis/rules.ts`. */
  rule: string;
  severity: Severity;
  /** The image as written, when the finding is about one. */
  image?: string;
  resource?: ResourceRef;
  container?: string;
  message: string;
  fix: string;
  related?: RelatedLocation[];
}

export const SEVERITY_ORDER: Record<Severity, number> = { notice: 0, warning: 1, error: 2 };

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_ORDER[severity] >= SEVERITY_ORDER[threshold];
}
