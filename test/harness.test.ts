// Smoke test of the registry lab itself: if this fails, registry-client test failures mean nothing.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { Agent, request } from 'undici';
import { MANY_TAGS_COUNT, seededImage, tokenLog } from './harness/lab-info.js';
import { MEDIA_TYPES } from './harness/push.js';

const lab = inject('lab');
// Other test files share the token server, so mark our requests instead of resetting its log.
const clientId = `harness-smoke-${randomUUID()}`;

function basic(user: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
}

async function get(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const res = await request(url, { method, headers });
  const text = method === 'HEAD' ? '' : await res.body.text();
  if (method === 'HEAD') await res.body.dump();
  return { status: res.statusCode, headers: res.headers, text };
}

async function getToken(scope: string, authorization?: string): Promise<string> {
  const url = new URL(lab.token.realm);
  url.searchParams.set('service', lab.token.service);
  url.searchParams.set('scope', scope);
  url.searchParams.set('client_id', clientId);
  const res = await get(url.toString(), authorization ? { authorization } : {});
  expect(res.status).toBe(200);
  const json = JSON.parse(res.text) as { token: string; access_token: string; expires_in: number };
  expect(json.access_token).toBe(json.token);
  expect(json.expires_in).toBe(300);
  return json.token;
}

describe('registry lab', () => {
  it('open registry answers /v2/ with 200', async () => {
    expect((await get(`${lab.open.url}/v2/`)).status).toBe(200);
  });

  it('basic registry challenges with Basic and accepts alice', async () => {
    const anon = await get(`${lab.basic.url}/v2/`);
    expect(anon.status).toBe(401);
    expect(anon.headers['www-authenticate']).toMatch(/^Basic realm=/);
    const alice = await get(`${lab.basic.url}/v2/`, { authorization: basic(lab.basic.users.alice) });
    expect(alice.status).toBe(200);
    const wrong = { username: 'alice', password: lab.basic.users.bob.password };
    expect((await get(`${lab.basic.url}/v2/`, { authorization: basic(wrong) })).status).toBe(401);
  });

  describe('token registry', () => {
    it('challenges with Bearer realm and service', async () => {
      const res = await get(`${lab.token.url}/v2/`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="${lab.token.realm}",service="lab-registry"`,
      );
    });

    it('lets anonymous pull library/, not team/, and alice pull anything', async () => {
      const publicUrl = `${lab.token.url}/v2/library/public-app/manifests/1`;
      const secretUrl = `${lab.token.url}/v2/team/secret-app/manifests/1`;
      const accept = { accept: MEDIA_TYPES.dockerManifest };
      const pub = await getToken('repository:library/public-app:pull');
      const head = await get(publicUrl, { ...accept, authorization: `Bearer ${pub}` }, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers['docker-content-digest']).toBe(
        seededImage(lab, 'token', 'library/public-app', '1').digest,
      );

      const anon = await getToken('repository:team/secret-app:pull');
      expect((await get(secretUrl, { ...accept, authorization: `Bearer ${anon}` }, 'HEAD')).status).toBe(401);

      const alice = await getToken('repository:team/secret-app:pull', basic(lab.token.users.alice));
      expect((await get(secretUrl, { ...accept, authorization: `Bearer ${alice}` }, 'HEAD')).status).toBe(
        200,
      );

      const log = (await tokenLog(lab)).filter((r) => r.query['client_id']?.[0] === clientId);
      expect(log.map((r) => [r.method, r.path, r.authorization, r.status])).toEqual([
        ['GET', '/token', false, 200],
        ['GET', '/token', false, 200],
        ['GET', '/token', true, 200],
      ]);
      expect(log[2]?.query['scope']).toEqual(['repository:team/secret-app:pull']);
      expect(JSON.stringify(log)).not.toContain(lab.token.users.alice.password);
    });

    it('implements the OAuth2 POST flow with refresh tokens', async () => {
      const post = async (form: Record<string, string>) => {
        const body = new URLSearchParams({ service: lab.token.service, client_id: clientId, ...form });
        const res = await request(lab.token.realm, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: body.toString(),
        });
        return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
      };
      const { username, password } = lab.token.users.alice;
      const scope = 'repository:team/secret-app:pull';
      const first = await post({ grant_type: 'password', username, password, scope, access_type: 'offline' });
      expect(first.status).toBe(200);
      expect(first.json).toMatchObject({ scope, expires_in: 300 });
      expect(first.json['refresh_token']).toEqual(expect.any(String));
      const refreshed = await post({
        grant_type: 'refresh_token',
        refresh_token: String(first.json['refresh_token']),
        scope,
      });
      expect(refreshed.status).toBe(200);
      const url = `${lab.token.url}/v2/team/secret-app/manifests/1`;
      const headers = {
        accept: MEDIA_TYPES.dockerManifest,
        authorization: `Bearer ${refreshed.json['access_token']}`,
      };
      expect((await get(url, headers, 'HEAD')).status).toBe(200);
      expect((await post({ grant_type: 'password', username, password: 'wrong', scope })).status).toBe(401);
      expect((await post({ grant_type: 'refresh_token', refresh_token: 'bogus', scope })).status).toBe(401);
    });

    it('rejects a bad password with 401', async () => {
      const bad = basic({ username: 'alice', password: 'not-it' });
      const url = `${lab.token.realm}?service=lab-registry&scope=repository:library/public-app:pull`;
      expect((await get(url, { authorization: bad })).status).toBe(401);
    });
  });

  it('tls registry answers over https with the CA and fails without it', async () => {
    const withCa = new Agent({ connect: { ca: lab.tls.caPem } });
    try {
      const res = await request(`${lab.tls.url}/v2/`, { dispatcher: withCa });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
    } finally {
      await withCa.close();
    }
    await expect(request(`${lab.tls.url}/v2/`)).rejects.toThrow(/certificate/i);
  });

  // distribution 2.8 ignores `n`/`last` on tags/list (pagination arrived in 3.0) and returns the tags in
  // storage order; only /v2/_catalog paginates. Pin that so a registry upgrade is noticed.
  it('returns all of tags/many in one unsorted page even at n=100 (distribution 2.8)', async () => {
    const res = await get(`${lab.open.url}/v2/tags/many/tags/list?n=100`);
    expect(res.status).toBe(200);
    expect(res.headers['link']).toBeUndefined();
    const { tags } = JSON.parse(res.text) as { tags: string[] };
    expect(new Set(tags)).toEqual(new Set(Array.from({ length: MANY_TAGS_COUNT }, (_, i) => `v${i}`)));
  });

  it('paginates /v2/_catalog with a Link header', async () => {
    const res = await get(`${lab.open.url}/v2/_catalog?n=2`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ repositories: ['app', 'armonly'] });
    expect(res.headers['link']).toBe('</v2/_catalog?last=armonly&n=2>; rel="next"');
  });

  it('serves multi:1 as an OCI index with three platforms', async () => {
    const res = await get(`${lab.open.url}/v2/multi/manifests/1`, { accept: MEDIA_TYPES.ociIndex });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(MEDIA_TYPES.ociIndex);
    const index = JSON.parse(res.text) as { manifests: { platform: { architecture: string } }[] };
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64', 'arm']);
    expect(res.headers['docker-content-digest']).toBe(seededImage(lab, 'open', 'multi', '1').digest);
  });
});
