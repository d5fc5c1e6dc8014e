import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { isForbiddenAddress, realmRefusal } from '../../src/registry/guard.js';
import type { ManifestProbe } from '../../src/registry/types.js';
import { clientOptions } from '../support/registry-options.js';

/**
 * Behaviour of public registries that cannot run on loopback, replayed with undici's MockAgent and
 * no network at all (disableNetConnect): Docker Hub's quota headers and 401s, GHCR's anonymous
 * tokens and paginated tags, and hostile realms and redirects.
 */

const DIGEST = `sha256:${'a'.repeat(64)}`;
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
let agent: MockAgent;
let client: RegistryClient;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  client = new RegistryClient(
    clientOptions({ transport: { dispatcher: agent, retries: 1, sleep: async () => {} } }),
  );
});
afterEach(async () => {
  await agent.close();
});

const hub = (repository: string, reference: string): ManifestProbe => ({
  domain: 'docker.io',
  apiHost: 'registry-1.docker.io',
  repository,
  reference,
  platforms: [],
});

function dockerHubAuth(scope: string) {
  agent
    .get('https://registry-1.docker.io')
    .intercept({ path: '/v2/', method: 'GET' })
    .reply(401, '', {
      headers: {
        'www-authenticate': 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
      },
    });
  agent
    .get('https://auth.docker.io')
    .intercept({
      path: `/token?service=registry.docker.io&scope=${encodeURIComponent(scope)}`,
      method: 'GET',
    })
    .reply(200, { token: 'hub-token', expires_in: 300 });
}

