import type { AnalysisResult } from '../analysis/analyze.js';
import type { RenderedFindingFields } from '../manifests/types.js';
import type { RenderSummary } from '../render/index.js';

export const REPORT_VERSION = 1;

/** The stable JSON report (documented in README): version 1. */
export function jsonReport(result: AnalysisResult & { rendered?: RenderSummary }): string {
  const findings = result.findings.map(
    (finding: AnalysisResult['findings'][number] & Partial<RenderedFindingFields>) => ({
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
      // Findings on rendered output (kustomize, helm): how the line was found, and which roots render it.
      ...(finding.mapping ? { mapping: finding.mapping, renderedBy: finding.renderedBy ?? [] } : {}),
    }),
  );
  const images = result.images.map((image) => ({
    reference: image.reference,
    normalized: image.normalized ?? null,
    status: image.status,
    digest: image.digest ?? null,
    locations: image.locations,
  }));
  const rendered =
    result.rendered?.roots.length || result.rendered?.capped ? { rendered: result.rendered } : {};
  return `${JSON.stringify({ version: REPORT_VERSION, findings, images, ...rendered }, null, 2)}\n`;
}
