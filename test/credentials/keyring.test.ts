import { describe, expect, it } from 'vitest';
import { decodeDockerConfig } from '../../src/manifests/docker-config.js';
import {
  isDefaultRegistryMatch,
  keyringIndexKey,
  lookupCredentials,
  lookupRepository,
  repoToPull,
  urlsMatchStr,
  type KeyringEntry,
} from '../../src/credentials/keyring.js';
import type { ImageReference } from '../../src/reference/types.js';

/** Keyring entries from a `.dockercfg`-style map, as one secret `name` would add them. */
function secret(name: string, config: Record<string, unknown>): KeyringEntry[] {
  const decoded = decodeDockerConfig(config);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.value.map((c) => ({
    key: c.key,
    credential: { username: c.username, password: c.password },
    source: { secretName: name, namespace: 'ns' },
  }));
}

function users(entries: KeyringEntry[]): string[] {
  return entries.map((e) => e.credential.username);
}

const fooBarAuth = Buffer.from('foo:bar').toString('base64');

/** A reference as the reference parser would normalise it (only domain and path matter here). */
function ref(domain: string, path: string): ImageReference {
  const normalized = `${domain}/${path}:latest`;
  return {
    original: normalized,
    domain,
    apiHost: domain === 'docker.io' ? 'registry-1.docker.io' : domain,
    path,
    tag: 'latest',
    manifestReference: 'latest',
    normalized,
    familiar: normalized,
  };
}

describe('URLsMatchStr (upstream keyring_test.go TestURLsMatch)', () => {
  it.each([
    // match when there is no path component
    ['*.kubernetes.io', 'prefix.kubernetes.io', true],
    ['prefix.*.io', 'prefix.kubernetes.io', true],
    ['prefix.kubernetes.*', 'prefix.kubernetes.io', true],
    ['*-good.kubernetes.io', 'prefix-good.kubernetes.io', true],
    // match with path components
    ['*.kubernetes.io/blah', 'prefix.kubernetes.io/blah', true],
    ['prefix.*.io/foo', 'prefix.kubernetes.io/foo/bar', true],
    // match with path components and ports
    ['*.kubernetes.io:1111/blah', 'prefix.kubernetes.io:1111/blah', true],
    ['prefix.*.io:1111/foo', 'prefix.kubernetes.io:1111/foo/bar', true],
    // no match when number of parts mismatch
    ['*.kubernetes.io', 'kubernetes.io', false],
    ['*.*.kubernetes.io', 'prefix.kubernetes.io', false],
    ['*.*.kubernetes.io', 'kubernetes.io', false],
    ['*kubernetes.io', 'a.kubernetes.io', false],
    // match when number of parts match
    ['*kubernetes.io', 'kubernetes.io', true],
    ['*.*.*.kubernetes.io', 'a.b.c.kubernetes.io', true],
    // no match when some parts mismatch
    ['kubernetes.io', 'kubernetes.com', false],
    ['k*.io', 'quay.io', false],
    // no match when ports mismatch
    ['*.kubernetes.io:1234/blah', 'prefix.kubernetes.io:1111/blah', false],
    ['prefix.*.io/foo', 'prefix.kubernetes.io:1111/foo/bar', false],
  ])('%s vs %s → %s', (glob, target, expected) => {
    expect(urlsMatchStr(glob, target)).toBe(expected);
  });
});

describe('glob keys hit (upstream keyring_test.go TestDockerKeyringForGlob)', () => {
  it.each([
    ['https://hello.kubernetes.io', 'hello.kubernetes.io'],
    ['https://*.docker.io', 'prefix.docker.io'],
    ['https://prefix.*.io', 'prefix.docker.io'],
    ['https://prefix.docker.*', 'prefix.docker.io'],
    ['https://*.docker.io/path', 'prefix.docker.io/path'],
    ['https://prefix.*.io/path', 'prefix.docker.io/path/subpath'],
    ['https://prefix.docker.*/path', 'prefix.docker.io/path'],
    ['https://*.docker.io:8888', 'prefix.docker.io:8888'],
    ['https://prefix.*.io:8888', 'prefix.docker.io:8888'],
    ['https://prefix.docker.*:8888', 'prefix.docker.io:8888'],
    ['https://*.docker.io/path:1111', 'prefix.docker.io/path:1111'],
    ['https://*.docker.io/v1/', 'prefix.docker.io/path:1111'],
    ['https://*.docker.io/v2/', 'prefix.docker.io/path:1111'],
    ['https://prefix.docker.*/path:1111', 'prefix.docker.io/path:1111'],
    ['prefix.docker.io:1111', 'prefix.docker.io:1111/path'],
    ['*.docker.io:1111', 'prefix.docker.io:1111/path'],
  ])('%s serves %s/foo/bar', (key, target) => {
    const keyring = secret('s', { [key]: { email: 'foo@bar.baz', auth: fooBarAuth } });
    const found = lookupRepository(keyring, `${target}/foo/bar`);
    expect(found.map((e) => e.credential)).toEqual([{ username: 'foo', password: 'bar' }]);
  });
});