describe('Docker Hub', () => {
  it('checks existence with HEAD only (a GET would count as a pull) and reads the quota', async () => {
    dockerHubAuth('repository:library/nginx:pull');
    agent
      .get('https://registry-1.docker.io')
      .intercept({
        path: '/v2/library/nginx/manifests/1.27',
        method: 'HEAD',
        headers: { authorization: 'Bearer hub-token' },
      })
      .reply(200, '', {
        headers: {
          'docker-content-digest': DIGEST,
          'content-type': DOCKER_MANIFEST,
          'ratelimit-limit': '100;w=21600',
          'ratelimit-remaining': '76;w=21600',
        },
      });
    expect(await client.probe(hub('library/nginx', '1.27'))).toEqual({
      kind: 'exists',
      digest: DIGEST,
      mediaType: DOCKER_MANIFEST,
    });
    expect(client.requestCounts()).toMatchObject({ head: 1, get: 0 });
    expect(client.rateLimits.get('docker.io')).toEqual({ limit: '100;w=21600', remaining: '76;w=21600' });
  });

  it('answers 401 for a repository that is missing or private: ambiguous', async () => {
    dockerHubAuth('repository:acme/secret:pull');
    agent
      .get('https://registry-1.docker.io')
      .intercept({ path: '/v2/acme/secret/manifests/1', method: 'HEAD' })
      .reply(401, '', {
        headers: {
          'www-authenticate': 'Bearer realm="https://auth.docker.io/token",error="insufficient_scope"',
        },
      });
    expect(await client.probe(hub('acme/secret', '1'))).toEqual({
      kind: 'unauthorized',
      withCredential: false,
      ambiguous: true,
    });
  });

  it('tells a missing tag with a GET of the error body after a HEAD 404', async () => {
    dockerHubAuth('repository:library/nginx:pull');
    const registry = agent.get('https://registry-1.docker.io');
    registry.intercept({ path: '/v2/library/nginx/manifests/1.25.30', method: 'HEAD' }).reply(404, '');
    registry
      .intercept({ path: '/v2/library/nginx/manifests/1.25.30', method: 'GET' })
      .reply(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
    expect(await client.probe(hub('library/nginx', '1.25.30'))).toEqual({ kind: 'manifest-unknown' });
  });

  it('waits out a short Retry-After and retries once', async () => {
    dockerHubAuth('repository:library/alpine:pull');
    const waits: number[] = [];
    const patient = new RegistryClient(
      clientOptions({
        transport: { dispatcher: agent, retries: 1, sleep: async (ms) => void waits.push(ms) },
      }),
    );
    const registry = agent.get('https://registry-1.docker.io');
    registry
      .intercept({ path: '/v2/library/alpine/manifests/3', method: 'HEAD' })
      .reply(429, '', { headers: { 'retry-after': '2' } });
    registry
      .intercept({ path: '/v2/library/alpine/manifests/3', method: 'HEAD' })
      .reply(200, '', { headers: { 'docker-content-digest': DIGEST, 'content-type': DOCKER_MANIFEST } });
    expect(await patient.probe(hub('library/alpine', '3'))).toMatchObject({ kind: 'exists' });
    expect(waits).toEqual([2000]);
  });

  it('reports the pull limit with Retry-After and the quota headers, not waiting hours', async () => {
    dockerHubAuth('repository:library/redis:pull');
    agent
      .get('https://registry-1.docker.io')
      .intercept({ path: '/v2/library/redis/manifests/7', method: 'HEAD' })
      .reply(429, '', {
        headers: {
          'retry-after': '3600',
          'ratelimit-limit': '100;w=21600',
          'ratelimit-remaining': '0;w=21600',
        },
      });
    expect(await client.probe(hub('library/redis', '7'))).toEqual({
      kind: 'rate-limited',
      retryAfterSeconds: 3600,
      limit: '100;w=21600',
      remaining: '0;w=21600',
    });
  });

  it('retries a 503 once and then succeeds', async () => {
    dockerHubAuth('repository:library/busybox:pull');
    const registry = agent.get('https://registry-1.docker.io');
    registry.intercept({ path: '/v2/library/busybox/manifests/1', method: 'HEAD' }).reply(503, '');
    registry
      .intercept({ path: '/v2/library/busybox/manifests/1', method: 'HEAD' })
      .reply(200, '', { headers: { 'docker-content-digest': DIGEST, 'content-type': DOCKER_MANIFEST } });
    expect(await client.probe(hub('library/busybox', '1'))).toMatchObject({ kind: 'exists' });
  });
});

describe('GHCR', () => {
  it('wants a token even for public images; the anonymous one works', async () => {
    const ghcr = agent.get('https://ghcr.io');
    ghcr.intercept({ path: '/v2/', method: 'GET' }).reply(401, '', {
      headers: {
        'www-authenticate':
          'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"',
      },
    });
    ghcr
      .intercept({ path: '/token?service=ghcr.io&scope=repository%3Aacme%2Ftool%3Apull', method: 'GET' })
      .reply(200, { token: 'anon' });
    ghcr
      .intercept({
        path: '/v2/acme/tool/manifests/v2',
        method: 'GET',
        headers: { authorization: 'Bearer anon' },
      })
      .reply(
        200,
        { schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { digest: DIGEST }, layers: [] },
        {
          headers: { 'content-type': DOCKER_MANIFEST, 'docker-content-digest': DIGEST },
        },
      );
    expect(
      await client.probe({
        domain: 'ghcr.io',
        apiHost: 'ghcr.io',
        repository: 'acme/tool',
        reference: 'v2',
        platforms: [],
      }),
    ).toEqual({
      kind: 'exists',
      digest: DIGEST,
      mediaType: DOCKER_MANIFEST,
    });
  });

  it('follows Link pagination of the tag list, on the same origin only', async () => {
    const ghcr = agent.get('https://ghcr.io');
    ghcr.intercept({ path: '/v2/', method: 'GET' }).reply(200, '');
    ghcr
      .intercept({ path: '/v2/acme/tool/tags/list?n=1000', method: 'GET' })
      .reply(
        200,
        { tags: ['v1', 'v2'] },
        { headers: { link: '</v2/acme/tool/tags/list?last=v2&n=1000>; rel="next"' } },
      );
    ghcr
      .intercept({ path: '/v2/acme/tool/tags/list?last=v2&n=1000', method: 'GET' })
      .reply(200, { tags: ['v3'] }, { headers: { link: '<https://elsewhere.example/v2/x>; rel="next"' } });
    expect(await client.listTags('ghcr.io', 'ghcr.io', 'acme/tool')).toEqual({
      tags: ['v1', 'v2', 'v3'],
      truncated: false,
    });
  });
});

describe('hostile registries', () => {
  const probe: ManifestProbe = {
    domain: 'evil.example',
    apiHost: 'evil.example',
    repository: 'a',
    reference: '1',
    platforms: [],
    credential: { username: 'u', password: 'secret' },
  };

  it.each([
    ['a metadata address', 'http://169.254.169.254/latest/meta-data/', 'link-local/metadata'],
    ['the AWS IPv6 metadata address', 'https://[fd00:ec2::254]/token', 'link-local/metadata'],
    ['another scheme', 'file:///etc/passwd', 'only https is allowed'],
    ['plain http for a remote registry', 'http://auth.evil.example/token', 'plain http'],
  ])('refuses a token realm on %s and sends no credentials', async (_name, realm, reason) => {
    agent
      .get('https://evil.example')
      .intercept({ path: '/v2/', method: 'GET' })
      .reply(401, '', { headers: { 'www-authenticate': `Bearer realm="${realm}",service="evil"` } });
    const outcome = await client.probe(probe);
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.reason).toContain(reason);
    expect(client.requestCounts().token).toBe(0);
  });

  it('drops credentials on a redirect to another origin', async () => {
    const registry = agent.get('https://evil.example');
    registry
      .intercept({ path: '/v2/', method: 'GET' })
      .reply(401, '', { headers: { 'www-authenticate': 'Basic realm="r"' } });
    registry
      .intercept({ path: '/v2/a/manifests/1', method: 'GET' })
      .reply(307, '', { headers: { location: 'https://cdn.example/blob' } });
    agent
      .get('https://cdn.example')
      .intercept({
        path: '/blob',
        method: 'GET',
        headers: (headers) => !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'),
      })
      .reply(
        200,
        { schemaVersion: 2, config: { digest: DIGEST }, layers: [] },
        { headers: { 'content-type': DOCKER_MANIFEST } },
      );
    expect(await client.probe(probe)).toMatchObject({ kind: 'exists', mediaType: DOCKER_MANIFEST });
  });

  it('refuses a redirect to a metadata address', async () => {
    const registry = agent.get('https://evil.example');
    registry.intercept({ path: '/v2/', method: 'GET' }).reply(200, '');
    registry
      .intercept({ path: '/v2/a/manifests/1', method: 'GET' })
      .reply(302, '', { headers: { location: 'http://169.254.169.254/latest/meta-data/iam' } });
    expect(await client.probe({ ...probe, credential: undefined })).toEqual({
      kind: 'refused',
      reason: 'redirected to 169.254.169.254, a link-local/metadata address',
    });
  });

  it('bounds a huge response body', async () => {
    const small = new RegistryClient(
      clientOptions({ transport: { dispatcher: agent, retries: 0, maxBodyBytes: 1024 } }),
    );
    const registry = agent.get('https://evil.example');
    registry.intercept({ path: '/v2/', method: 'GET' }).reply(200, '');
    registry.intercept({ path: '/v2/a/manifests/1', method: 'GET' }).reply(200, 'x'.repeat(64 * 1024));
    expect(await small.probe({ ...probe, credential: undefined })).toEqual({
      kind: 'unreachable',
      reason: 'response body larger than 1024 bytes',
    });
  });
});

