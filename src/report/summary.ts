import type { Finding, Severity } from '../findings.js';
import type { ScanResult } from '../scan-result.js';
import { htmlAttribute, markdownCode, markdownText } from './markdown.js';

/** Where a finding's line lives on GitHub; identity when there is no repository context. */
export type LineLink = (file: string, line: number) => string | undefined;

export interface SummaryContext {
  link: LineLink;
  /** How the files to check were chosen, e.g. "changed files (pull request API)". */
  scope: string;
  notes: string[];
}

const ICONS: Record<Severity, string> = { error: '❌', warning: '⚠️', notice: 'ℹ️' };
export const COMMENT_MARKER = '<!-- imagepull-preflight:report -->';

function count(findings: Finding[], severity: Severity): number {
  return findings.filter((finding) => finding.severity === severity).length;
}

export function headline(findings: Finding[]): string {
  const errors = count(findings, 'error');
  const icon = errors ? '❌' : count(findings, 'warning') ? '⚠️' : '✅';
  return `${icon} imagepull-preflight: ${errors} error(s), ${count(findings, 'warning')} warning(s), ${count(findings, 'notice')} notice(s)`;
}

function findingRow(finding: Finding, link: LineLink): string {
  const where = markdownCode(`${finding.file}:${finding.line}`, { inTable: true });
  const url = link(finding.file, finding.line);
  const location = url ? `<a href="${htmlAttribute(url)}">${where}</a>` : where;
  const image = finding.image !== undefined ? markdownCode(finding.image, { inTable: true }) : '';
  return `| ${ICONS[finding.severity]} | ${location} | ${image} | ${markdownText(finding.message)} | <code>${finding.rule}</code> | ${markdownText(finding.fix)} |`;
}

/** The job summary (and the PR comment, cut to GitHub's limit): every finding. */
export function summaryMarkdown(result: ScanResult, context: SummaryContext): string {
  const lines = [`## ${headline(result.findings)}`, ''];
  const files = new Set(result.images.flatMap((image) => image.locations.map((l) => l.file))).size;
  lines.push(
    `Checked ${result.images.length} image reference(s) in ${files} file(s); scope: ${markdownText(context.scope)}.` +
      (result.suppressed.length ? ` ${result.suppressed.length} finding(s) suppressed (listed below).` : ''),
    '',
  );
  for (const note of context.notes) lines.push(`> ${markdownText(note)}`, '');
  if (result.findings.length) {
    lines.push(
      '| | Location | Image | What the cluster would do | Rule | Fix |',
      '|---|---|---|---|---|---|',
    );
    for (const finding of result.findings) lines.push(findingRow(finding, context.link));
    lines.push('');
  } else {
    lines.push('No image pull problems found.', '');
  }
  if (result.rendered?.roots.length || result.rendered?.capped) {
    // Kustomize roots and Helm charts rendered (src/render); capped by max-render-roots.
    const roots =
      result.rendered.roots.map((root) => markdownCode(root, { inTable: false })).join(', ') || 'none';
    const capped = result.rendered.capped ? ' (capped by max-render-roots: some were not rendered)' : '';
    lines.push(`**Rendered:** ${roots}${capped}`, '');
  }
  if (result.registry) {
    const registries = result.registry.contacted.map((domain) => {
      const limits = result.registry!.rateLimits[domain];
      return limits
        ? `${markdownCode(domain, { inTable: false })} (pull quota remaining: ${markdownText(limits.remaining)} of ${markdownText(limits.limit)})`
        : markdownCode(domain, { inTable: false });
    });
    lines.push(`**Registries contacted:** ${registries.join(', ') || 'none'}`, '');
  } else {
    lines.push('**Offline:** no registry was contacted; images are unchecked.', '');
  }
  if (result.suppressed.length) {
    lines.push(`<details><summary>Suppressed findings (${result.suppressed.length})</summary>`, '');
    lines.push('| | Location | Image | Rule | Suppressed by |', '|---|---|---|---|---|');
    for (const { finding, by, reason } of result.suppressed) {
      const image = finding.image !== undefined ? markdownCode(finding.image, { inTable: true }) : '';
      const where = markdownCode(`${finding.file}:${finding.line}`, { inTable: true });
      lines.push(
        `| ${ICONS[finding.severity]} | ${where} | ${image} | <code>${finding.rule}</code> | ${markdownText(`${by}: ${reason}`)} |`,
      );
    }
    lines.push('', '</details>', '');
  }
  return lines.join('\n');
}

/** The sticky PR comment: the marker finds it again; "all clear" once everything is fixed. */
export function commentBody(result: ScanResult, context: SummaryContext): string {
  return fitMarkdown(`${COMMENT_MARKER}\n${summaryMarkdown(result, context)}`);
}

/** GitHub refuses a comment body or a check-run summary longer than this. */
export const GITHUB_TEXT_LIMIT = 65535;
const TRUNCATED = '\n\n**Truncated:** the job summary has the full report.\n';

/** Cut at a line boundary (never inside a table row or a code span), saying so. */
export function fitMarkdown(markdown: string, limit = GITHUB_TEXT_LIMIT): string {
  if (markdown.length <= limit) return markdown;
  const closeDetails = '\n\n</details>';
  let kept = markdown.slice(0, markdown.lastIndexOf('\n', limit - TRUNCATED.length - closeDetails.length));
  if (kept.lastIndexOf('<details>') > kept.lastIndexOf('</details>')) kept += closeDetails;
  return kept + TRUNCATED;
}
