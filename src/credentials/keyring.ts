/**
 * The kubelet's keyring, exactly: a port of kubernetes `pkg/credentialprovider/keyring.go`
 * (BasicDockerKeyring.Add and Lookup, ParseSchemelessURL, SplitURL, URLsMatch(Str),
 * isDefaultRegistryMatch).
 *
 * The kubelet looks credentials up for `parsers.ParseImageName(image)`'s repository, i.e. the
 * normalised `named.Name()` without tag or digest: `nginx` → `docker.io/library/nginx`.
 */
import type { SourceLocation } from '../findings.js';
import type { ImageReference } from '../reference/types.js';
import type { BasicCredential } from './types.js';
import { compareGoStrings, goFilepathMatch, parseGoUrl, splitHostPort, type GoUrl } from '../go/compat.js';

export interface KeyringEntry {
  /** The registry key as written in the secret, e.g. `https://index.docker.io/v1/`, `*.example.com`. */
  key: string;
  credential: BasicCredential;
  source: {
    secretName: string;
    namespace: string;
    /** Where the secret is defined in the repository, when it is. */
    location?: SourceLocation;
  };
}

/** The key the kubelet files Docker Hub credentials under, and the only one its Hub fallback reads. */
export const DEFAULT_REGISTRY_HOST = 'index.docker.io';

/**
 * The index key `BasicDockerKeyring.Add` files a docker config key under: `https://` added when there
 * is no scheme, a leading `/v1/` or `/v2/` trimmed, `host[:port]` plus the remaining path. Undefined
 * when Go's url.Parse rejects the key (the kubelet logs it and ignores the entry).
 */
export function keyringIndexKey(key: string): string | undefined {
  const value = key.startsWith('https://') || key.startsWith('http://') ? key : `https://${key}`;
  const parsed = parseGoUrl(value);
  if (!parsed) return undefined;
  let effectivePath = parsed.path;
  if (effectivePath.startsWith('/v2/') || effectivePath.startsWith('/v1/'))
    effectivePath = effectivePath.slice(3);
  return effectivePath.length > 0 && effectivePath !== '/' ? parsed.host + effectivePath : parsed.host;
}

/** `ParseSchemelessURL`: url.Parse of `https://` + the string (the scheme is then irrelevant). */
export function parseSchemelessUrl(schemeless: string): GoUrl | undefined {
  return parseGoUrl(`https://${schemeless}`);
}

/** `SplitURL`: host labels and port; a host without a parsable port keeps it all as labels. */
export function splitUrl(url: GoUrl): { parts: string[]; port: string } {
  const split = splitHostPort(url.host);
  const host = split ? split.host : url.host;
  return { parts: host.split('.'), port: split ? split.port : '' };
}

/**
 * `URLsMatch`: the ports are equal, the hosts have as many labels, each target label matches the
 * glob's label as a `filepath.Match` pattern, and the glob's path is a prefix of the target's.
 */
export function urlsMatch(glob: GoUrl, target: GoUrl): boolean {
  const g = splitUrl(glob);
  const t = splitUrl(target);
  if (g.port !== t.port) return false;
  if (g.parts.length !== t.parts.length) return false;
  if (!target.path.startsWith(glob.path)) return false;
  // A malformed pattern is an error, which Lookup treats as no match.
  return g.parts.every((part, k) => goFilepathMatch(part, t.parts[k]!) === true);
}

/** `URLsMatchStr`: both sides are schemeless (`Add` removed the scheme from keys). */
export function urlsMatchStr(glob: string, target: string): boolean {
  const g = parseSchemelessUrl(glob);
  const t = parseSchemelessUrl(target);
  return g !== undefined && t !== undefined && urlsMatch(g, t);
}

/**
 * `isDefaultRegistryMatch`: whether the kubelet thinks the image is on Docker Hub. The first path
 * component counts as a registry only with a `.` or `:`, so `localhost/x` also counts as Hub here.
 */
export function isDefaultRegistryMatch(image: string): boolean {
  const slash = image.indexOf('/');
  const first = slash < 0 ? image : image.slice(0, slash);
  if (first.length === 0) return false;
  if (slash < 0) return true;
  if (first === 'docker.io' || first === 'index.docker.io') return true;
  return !/[.:]/.test(first);
}

/** What the kubelet passes to Lookup: the normalised repository name, without tag or digest. */
export function repoToPull(image: ImageReference): string {
  return `${image.domain}/${image.path}`;
}

/**
 * `BasicDockerKeyring.Lookup` over the entries in the order the kubelet adds them. Keys are visited in
 * reverse byte order (the kubelet's "most specific first": `quay.io/coreos` before `quay.io`); all
 * entries under every matching key are returned, in insertion order. Only when nothing matches and the
 * image is on Docker Hub, the entries filed under exactly `index.docker.io` are returned.
 */
export function lookupRepository(entries: readonly KeyringEntry[], repository: string): KeyringEntry[] {
  const byKey = new Map<string, KeyringEntry[]>();
  for (const entry of entries) {
    const key = keyringIndexKey(entry.key);
    if (key === undefined) continue;
    const list = byKey.get(key) ?? [];
    list.push(entry);
    byKey.set(key, list);
  }
  const index = [...byKey.keys()].sort((a, b) => compareGoStrings(b, a));
  const matches = index.filter((key) => urlsMatchStr(key, repository)).flatMap((key) => byKey.get(key)!);
  if (matches.length > 0) return matches;
  if (isDefaultRegistryMatch(repository)) return [...(byKey.get(DEFAULT_REGISTRY_HOST) ?? [])];
  return [];
}

/** Every entry the kubelet would try for `image`, most specific first (the kubelet's order). */
export function lookupCredentials(entries: KeyringEntry[], image: ImageReference): KeyringEntry[] {
  return lookupRepository(entries, repoToPull(image));
}
