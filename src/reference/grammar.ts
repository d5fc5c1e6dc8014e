/**
 * Recognisers for the reference grammar of distribution/reference v0.6.0 (`regexp.go`).
 *
 * Upstream uses Go's RE2, which is linear-time. JavaScript regexps backtrack, and on long input their
 * group iterations can exhaust the regexp stack, so each production is a hand-written scanner over
 * char codes instead. Only ASCII can ever match, exactly as in Go (`\w` and the classes are ASCII).
 */

/** The capture groups of upstream's anchored `ReferenceRegexp`: name, tag and digest. */
export interface ReferenceMatch {
  name: string;
  tag?: string;
  digest?: string;
}

/** The capture groups of upstream's `anchoredNameRegexp`: domain ('' when absent) and path. */
export interface NameMatch {
  domain: string;
  path: string;
}

const TAG_MAX_LENGTH = 128;
const DIGEST_HEX_MIN_LENGTH = 32;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isLetter = (c: number): boolean => isLower(c) || isUpper(c);
const isLowerAlnum = (c: number): boolean => isDigit(c) || isLower(c);
const isAlnum = (c: number): boolean => isDigit(c) || isLetter(c);
const isWord = (c: number): boolean => isAlnum(c) || c === 0x5f;
const isLowerHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66);
const isHex = (c: number): boolean => isLowerHex(c) || (c >= 0x41 && c <= 0x46);
const HYPHEN = 0x2d;

/** True when every char code of `s` satisfies `pred` (vacuously true for ''). */
function every(s: string, pred: (c: number) => boolean): boolean {
  for (let i = 0; i < s.length; i++) if (!pred(s.charCodeAt(i))) return false;
  return true;
}

/** `(?:[._]|__|[-]+)`: one period, one or two underscores, or any number of dashes. */
function isSeparator(run: string): boolean {
  return run === '.' || run === '_' || run === '__' || (run.length > 0 && every(run, (c) => c === HYPHEN));
}

/** `pathComponent`: `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`. */
export function isPathComponent(s: string): boolean {
  if (s.length === 0 || !isLowerAlnum(s.charCodeAt(0)) || !isLowerAlnum(s.charCodeAt(s.length - 1))) {
    return false;
  }
  let i = 0;
  while (i < s.length) {
    if (isLowerAlnum(s.charCodeAt(i))) {
      i++;
      continue;
    }
    // A run of non-alphanumerics always sits between two alphanumerics here (both ends are).
    let j = i;
    while (j < s.length && !isLowerAlnum(s.charCodeAt(j))) j++;
    if (!isSeparator(s.slice(i, j))) return false;
    i = j;
  }
  return true;
}

/** `remoteName`: path components joined by single slashes. */
export function isRemoteName(s: string): boolean {
  return s.split('/').every(isPathComponent);
}

/** `domainNameComponent`: alphanumerics and dashes, not starting or ending with a dash. */
function isDomainNameComponent(s: string): boolean {
  return (
    s.length > 0 &&
    s.charCodeAt(0) !== HYPHEN &&
    s.charCodeAt(s.length - 1) !== HYPHEN &&
    every(s, (c) => isAlnum(c) || c === HYPHEN)
  );
}

/** `optionalPort` when present: `:[0-9]+`. */
function isPort(s: string): boolean {
  return s.length > 1 && s.charCodeAt(0) === 0x3a && every(s.slice(1), isDigit);
}

/** `domainAndPort`: a DNS-like name or a bracketed IPv6 address, then an optional port. */
export function isDomainAndPort(s: string): boolean {
  if (s.startsWith('[')) {
    // `\[(?:[a-fA-F0-9:]+)\]`: the address cannot contain `]`, so the first one closes it.
    const close = s.indexOf(']');
    if (close < 2) return false;
    const address = s.slice(1, close);
    const rest = s.slice(close + 1);
    return every(address, (c) => isHex(c) || c === 0x3a) && (rest === '' || isPort(rest));
  }
  // A domain name has no colon, so the first colon (if any) starts the port.
  const colon = s.indexOf(':');
  const host = colon < 0 ? s : s.slice(0, colon);
  if (colon >= 0 && !isPort(s.slice(colon))) return false;
  return host.split('.').every(isDomainNameComponent);
}

