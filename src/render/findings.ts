import type { Finding } from '../findings.js';
import type { ContainerImage, RenderedFindingFields, RenderedFrom } from '../manifests/types.js';

/** A finding about a rendered image, with how its line was found and which roots produced it. */
export type RenderedFinding = Finding & RenderedFindingFields;

function imageKey(
  at: { file: string; line: number; column: number },
  container: string,
  image: string,
  resource: string,
) {
  return [at.file, at.line, at.column, container, image, resource].join('\0');
}

function resourceKey(resource: { kind: string; namespace: string; name: string }): string {
  return `${resource.kind}/${resource.namespace}/${resource.name}`;
}

/**
 * Findings on rendered images: one per source line and rule, whichever roots rendered it, each
 * saying how the line was found and which roots it stands for. Other findings pass through as they are.
 */
export function attributeRenderedFindings(findings: Finding[], images: ContainerImage[]): Finding[] {
  const traced = new Map<string, { from: RenderedFrom; roots: Set<string> }>();
  for (const image of images) {
    if (!image.rendered) continue;
    const key = imageKey(image, image.container, image.image, resourceKey(image.pod.resource));
    const known = traced.get(key);
    if (known) known.roots.add(image.rendered.root);
    else traced.set(key, { from: image.rendered, roots: new Set([image.rendered.root]) });
  }
  if (traced.size === 0) return findings;

  const groups = new Map<string, { finding: Finding; from: RenderedFrom; roots: Set<string> }>();
  const kept: Array<Finding | string> = [];
  for (const finding of findings) {
    const source =
      finding.image !== undefined && finding.container !== undefined && finding.resource
        ? traced.get(imageKey(finding, finding.container, finding.image, resourceKey(finding.resource)))
        : undefined;
    if (!source) {
      kept.push(finding);
      continue;
    }
    const group = [finding.file, finding.line, finding.column, finding.rule].join('\0');
    const existing = groups.get(group);
    if (existing) for (const root of source.roots) existing.roots.add(root);
    else {
      groups.set(group, { finding, from: source.from, roots: new Set(source.roots) });
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
