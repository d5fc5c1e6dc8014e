import * as core from '@actions/core';
import type { Finding } from '../findings.js';
import { RULES } from '../analysis/rules.js';

const ANNOTATE = { error: core.error, warning: core.warning, notice: core.notice } as const;

/** Workflow-command annotations on the exact range; @actions/core escapes the properties. */
export function annotationProperties(finding: Finding): core.AnnotationProperties {
  const properties: core.AnnotationProperties = {
    title: `${finding.rule}: ${RULES.get(finding.rule as never)?.title ?? finding.rule}`,
    file: finding.file,
    startLine: finding.line,
    endLine: finding.endLine,
  };
  // GitHub honours columns only on one-line ranges; its endColumn is inclusive.
  if (finding.line === finding.endLine) {
    properties.startColumn = finding.column;
    properties.endColumn = Math.max(finding.column, finding.endColumn - 1);
  }
  return properties;
}

export function annotate(findings: Finding[]): void {
  for (const finding of findings) {
    ANNOTATE[finding.severity](`${finding.message}\nFix: ${finding.fix}`, annotationProperties(finding));
  }
}