describe('glob keys miss (upstream keyring_test.go TestKeyringMiss)', () => {
  it.each([
    ['https://hello.kubernetes.io', 'world.mesos.org/foo/bar'],
    ['https://*.docker.com', 'prefix.docker.io'],
    ['https://suffix.*.io', 'prefix.docker.io'],
    ['https://prefix.docker.c*', 'prefix.docker.io'],
    ['https://prefix.*.io/path:1111', 'prefix.docker.io/path/subpath:1111'],
    ['suffix.*.io', 'prefix.docker.io'],
  ])('%s does not serve %s/foo/bar', (key, target) => {
    const keyring = secret('s', { [key]: { email: 'foo@bar.baz', auth: fooBarAuth } });
    expect(lookupRepository(keyring, `${target}/foo/bar`)).toEqual([]);
  });
});

describe('Docker Hub credentials (upstream keyring_test.go TestKeyring*DockerHub*)', () => {
  const hub = secret('hub', { 'https://index.docker.io/v1/': { email: 'foo@bar.baz', auth: fooBarAuth } });

  it.each([
    ['TestKeyringMissWithDockerHubCredentials', 'world.mesos.org/foo/bar', 0],
    ['TestKeyringHitWithUnqualifiedDockerHub', 'google/docker-registry', 1],
    ['TestKeyringHitWithUnqualifiedLibraryDockerHub', 'jenkins', 1],
    ['TestKeyringHitWithQualifiedDockerHub', 'index.docker.io/v1//google/docker-registry', 1],
  ])('%s: %s → %i hit(s)', (_name, image, hits) => {
    expect(lookupRepository(hub, image)).toHaveLength(hits);
  });
});

describe('isDefaultRegistryMatch (upstream keyring_test.go TestIsDefaultRegistryMatch)', () => {
  it.each([
    ['foo/bar', true],
    ['docker.io/foo/bar', true],
    ['index.docker.io/foo/bar', true],
    ['foo', true],
    ['', false],
    ['registry.tld/foo/bar', false],
    ['registry:5000/foo/bar', false],
    ['myhostdocker.io/foo/bar', false],
    // Not upstream: a dotless first component counts as Hub, even `localhost`.
    ['localhost/foo', true],
  ])('%s → %s', (image, expected) => {
    expect(isDefaultRegistryMatch(image)).toBe(expected);
  });
});

describe('ordering (upstream keyring_test.go TestDockerKeyringLookup, TestIssue3797)', () => {
  const ada = { username: 'ada', password: 'smash', email: 'ada@example.com' };
  const grace = { username: 'grace', password: 'squash', email: 'grace@example.com' };
  const dk = secret('s', { 'bar.example.com/pong': grace, 'bar.example.com': ada });

  it.each([
    // direct match
    ['bar.example.com', ['ada']],
    // direct match deeper than other possible matches
    ['bar.example.com/pong', ['grace', 'ada']],
    // no direct match, deeper path ignored
    ['bar.example.com/ping', ['ada']],
    // match first part of path token
    ['bar.example.com/pongz', ['grace', 'ada']],
    // match regardless of sub-path
    ['bar.example.com/pong/pang', ['grace', 'ada']],
    // no host match
    ['example.com', []],
    ['foo.example.com', []],
  ])('TestDockerKeyringLookup: %s → %j', (image, expected) => {
    expect(users(lookupRepository(dk, image))).toEqual(expected);
  });

  const rex = secret('s', { 'https://quay.io/v1/': { username: 'rex', password: 'tiny arms' } });
  it.each(['quay.io', 'quay.io/foo', 'quay.io/foo/bar'])('TestIssue3797: %s → rex', (image) => {
    expect(users(lookupRepository(rex, image))).toEqual(['rex']);
  });
});

describe('keyringIndexKey (BasicDockerKeyring.Add)', () => {
  it.each([
    ['docker.io', 'docker.io'],
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['index.docker.io', 'index.docker.io'],
    ['https://quay.io/v2/', 'quay.io'],
    ['http://registry.example.com:5000/v1/team', 'registry.example.com:5000/team'],
    ['registry.example.com/team/', 'registry.example.com/team/'],
    ['https://registry.example.com/v3/team', 'registry.example.com/v3/team'],
    ['[::1]:5000', '[::1]:5000'],
    ['user@registry.example.com', 'registry.example.com'],
    ['registry.example.com/a%2Fb', 'registry.example.com/a/b'],
    // url.Parse errors: the kubelet logs and ignores the entry.
    ['exa mple.com', undefined],
    ['registry.example.com:port', undefined],
    ['registry.example.com/%zz', undefined],
  ])('%s → %s', (key, expected) => {
    expect(keyringIndexKey(key)).toBe(expected);
  });
});