describe('address guard', () => {
  it.each([
    ['169.254.169.254', true],
    ['169.254.0.1', true],
    ['fd00:ec2::254', true],
    ['[fd00:ec2::254]', true],
    ['::ffff:169.254.169.254', true],
    ['fe80::1', true],
    ['metadata.google.internal', true],
    ['127.0.0.1', false],
    ['10.0.0.1', false],
    ['registry-1.docker.io', false],
  ])('%s forbidden: %s', (address, forbidden) => {
    expect(isForbiddenAddress(address)).toBe(forbidden);
  });

  it('allows plain-http realms only where the registry itself may be plain http', () => {
    expect(realmRefusal('http://127.0.0.1:5001/token', true)).toBeUndefined();
    expect(realmRefusal('http://auth.example/token', false)).toContain('plain http');
    expect(realmRefusal('https://auth.example/token', false)).toBeUndefined();
  });
});

describe('address guard: every spelling of a metadata address', () => {
  it.each([
    '[::ffff:169.254.169.254]',
    '::ffff:a9fe:a9fe',
    '0:0:0:0:0:ffff:a9fe:a9fe',
    '::a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    'fd00:ec2:0:0:0:0:0:254',
    'FD00:EC2::254',
    'fe80::abcd',
    'febf::1',
  ])('%s is forbidden', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['::1', '::ffff:7f00:1', '2001:db8::1', 'fd00:ec2::255', 'fec0::1'])('%s is not', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it('the URL parser’s hex spelling of a mapped metadata address is refused as a realm', () => {
    expect(realmRefusal('http://[::ffff:169.254.169.254]/token', true)).toContain('link-local/metadata');
  });
});
