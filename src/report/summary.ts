import type { Finding, Severity } from '../findings.js';
import type { ScanResult } from '../scan-result.js';

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

/** HTML-escapes user-controlled text for Markdown tables (core.summary does not escape). */
export function escapeCell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\|/g, '&#124;')
    .replace(/`/g, '&#96;')
    .replace(/\r?\n/g, '<br>');
}

function count(findings: Finding[], severity: Severity): number {
  return findings.filter((finding) => finding.severity === severity).length;
}

export function headline(findings: Finding[]): string {
  const errors = count(findings, 'error');
  const icon = errors ? '❌' : count(findings, 'warning') ? '⚠️' : '✅';
  return `${icon} imagepull-preflight: ${errors} error(s), ${count(findings, 'warning')} warning(s), ${count(findings, 'notice')} notice(s)`;
}

function findingRow(finding: Finding, link: LineLink): string {
  const where = `${finding.file}:${finding.line}`;
  const url = link(finding.file, finding.line);
  const location = url ? `<a href="${escapeCell(url)}">${escapeCell(where)}</a>` : escapeCell(where);
  const image = finding.image !== undefined ? `<code>${escapeCell(finding.image)}</code>` : '';
  return `| ${ICONS[finding.severity]} | ${location} | ${image} | ${escapeCell(finding.message)} | <code>${finding.rule}</code> | ${escapeCell(finding.fix)} |`;
}

/** The job summary (and, shortened, the PR comment): every finding, never truncated. */
export function summaryMarkdown(result: ScanResult, context: SummaryContext): string {
  const lines = [`## ${headline(result.findings)}`, ''];
  const files = new Set(result.images.flatMap((image) => image.locations.map((l) => l.file))).size;
  lines.push(
    `Checked ${result.images.length} image reference(s) in ${files} file(s); scope: ${escapeCell(context.scope)}.` +
      (result.suppressed.length ? ` ${result.suppressed.length} finding(s) suppressed (listed below).` : ''),
    '',
  );
  for (const note of context.notes) lines.push(`> ${escapeCell(note)}`, '');
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
      result.rendered.roots.map((root) => `<code>${escapeCell(root)}</code>`).join(', ') || 'none';
    const capped = result.rendered.capped ? ' (capped by max-render-roots: some were not rendered)' : '';
    lines.push(`**Rendered:** ${roots}${capped}`, '');
  }
  if (result.registry) {
    const registries = result.registry.contacted.map((domain) => {
      const limits = result.registry!.rateLimits[domain];
      return limits
        ? `${escapeCell(domain)} (pull quota remaining: ${escapeCell(limits.remaining)} of ${escapeCell(limits.limit)})`
        : escapeCell(domain);
    });
    lines.push(`**Registries contacted:** ${registries.join(', ') || 'none'}`, '');
  } else {
    lines.push('**Offline:** no registry was contacted; images are unchecked.', '');
  }
  if (result.suppressed.length) {
    lines.push(`<details><summary>Suppressed findings (${result.suppressed.length})</summary>`, '');
    lines.push('| | Location | Image | Rule | Suppressed by |', '|---|---|---|---|---|');
    for (const { finding, by, reason } of result.suppressed) {
      const image = finding.image !== undefined ? `<code>${escapeCell(finding.image)}</code>` : '';
      lines.push(
        `| ${ICONS[finding.severity]} | ${escapeCell(`${finding.file}:${finding.line}`)} | ${image} | <code>${finding.rule}</code> | ${escapeCell(`${by}: ${reason}`)} |`,
      );
    }
    lines.push('', '</details>', '');
  }
  return lines.join('\n');
}

/** The sticky PR comment: the marker finds it again; "all clear" once everything is fixed. */
export function commentBody(result: ScanResult, context: SummaryContext): string {
  return `${COMMENT_MARKER}\n${summaryMarkdown(result, context)}`;
}
