import type { ResourceRef, SourceLocation } from '../findings.js';
import type { ContainerImage, RenderMapping } from '../manifests/types.js';

/**
 * What a scan concluded about an image at one place it is used. `unchecked`: offline or pull policy
 * Never; `unverified`: the registry could not give an answer (network, rate limit, missing secret);
 * `pending`: not there yet, and published by this workflow (pending-images).
 */
export type ImageStatus =
  | 'unchecked'
  | 'invalid'
  | 'available'
  | 'not-found'
  | 'unauthorized'
  | 'platform-missing'
  | 'unverified'
  | 'pending';

/** Worst first: an image used in several places reports the worst of them. */
const STATUS_RANK: ImageStatus[] = [
  'invalid',
  'not-found',
  'unauthorized',
  'platform-missing',
  'unverified',
  'pending',
  'unchecked',
  'available',
];

export interface ImageLocation extends SourceLocation {
  resource: ResourceRef;
  container: string;
  status: ImageStatus;
  /** For rendered output (kustomize, helm): how this source line was found, and the roots rendering it. */
  mapping?: RenderMapping;
  renderedBy?: string[];
}

export interface ImageReport {
  /** The image as written. */
  reference: string;
  /** Fully qualified form, when it parses. */
  normalized?: string;
  status: ImageStatus;
  /** The manifest digest the registry serves for it, when checked. */
  digest?: string;
  locations: ImageLocation[];
}

export interface ImageVerdict {
  image: ContainerImage;
  status: ImageStatus;
  normalized?: string;
  digest?: string;
}

/** Groups verdicts by the image as written, keeping file order. */
export function summarizeImages(verdicts: ImageVerdict[]): ImageReport[] {
  const byReference = new Map<string, ImageReport>();
  for (const verdict of verdicts) {
    const { image } = verdict;
    let report = byReference.get(image.image);
    if (!report) {
      report = { reference: image.image, status: verdict.status, locations: [] };
      if (verdict.normalized) report.normalized = verdict.normalized;
      byReference.set(image.image, report);
    }
    if (STATUS_RANK.indexOf(verdict.status) < STATUS_RANK.indexOf(report.status))
      report.status = verdict.status;
    if (verdict.digest && !report.digest) report.digest = verdict.digest;
    const { file, line, column, endLine, endColumn } = image;
    const location: ImageLocation = {
      file,
      line,
      column,
      endLine,
      endColumn,
      resource: image.pod.resource,
      container: image.container,
      status: verdict.status,
    };
    if (image.rendered) {
      // Several roots rendering the same container at the same source line: one location naming them all.
      const same = report.locations.find((l) => l.renderedBy && sameLocation(l, location));
      if (same) {
        if (!same.renderedBy!.includes(image.rendered.root)) same.renderedBy!.push(image.rendered.root);
        if (STATUS_RANK.indexOf(verdict.status) < STATUS_RANK.indexOf(same.status))
          same.status = verdict.status;
        continue;
      }
      location.mapping = image.rendered.mapping;
      location.renderedBy = [image.rendered.root];
    }
    report.locations.push(location);
  }
  return [...byReference.values()];
}

function sameLocation(a: ImageLocation, b: ImageLocation): boolean {
  return (
    a.file === b.file &&
    a.line === b.line &&
    a.column === b.column &&
    a.container === b.container &&
    a.resource.kind === b.resource.kind &&
    a.resource.namespace === b.resource.namespace &&
    a.resource.name === b.resource.name
  );
}
