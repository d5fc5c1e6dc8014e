import { afterEach, describe, expect, inject, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import type { BasicCredential, ManifestProbe, Platform } from '../../src/registry/types.js';
import { MANY_TAGS_COUNT, seededImage, type LabRegistry } from '../harness/lab-info.js';
import { clientOptions, type ClientOverrides } from '../support/registry-options.js';

const lab = inject('lab');
const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };

const clients: RegistryClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function client(options: ClientOverrides = {}): RegistryClient {
  const created = new RegistryClient(
    clientOptions({ ...options, transport: { retries: 0, ...options.transport } }),
  );
  clients.push(created);
  return created;
}

function probe(
  registry: LabRegistry,
  repository: string,
  reference: string,
  extra: Partial<ManifestProbe> = {},
): ManifestProbe {
  return { domain: registry.host, apiHost: registry.host, repository, reference, platforms: [], ...extra };
}

const alice = (which: 'basic' | 'token'): BasicCredential => lab[which].users.alice;

describe('open registry (plain HTTP on loopback, after HTTPS fails)', () => {
  it('finds an existing tag with the digest the registry holds', async () => {
    const outcome = await client().probe(probe(lab.open, 'app', '1.0.0'));
    expect(outcome).toEqual({
      kind: 'exists',
      digest: seededImage(lab, 'open', 'app', '1.0.0').digest,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    });
  });

  it('verifies a digest reference', async () => {
    const { digest } = seededImage(lab, 'open', 'app', '1.0.1');
    expect(await client().probe(probe(lab.open, 'app', digest))).toMatchObject({ kind: 'exists', digest });
    const missing = `sha256:${'0'.repeat(64)}`;
    expect(await client().probe(probe(lab.open, 'app', missing))).toEqual({ kind: 'manifest-unknown' });
  });

  it('says a tag is missing, and the tag list tells the repository exists', async () => {
    const c = client();
    expect(await c.probe(probe(lab.open, 'app', '1.0.2'))).toEqual({ kind: 'manifest-unknown' });
    const listing = await c.listTags(lab.open.host, lab.open.host, 'app');
    expect(listing).toEqual({
      tags: expect.arrayContaining(['1.0.0', '1.0.1', '1.1.0', 'latest']),
      truncated: false,
    });
  });

  it('tells a missing repository by its tag list (NAME_UNKNOWN)', async () => {
    const c = client();
    expect(await c.probe(probe(lab.open, 'no/such/repo', '1'))).toEqual({ kind: 'manifest-unknown' });
    expect(await c.listTags(lab.open.host, lab.open.host, 'no/such/repo')).toEqual({
      repositoryUnknown: true,
    });
  });

  it('lists every tag of a large repository', async () => {
    const listing = await client().listTags(lab.open.host, lab.open.host, 'tags/many');
    expect('tags' in listing && listing.tags).toHaveLength(MANY_TAGS_COUNT);
  });

  it('checks an OCI index against the wanted platforms with containerd’s rules', async () => {
    const outcome = await client().probe(
      probe(lab.open, 'multi', '1', { platforms: [AMD64, ARM64, { os: 'linux', architecture: 's390x' }] }),
    );
    expect(outcome.kind).toBe('exists');
    if (outcome.kind !== 'exists') return;
    expect(outcome.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(outcome.index!.available).toEqual([
      AMD64,
      ARM64,
      { os: 'linux', architecture: 'arm', variant: 'v7' },
    ]);
    const children = seededImage(lab, 'open', 'multi', '1').children!;
    expect(outcome.index!.matches.map((m) => m.matched?.digest)).toEqual([
      children[0]!.digest,
      children[1]!.digest,
      undefined,
    ]);
  });

  it('lets arm64 nodes run arm/v7 from a Docker manifest list, and amd64 nodes nothing', async () => {
    const outcome = await client().probe(probe(lab.open, 'armonly', '1', { platforms: [ARM64, AMD64] }));
    expect(
      outcome.kind === 'exists' && outcome.index!.matches.map((m) => m.matched?.variant ?? null),
    ).toEqual(['v7', null]);
  });

  it('reads the architecture of a single-platform image when asked', async () => {
    const outcome = await client().probe(
      probe(lab.open, 'single-arm64', '1', { platforms: [AMD64], inspectConfig: true }),
    );
    expect(outcome).toMatchObject({ kind: 'exists', imagePlatform: { os: 'linux', architecture: 'arm64' } });
  });

  it('asks once per unique probe', async () => {
    const c = client();
    await Promise.all([1, 2, 3].map(() => c.probe(probe(lab.open, 'app', '1.0.0'))));
    expect(c.requestCounts().get).toBe(1);
    // HTTPS first, as containerd does for loopback, then plain HTTP: two pings, once per registry.
    expect(c.requestCounts().ping).toBe(2);
  });
});

describe('htpasswd (Basic) registry', () => {
  it('refuses anonymous pulls with a plain 401', async () => {
    expect(await client().probe(probe(lab.basic, 'private/app', '2.0'))).toEqual({
      kind: 'unauthorized',
      withCredential: false,
      ambiguous: false,
      detail: 'authentication required',
    });
  });

  it('pulls with the right credentials and rejects a wrong password', async () => {
    const c = client();
    expect(
      await c.probe(probe(lab.basic, 'private/app', '2.0', { credential: alice('basic') })),
    ).toMatchObject({ kind: 'exists' });
    expect(
      await c.probe(
        probe(lab.basic, 'private/app', '2.0', { credential: { username: 'alice', password: 'wrong' } }),
      ),
    ).toMatchObject({ kind: 'unauthorized', withCredential: true });
    expect(await c.probe(probe(lab.basic, 'private/app', '9.9', { credential: alice('basic') }))).toEqual({
      kind: 'manifest-unknown',
    });
  });
});

describe('token (Bearer) registry', () => {
  it('pulls public repositories with an anonymous token', async () => {
    expect(await client().probe(probe(lab.token, 'library/public-app', '1'))).toMatchObject({
      kind: 'exists',
    });
  });

  it('cannot tell private from missing anonymously, as Docker Hub', async () => {
    const c = client();
    for (const repository of ['team/secret-app', 'team/does-not-exist']) {
      expect(await c.probe(probe(lab.token, repository, '1'))).toMatchObject({
        kind: 'unauthorized',
        withCredential: false,
        ambiguous: true,
      });
    }
  });

  it('pulls private repositories with credentials; a wrong password fails at the token service', async () => {
    const c = client();
    expect(
      await c.probe(probe(lab.token, 'team/secret-app', '1', { credential: alice('token') })),
    ).toMatchObject({ kind: 'exists' });
    expect(
      await c.probe(
        probe(lab.token, 'team/secret-app', '1', { credential: { username: 'alice', password: 'nope' } }),
      ),
    ).toEqual({
      kind: 'unauthorized',
      withCredential: true,
      ambiguous: false,
      detail: expect.stringContaining('rejected the credentials (401)'),
    });
  });

  it('needs one ping and one token request per registry and credential, whatever the count', async () => {
    const c = client();
    const probes = ['library/public-app', 'team/secret-app', 'team/other', 'library/missing'].map(
      (repository) => probe(lab.token, repository, '1', { credential: alice('token') }),
    );
    c.prepare(probes);
    const outcomes = await Promise.all(probes.map((p) => c.probe(p)));
    expect(outcomes.map((o) => o.kind)).toEqual(['exists', 'exists', 'manifest-unknown', 'manifest-unknown']);
    // Two pings: HTTPS refused by this plain-HTTP registry, then HTTP.
    expect(c.requestCounts()).toMatchObject({ ping: 2, token: 1, get: 4 });
  });
});

describe('TLS registry with a self-signed CA', () => {
  it('pulls when the CA is trusted', async () => {
    expect(
      await client({ transport: { retries: 0, ca: lab.tls.caPem } }).probe(probe(lab.tls, 'secure/app', '1')),
    ).toMatchObject({
      kind: 'exists',
    });
  });

  it('reports the certificate problem, not "missing", when it is not', async () => {
    const outcome = await client().probe(probe(lab.tls, 'secure/app', '1'));
    expect(outcome.kind).toBe('unreachable');
    expect(outcome.kind === 'unreachable' && outcome.reason).toMatch(
      /^TLS to 127\.0\.0\.1:\d+ failed: .*certificate/,
    );
  });

  it('accepts it when the user lists the registry as insecure', async () => {
    const outcome = await client({ insecureRegistries: [lab.tls.host] }).probe(
      probe(lab.tls, 'secure/app', '1'),
    );
    expect(outcome).toMatchObject({ kind: 'exists' });
  });
});

describe('network failures are never "missing"', () => {
  it('a closed port is unreachable, with the reason', async () => {
    const outcome = await client().probe({
      domain: '127.0.0.1:9',
      apiHost: '127.0.0.1:9',
      repository: 'a',
      reference: '1',
      platforms: [],
    });
    expect(outcome).toEqual({ kind: 'unreachable', reason: 'connection to 127.0.0.1:9 refused' });
  });
});

describe('tag lists', () => {
  it('are read once per repository and credential, however many tags are missing', async () => {
    const c = client();
    await Promise.all(['9.9.1', '9.9.2', '9.9.3'].map(() => c.listTags(lab.open.host, lab.open.host, 'app')));
    expect(c.requestCounts().tags).toBe(1);
  });
});
