import { parseImageReference } from '../reference/index.js';
import type { ImageReference } from '../reference/types.js';
import { globMatch } from './glob.js';

/**
 * Images this workflow publishes (`pending-images`, docker/metadata-action's `tags`): one that does
 * not exist yet is not a missing image. Patterns are matched on the normalised reference the kubelet
 * pulls, so `acme/app:1` and `docker.io/acme/app:1` are the same image. A reference with no tag
 * means `:latest`, as an image does; a glob with no tag (`ghcr.io/acme/*`) matches every tag.
 */
export interface PendingImage {
  /** As the user wrote it. */
  written: string;
  /** Normalised, with its `*` and `?` kept: `ghcr.io/acme/app:*`. */
  pattern: string;
}

// Stand-ins for `*` and `?` that are valid in every part of a reference, so a glob parses as one.
const STAR = 'zzpendingstarzz';
const QUESTION = 'zzpendingqmarkzz';

/** The pattern, or why it is neither a reference nor a glob over one. */
export function parsePendingImage(written: string): PendingImage | { error: string } {
  if (written.includes(STAR) || written.includes(QUESTION)) return { error: 'it is not a reference' };
  const parsed = parseImageReference(written.replaceAll('*', STAR).replaceAll('?', QUESTION));
  if (!parsed.ok) return { error: parsed.reason };
  const { domain, path, tag, digest, normalized } = parsed.reference;
  // `ghcr.io/acme/*` means every image there, not only their `:latest`; so does `ghcr.io/*/app`,
  // whose glob does not reach the tag by itself.
  const glob = /[*?]/.test(written) && tag === undefined && digest === undefined;
  const pattern = (glob ? `${domain}/${path}:*` : normalized).replaceAll(STAR, '*').replaceAll(QUESTION, '?');
  return { written, pattern };
}

/** The pending image this reference is, if any. */
export function matchPending(pending: PendingImage[], reference: ImageReference): PendingImage | undefined {
  return pending.find((image) => globMatch(image.pattern, reference.normalized));
}
