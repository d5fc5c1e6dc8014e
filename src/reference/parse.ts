/**
 * Image reference parsing, ported from distribution/reference v0.6.0 (`ParseNormalizedNamed`, `Parse`,
 * `FamiliarString`, `TagNameOnly`) with go-digest v1.0.0 digest validation, plus the defaults the
 * kubelet and containerd apply when pulling: `latest` when nothing is pinned, the digest when both a tag
 * and a digest are given, and `registry-1.docker.io` as Docker Hub's API host.
 */
import { validateDigest } from './digest.js';
import { isIdentifier, matchName, matchReference } from './grammar.js';
import type { ImageReference, ReferenceParseResult } from './types.js';

/** Error strings exactly as upstream produces them; the kubelet echoes them in InvalidImageName. */
export const REFERENCE_ERRORS = {
  invalidFormat: 'invalid reference format',
  nameEmpty: 'repository name must have at least one component',
  nameContainsUppercase: 'repository name must be lowercase',
  nameTooLong: 'repository name must not be more than 255 characters',
  remoteNotLowercase: (remote: string): string =>
    `invalid reference format: repository name (${remote}) must be lowercase`,
  identifier: (input: string): string =>
    `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`,
} as const;

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
const REPOSITORY_NAME_MAX_LENGTH = 255;

/** A reference as upstream's `Parse` returns it, before any defaults. */
export interface ParsedReference {
  /** '' when the name has no domain part. */
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

export type RawParseResult = { ok: true; reference: ParsedReference } | { ok: false; reason: string };

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/**
 * Go's `strings.ToLower`. JavaScript applies full case mapping, which differs from Go's simple mapping
 * only for U+0130 (`İ`): Go maps it to an ASCII `i`, which can make the lowercased text parse.
 */
function goToLower(s: string): string {
  return s.replaceAll('\u0130', 'i').toLowerCase();
}

/** Upstream `Parse`: grammar, then the path length limit, then the digest's own validation. */
export function parseReference(s: string): RawParseResult {
  if (s === '') return fail(REFERENCE_ERRORS.nameEmpty);
  const match = matchReference(s);
  if (match === undefined) {
    // Upstream retries in lowercase only to pick the more helpful message.
    const lower = goToLower(s);
    const uppercase = lower !== s && matchReference(lower) !== undefined;
    return fail(uppercase ? REFERENCE_ERRORS.nameContainsUppercase : REFERENCE_ERRORS.invalidFormat);
  }
  // matchReference only returns names that matchName accepts.
  const { domain, path } = matchName(match.name) ?? { domain: '', path: match.name };
  // Since v0.6.0 only the path counts towards the limit, not the domain.
  if (path.length > REPOSITORY_NAME_MAX_LENGTH) return fail(REFERENCE_ERRORS.nameTooLong);
  if (match.digest !== undefined) {
    const digestError = validateDigest(match.digest);
    if (digestError !== undefined) return fail(digestError);
  }
  const { tag, digest } = match;
  return {
    ok: true,
    reference: { domain, path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) },
  };
}

/** Upstream `splitDockerDomain`: decide whether the first segment is a registry, and add `library/`. */
export function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + name };

  const maybeDomain = name.slice(0, slash);
  const maybeRemainder = name.slice(slash + 1);
  let domain = DEFAULT_DOMAIN;
  let remainder = name;
  if (maybeDomain === LEGACY_DEFAULT_DOMAIN) {
    remainder = maybeRemainder;
  } else if (
    maybeDomain === 'localhost' ||
    maybeDomain.includes('.') ||
    maybeDomain.includes(':') ||
    // Namespaces cannot be uppercase, so an uppercase first segment is taken to be a host.
    goToLower(maybeDomain) !== maybeDomain
  ) {
    domain = maybeDomain;
    remainder = maybeRemainder;
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** Upstream `ParseNormalizedNamed`: the parse the kubelet applies to `container.image`. */
export function parseNormalizedNamed(s: string): RawParseResult {
  if (isIdentifier(s)) return fail(REFERENCE_ERRORS.identifier(s));
  const { domain, remainder } = splitDockerDomain(s);
  const tagSeparator = remainder.indexOf(':');
  const remote = tagSeparator < 0 ? remainder : remainder.slice(0, tagSeparator);
  if (goToLower(remote) !== remote) return fail(REFERENCE_ERRORS.remoteNotLowercase(remote));
  return parseReference(`${domain}/${remainder}`);
}

/** `Name()`: domain and path, or the path alone when the grammar found no domain. */
function fullName(domain: string, path: string): string {
  return domain === '' ? path : `${domain}/${path}`;
}

/** Upstream `familiarizeName`: drop `docker.io/`, and `library/` for single-segment official images. */
function familiarName(domain: string, path: string): string {
  if (domain !== DEFAULT_DOMAIN) return fullName(domain, path);
  const official = path.startsWith(OFFICIAL_REPO_PREFIX) ? path.slice(OFFICIAL_REPO_PREFIX.length) : '';
  return official !== '' && !official.includes('/') ? official : path;
}

/** `String()` of `TagNameOnly(ref)`: `name:tag`, `name@digest` or `name:tag@digest`. */
function suffix(tag: string | undefined, digest: string | undefined): string {
  const tagPart = tag !== undefined ? `:${tag}` : digest === undefined ? `:${DEFAULT_TAG}` : '';
  return digest !== undefined ? `${tagPart}@${digest}` : tagPart;
}

/**
 * The host containerd contacts: Docker Hub's API host for `docker.io`, else the domain. A name the
 * grammar parsed without a domain (e.g. `foo_bar.com/app`, whose first segment has `.` yet is no valid
 * host) is still resolved by containerd against its first segment.
 */
function apiHostFor(domain: string, path: string): string {
  if (domain === DEFAULT_DOMAIN) return DOCKER_HUB_API_HOST;
  if (domain !== '') return domain;
  const slash = path.indexOf('/');
  return slash < 0 ? path : path.slice(0, slash);
}

/**
 * Parse a container image reference as the kubelet does, never throwing. `normalized` and `familiar`
 * follow upstream's `String()` and `FamiliarString()` after `TagNameOnly`, so a reference carrying both
 * a tag and a digest keeps both (`docker.io/library/x:1@sha256:…`); `manifestReference` is the digest.
 */
export function parseImageReference(input: string): ReferenceParseResult {
  const parsed = parseNormalizedNamed(input);
  if (!parsed.ok) return parsed;
  const { domain, path, tag, digest } = parsed.reference;
  const reference: ImageReference = {
    original: input,
    domain,
    apiHost: apiHostFor(domain, path),
    path,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
    manifestReference: digest ?? tag ?? DEFAULT_TAG,
    normalized: fullName(domain, path) + suffix(tag, digest),
    familiar: familiarName(domain, path) + suffix(tag, digest),
  };
  return { ok: true, reference };
}