/** `tag`: `[\w][\w.-]{0,127}`. */
export function isTag(s: string): boolean {
  return (
    s.length > 0 &&
    s.length <= TAG_MAX_LENGTH &&
    isWord(s.charCodeAt(0)) &&
    every(s, (c) => isWord(c) || c === 0x2e || c === HYPHEN)
  );
}

/** Components of a digest algorithm split on any of `separators`, each checked by `component`. */
function isSeparatedList(s: string, separators: string, component: (part: string) => boolean): boolean {
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || separators.includes(s.charAt(i))) {
      if (!component(s.slice(start, i))) return false;
      start = i + 1;
    }
  }
  return true;
}

/** distribution's `digestPat`: `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`. */
export function isReferenceDigest(s: string): boolean {
  const colon = s.indexOf(':');
  if (colon < 0) return false;
  const algorithm = s.slice(0, colon);
  const hex = s.slice(colon + 1);
  const algorithmComponent = (part: string): boolean =>
    part.length > 0 && isLetter(part.charCodeAt(0)) && every(part, isAlnum);
  return (
    isSeparatedList(algorithm, '-_+.', algorithmComponent) &&
    hex.length >= DIGEST_HEX_MIN_LENGTH &&
    every(hex, isHex)
  );
}

/** go-digest's `DigestRegexpAnchored`: `^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`. */
export function isGoDigestFormat(s: string): boolean {
  const colon = s.indexOf(':');
  if (colon < 0) return false;
  const encoded = s.slice(colon + 1);
  const algorithmComponent = (part: string): boolean => part.length > 0 && every(part, isLowerAlnum);
  return (
    isSeparatedList(s.slice(0, colon), '.+_-', algorithmComponent) &&
    encoded.length > 0 &&
    every(encoded, (c) => isAlnum(c) || c === 0x3d || c === 0x5f || c === HYPHEN)
  );
}

/** `anchoredIdentifierRegexp`: exactly 64 lowercase hex digits (an image ID). */
export function isIdentifier(s: string): boolean {
  return s.length === 64 && every(s, isLowerHex);
}

/** Hex-encoded digest value of exactly `length` lowercase hex digits (go-digest's per-algorithm regexp). */
export function isLowerHexOfLength(s: string, length: number): boolean {
  return s.length === length && every(s, isLowerHex);
}

/**
 * `anchoredNameRegexp`: `^(?:(domainAndPort)/)?(remoteName)$`. The optional domain is tried first, as
 * Go's leftmost-first submatch semantics do; a domain never contains `/`, so it is the first segment.
 */
export function matchName(name: string): NameMatch | undefined {
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const domain = name.slice(0, slash);
    const path = name.slice(slash + 1);
    if (isDomainAndPort(domain) && isRemoteName(path)) return { domain, path };
  }
  return isRemoteName(name) ? { domain: '', path: name } : undefined;
}

/**
 * `ReferenceRegexp`: `^(name)(?::(tag))?(?:@(digest))?$`. The split is unambiguous: only the digest may
 * follow `@` (and none of the parts contains one), and after the first `/` a colon can only start the
 * tag, since neither the path nor the tag contains a colon; before any `/` a colon belongs to the
 * domain, except in a slash-less name, where it must start the tag.
 */
export function matchReference(s: string): ReferenceMatch | undefined {
  const at = s.indexOf('@');
  const left = at < 0 ? s : s.slice(0, at);
  const digest = at < 0 ? undefined : s.slice(at + 1);
  if (digest !== undefined && !isReferenceDigest(digest)) return undefined;

  const slash = left.indexOf('/');
  const colon = left.indexOf(':', slash < 0 ? 0 : slash);
  const name = colon < 0 ? left : left.slice(0, colon);
  const tag = colon < 0 ? undefined : left.slice(colon + 1);
  if (tag !== undefined && !isTag(tag)) return undefined;
  if (matchName(name) === undefined) return undefined;
  return { name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}
