import type { Finding } from '../findings.js';
import type { RenderedFindingFields, RenderedFrom } from '../manifests/types.js';

/** A finding about a rendered image, with how its line was found and which roots produced it. */
export type RenderedFinding = Finding & RenderedFindingFields;

/** A finding as analysis makes it: about a rendered image, it carries that image's render facts. */
export type FindingWithRender = Finding & { rendered?: RenderedFrom };

/**
 * Findings on rendered images: one per source line and rule, whichever roots rendered it, each
 * saying how the line was found and which roots it stands for. Other findings pass through as they are.
 */
export function mergeRenderedFindings(findings: FindingWithRender[]): Finding[] {
  const groups = new Map<string, { finding: Finding; from: RenderedFrom; roots: Set<string> }>();
  const kept: Array<Finding | string> = [];
  for (const { rendered, ...finding } of findings) {
    if (!rendered) {
      kept.push(finding);
      continue;
    }
    const group = [finding.file, finding.line, finding.column, finding.rule].join('\0');
    const existing = groups.get(group);
    if (existing) existing.roots.add(rendered.root);
    else {
      groups.set(group, { finding, from: rendered, roots: new Set([rendered.root]) });
      kept.push(group);
    }
  }
  return kept.map((item) => {
    if (typeof item !== 'string') return item;
    const { finding, from, roots } = groups.get(item)!;
    const renderedBy = [...roots].sort();
    const result: RenderedFinding = {
      ...finding,
      message: `${finding.message} (rendered by ${renderedBy.join(', ')}; ${from.via})`,
      mapping: from.mapping,
      renderedBy,
    };
    return result;
  });
}
