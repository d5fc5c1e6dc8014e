import type { AnalysisResult } from '../analysis/analyze.js';

export const REPORT_VERSION = 1;

/** The stable JSON report (documented in README): version 1. */
export function jsonReport(result: AnalysisResult): string {
  const findings = result.findings.map((finding) => ({
    rule: finding.rule,
    severity: finding.severity,
    file: finding.file,
    line: finding.line,
    column: finding.column,
    endLine: finding.endLine,
    endColumn: finding.endColumn,
    image: finding.image ?? null,
    resource: finding.resource ?? null,
    container: finding.container ?? null,
    message: finding.message,
    fix: finding.fix,
    ...(finding.related ? { related: finding.related } : {}),
  }));
  const images = result.images.map((image) => ({
    reference: image.reference,
    normalized: image.normalized ?? null,
    status: image.status,
    digest: image.digest ?? null,
    locations: image.locations,
  }));
  return `${JSON.stringify({ version: REPORT_VERSION, findings, images }, null, 2)}\n`;
}
