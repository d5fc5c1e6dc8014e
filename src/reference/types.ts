/** A container image reference, parsed and normalised exactly as distribution/reference does. */
export interface ImageReference {
  /** The text as written in the manifest. */
  original: string;
  /** Normalised registry domain: `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`. */
  domain: string;
  /** Host (and port) the registry API is served on: `registry-1.docker.io` for `docker.io`. */
  apiHost: string;
  /** Repository path within the registry: `library/nginx`, `org/app`. */
  path: string;
  /** The tag as written, if any (kept even when a digest overrides it). */
  tag?: string;
  /** `algorithm:hex`, if written. */
  digest?: string;
  /** What the kubelet asks the registry for: the digest if present, else the tag, else `latest`. */
  manifestReference: string;
  /** Fully qualified name with the reference that is pulled, e.g. `docker.io/library/nginx:latest`. */
  normalized: string;
  /** The short form Docker prints, e.g. `nginx:latest`, `ghcr.io/org/app@sha256:…`. */
  familiar: string;
}

export type ReferenceParseResult = { ok: true; reference: ImageReference } | { ok: false; reason: string };
