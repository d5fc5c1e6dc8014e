import type { Finding, RelatedLocation, ResourceRef, SourceLocation } from '../findings.js';
import type { ContainerImage } from '../manifests/types.js';
import type { FindingWithRender } from '../render/findings.js';
import { rule, type RuleId } from './rules.js';

export interface FindingDetails {
  message: string;
  /** The specific fix; the rule's general fix when omitted. */
  fix?: string;
  image?: string;
  resource?: ResourceRef;
  container?: string;
  related?: RelatedLocation[];
}

export function finding(id: RuleId, at: SourceLocation, details: FindingDetails): Finding {
  const { file, line, column, endLine, endColumn } = at;
  const result: Finding = {
    rule: id,
    severity: rule(id).severity,
    file,
    line,
    column,
    endLine,
    endColumn,
    message: details.message,
    fix: details.fix ?? rule(id).fix,
  };
  if (details.image !== undefined) result.image = details.image;
  if (details.resource) result.resource = details.resource;
  if (details.container !== undefined) result.container = details.container;
  if (details.related?.length) result.related = details.related;
  return result;
}

/**
 * Every finding about pulling an image sits on that container's `image:` value; about a rendered
 * image, it carries the render facts (which root, how the line was found) from the start.
 */
export function imageFinding(id: RuleId, image: ContainerImage, details: FindingDetails): FindingWithRender {
  const made: FindingWithRender = finding(id, image, {
    image: image.image,
    resource: image.pod.resource,
    container: image.container,
    ...details,
  });
  if (image.rendered) made.rendered = image.rendered;
  if (image.rendered?.related) made.related = [...(made.related ?? []), ...image.rendered.related];
  return made;
}

export function describeResource(resource: ResourceRef): string {
  return `${resource.kind}/${resource.name || '(unnamed)'} in namespace ${resource.namespace}`;
}
