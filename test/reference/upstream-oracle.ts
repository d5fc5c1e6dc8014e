/**
 * Test oracle: a line-by-line transliteration of distribution/reference v0.6.0 (`regexp.go`,
 * `reference.go` Parse, `normalize.go` ParseNormalizedNamed) and go-digest v1.0.0 (`Digest.Validate`)
 * using the upstream regexps verbatim. Backtracking JS regexps are only safe on short input, which is
 * why the production parser scans instead; the fuzz tests check the two agree.
 */

// --- regexp.go, same helper functions and composition ---
const optional = (...res: string[]): string => `(?:${res.join('')})?`;
const anyTimes = (...res: string[]): string => `(?:${res.join('')})*`;
const capture = (...res: string[]): string => `(${res.join('')})`;
const anchored = (...res: string[]): string => `^${res.join('')}$`;

const alphanumeric = `[a-z0-9]+`;
const separator = `(?:[._]|__|[-]+)`;
const domainNameComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`;
const optionalPort = `(?::[0-9]+)?`;
const tag = `[\\w][\\w.-]{0,127}`;
const digestPat = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}`; // [[:xdigit:]]
const identifier = `([a-f0-9]{64})`;
const ipv6address = `\\[(?:[a-fA-F0-9:]+)\\]`;
const domainName = domainNameComponent + anyTimes(`\\.`, domainNameComponent);
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = alphanumeric + anyTimes(separator + alphanumeric);
const remoteName = pathComponent + anyTimes(`/`, pathComponent);
const namePat = optional(domainAndPort, `/`) + remoteName;

export const anchoredDomainRegexp = new RegExp(anchored(domainAndPort));
export const anchoredNameRegexp = new RegExp(
  anchored(optional(capture(domainAndPort), `/`), capture(remoteName)),
);
export const referenceRegexp = new RegExp(
  anchored(capture(namePat), optional(`:`, capture(tag)), optional(`@`, capture(digestPat))),
);
export const anchoredIdentifierRegexp = new RegExp(anchored(identifier));

// --- go-digest v1.0.0 ---
const goDigestRegexpAnchored = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const goEncodedRegexps: Record<string, { size: number; re: RegExp }> = {
  sha256: { size: 32, re: /^[a-f0-9]{64}$/ },
  sha384: { size: 48, re: /^[a-f0-9]{96}$/ },
  sha512: { size: 64, re: /^[a-f0-9]{128}$/ },
};

export function oracleValidateDigest(s: string): string | undefined {
  const i = s.indexOf(':');
  if (i <= 0 || i + 1 === s.length) return 'invalid checksum digest format';
  const algorithm = s.slice(0, i);
  const encoded = s.slice(i + 1);
  const known = Object.hasOwn(goEncodedRegexps, algorithm) ? goEncodedRegexps[algorithm] : undefined;
  if (known === undefined) {
    return goDigestRegexpAnchored.test(s) ? 'unsupported digest algorithm' : 'invalid checksum digest format';
  }
  if (known.size * 2 !== encoded.length) return 'invalid checksum digest length';
  return known.re.test(encoded) ? undefined : 'invalid checksum digest format';
}

// --- reference.go / normalize.go ---
export type OracleResult =
  { ok: true; domain: string; path: string; tag?: string; digest?: string } | { ok: false; reason: string };

const goToLower = (s: string): string => s.replaceAll('\u0130', 'i').toLowerCase();

export function oracleParse(s: string): OracleResult {
  if (s === '') return { ok: false, reason: 'repository name must have at least one component' };
  const matches = referenceRegexp.exec(s);
  if (matches === null) {
    const sl = goToLower(s);
    if (sl !== s && referenceRegexp.exec(sl) !== null) {
      return { ok: false, reason: 'repository name must be lowercase' };
    }
    return { ok: false, reason: 'invalid reference format' };
  }
  const name = matches[1] ?? '';
  const nameMatch = anchoredNameRegexp.exec(name);
  const domain = nameMatch?.[1] ?? '';
  const path = nameMatch?.[2] ?? name;
  if (path.length > 255) return { ok: false, reason: 'repository name must not be more than 255 characters' };
  const tagMatch = matches[2];
  const digestMatch = matches[3];
  if (digestMatch !== undefined && digestMatch !== '') {
    const err = oracleValidateDigest(digestMatch);
    if (err !== undefined) return { ok: false, reason: err };
  }
  return {
    ok: true,
    domain,
    path,
    ...(tagMatch ? { tag: tagMatch } : {}),
    ...(digestMatch ? { digest: digestMatch } : {}),
  };
}

function oracleSplitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  if (i < 0) return ['docker.io', 'library/' + name];
  const maybeDomain = name.slice(0, i);
  const maybeRemoteName = name.slice(i + 1);
  let domain: string;
  let remoteName: string;
  if (maybeDomain === 'localhost') [domain, remoteName] = [maybeDomain, maybeRemoteName];
  else if (maybeDomain === 'index.docker.io') [domain, remoteName] = ['docker.io', maybeRemoteName];
  else if (/[.:]/.test(maybeDomain)) [domain, remoteName] = [maybeDomain, maybeRemoteName];
  else if (goToLower(maybeDomain) !== maybeDomain) [domain, remoteName] = [maybeDomain, maybeRemoteName];
  else [domain, remoteName] = ['docker.io', name];
  if (domain === 'docker.io' && !remoteName.includes('/')) remoteName = 'library/' + remoteName;
  return [domain, remoteName];
}

export function oracleParseNormalizedNamed(s: string): OracleResult {
  if (anchoredIdentifierRegexp.test(s)) {
    return {
      ok: false,
      reason: `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`,
    };
  }
  const [domain, remainder] = oracleSplitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (goToLower(remote) !== remote) {
    return { ok: false, reason: `invalid reference format: repository name (${remote}) must be lowercase` };
  }
  return oracleParse(domain + '/' + remainder);
}