describe('lookupCredentials (ImageReference API)', () => {
  const hubKeys = [
    ['docker.io', true],
    ['index.docker.io', true],
    ['https://index.docker.io/v1/', true],
    ['https://index.docker.io/v2/', true],
    ['registry-1.docker.io', false],
    ['https://registry-1.docker.io/v2/', false],
    ['docker.io/library', true],
    ['docker.io/someone-else', false],
    ['index.docker.io/library', false],
  ] as const;

  it.each(hubKeys)('key %s serves nginx (docker.io/library/nginx): %s', (key, serves) => {
    const keyring = secret('hub', { [key]: { username: 'u', password: 'p' } });
    expect(lookupCredentials(keyring, ref('docker.io', 'library/nginx'))).toHaveLength(serves ? 1 : 0);
  });

  it('repoToPull is the normalised name without tag', () => {
    expect(repoToPull(ref('docker.io', 'library/nginx'))).toBe('docker.io/library/nginx');
  });

  it('uses the index.docker.io fallback only when no other key matches', () => {
    const keyring = [
      ...secret('a', { 'docker.io': { username: 'a', password: 'p' } }),
      ...secret('b', { 'https://index.docker.io/v1/': { username: 'b', password: 'p' } }),
    ];
    expect(users(lookupCredentials(keyring, ref('docker.io', 'library/nginx')))).toEqual(['a']);
    const elsewhere = [
      ...secret('a', { 'docker.io/other-org': { username: 'a', password: 'p' } }),
      ...keyring.slice(1),
    ];
    expect(users(lookupCredentials(elsewhere, ref('docker.io', 'library/nginx')))).toEqual(['b']);
  });

  it.each([
    // [keys in insertion order, image, expected users]
    [['quay.io', 'quay.io/coreos'], 'quay.io/coreos/etcd', ['quay.io/coreos', 'quay.io']],
    [
      ['*.example.com', 'registry.example.com'],
      'registry.example.com/app',
      ['registry.example.com', '*.example.com'],
    ],
    // Reverse byte order, not true specificity: 'u' sorts after '*', so the shorter key comes first.
    [['q*.io/coreos', 'quay.io'], 'quay.io/coreos/etcd', ['quay.io', 'q*.io/coreos']],
    [['*.io', 'docker.io'], 'docker.io/library/nginx', ['docker.io', '*.io']],
  ])('orders %j for %s as %j', (keys, image, expected) => {
    const keyring = keys.flatMap((key) => secret(key, { [key]: { username: key, password: 'p' } }));
    const slash = image.indexOf('/');
    const found = lookupCredentials(keyring, ref(image.slice(0, slash), image.slice(slash + 1)));
    expect(users(found)).toEqual(expected);
  });

  it('keeps every secret under one key, in the order the secrets were added', () => {
    const keyring = [
      ...secret('first', { 'ghcr.io': { username: 'first', password: 'p' } }),
      ...secret('second', { 'https://ghcr.io': { username: 'second', password: 'p' } }),
      ...secret('third', { 'ghcr.io/v2/': { username: 'third', password: 'p' } }),
    ];
    const found = lookupCredentials(keyring, ref('ghcr.io', 'org/app'));
    expect(found.map((e) => e.source.secretName)).toEqual(['first', 'second', 'third']);
  });

  it.each([
    ['localhost:5000', 'localhost:5000', true],
    ['localhost', 'localhost:5000', false],
    ['localhost:5000', 'localhost:5001', false],
    ['[::1]:5000', '[::1]:5000', true],
    ['Registry.Example.com', 'registry.example.com', false],
    ['registry.example.com/team', 'registry.example.com', true],
  ])('key %s for domain %s: %s', (key, domain, serves) => {
    const keyring = secret('s', { [key]: { username: 'u', password: 'p' } });
    const path = key.endsWith('/team') ? 'teamx/app' : 'app';
    expect(lookupCredentials(keyring, ref(domain, path))).toHaveLength(serves ? 1 : 0);
  });

  it('treats `localhost/x` as Docker Hub for the fallback, as the kubelet does', () => {
    const keyring = secret('hub', { 'https://index.docker.io/v1/': { username: 'u', password: 'p' } });
    expect(lookupCredentials(keyring, ref('localhost', 'app'))).toHaveLength(1);
  });

  it('ignores keys url.Parse rejects without disturbing the others', () => {
    const keyring = secret('s', {
      'exa mple.com': { username: 'bad', password: 'p' },
      'example.com': { username: 'good', password: 'p' },
    });
    expect(users(lookupCredentials(keyring, ref('example.com', 'app')))).toEqual(['good']);
  });

  it('ignores a glob that filepath.Match rejects', () => {
    const keyring = secret('s', {
      'x[a.example.com': { username: 'bad', password: 'p' },
      '*.example.com': { username: 'good', password: 'p' },
    });
    expect(keyringIndexKey('x[a.example.com')).toBe('x[a.example.com');
    expect(users(lookupCredentials(keyring, ref('xya.example.com', 'app')))).toEqual(['good']);
  });
});
