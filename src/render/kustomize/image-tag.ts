/**
 * kustomize's `images:` transformer, reproduced from sigs.k8s.io/kustomize/api (v5.5):
 * internal/image/image.go IsImageMatched and Split, filters/imagetag/updater.go SetImageValue.
 */

import { mayBacktrack } from '../../patterns.js';

export interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/**
 * Whether `image` is `name` with an optional tag and digest. kustomize builds this regular expression
 * from `name` unescaped, so a `.` in the name matches any character there too.
 */
export function isImageMatched(image: string, name: string): boolean {
  // The name comes from the pull request: one that could backtrack without end is matched literally.
  if (mayBacktrack(name))
    return image === name || image.startsWith(`${name}:`) || image.startsWith(`${name}@`);
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^${name}(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`);
  } catch {
    return false; // Go's regexp would refuse it as well, and kustomize then matches nothing
  }
  return pattern.test(image);
}

/** Name, tag and digest as kustomize splits them: a `:` before the first `/` is a port, not a tag. */
export function splitImage(image: string): { name: string; tag: string; digest: string } {
  const slash = image.indexOf('/');
  const offset = slash > 0 ? slash : 0;
  const search = image.slice(offset);
  const at = search.indexOf('@');
  const colon = search.indexOf(':');
  if (colon < 0 && at < 0) return { name: image, tag: '', digest: '' };
  if (at >= 0 && (at < colon || colon < 0)) {
    return { name: image.slice(0, offset + at), tag: '', digest: image.slice(offset + at + 1) };
  }
  if (at >= 0 && colon >= 0) {
    return {
      name: image.slice(0, offset + colon),
      tag: image.slice(offset + colon + 1, offset + at),
      digest: image.slice(offset + at + 1),
    };
  }
  return { name: image.slice(0, offset + colon), tag: image.slice(offset + colon + 1), digest: '' };
}

/** The image after one `images:` entry, or undefined when the entry does not match it. */
export function applyOverride(image: string, override: ImageOverride): string | undefined {
  if (!isImageMatched(image, override.name)) return undefined;
  let { name, tag, digest } = splitImage(image);
  if (override.newName) name = override.newName;
  // A new tag or digest replaces both the tag and the digest written before.
  if (override.newTag && override.digest) {
    tag = override.newTag;
    digest = override.digest;
  } else if (override.newTag) {
    tag = override.newTag;
    digest = '';
  } else if (override.digest) {
    tag = '';
    digest = override.digest;
  }
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}
