import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/findings.js';
import { RegistryClient } from '../../src/registry/client.js';
import { isForbiddenAddress, realmRefusal } from '../../src/registry/guard.js';
import { TAG_LIST_LIMITS } from '../../src/registry/tags.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../src/registry/transport.js';
import { DEFAULT_REGISTRY_SETTINGS, scan } from '../../src/scan.js';
import { clientOptions } from '../support/registry-options.js';

/**
 * A registry on loopback that is out to get us: token realms on metadata addresses and other
 * schemes, redirects to another origin, bodies that never end or are huge, challenges that do not
 * parse. Each must end in a clear finding, within the timeout, with the credentials sent to the
 * registry's own origin only. Nothing here ever connects beyond loopback: where a request could be
 * led elsewhere, undici's MockAgent refuses every origin but our servers and records what was asked.
 */

const TIMEOUT_MS = 1_000;
/**
 * No retry starts once the attempts took two timeouts; the last may take one more; every pause
 * between attempts at its longest; plus scheduling slack.
 */
const WORST_REQUEST_MS =
  3 * TIMEOUT_MS + DEFAULT_TRANSPORT_OPTIONS.retries * DEFAULT_TRANSPORT_OPTIONS.backoffCapMs + 2_000;
const USER = 'preflight-user';
const PASSWORD = 'hostile-registry-Pa55';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: {
    mediaType: 'application/vnd.docker.container.image.v1+json',
    size: 2,
    digest: `sha256:${'c'.repeat(64)}`,
  },
  layers: [],
});
const MANIFEST_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
/** Bounds on what a server writes, whatever the client does. */
const SERVER_MAX_CHUNKS = 5_000;
const SERVER_MAX_MS = 20_000;

interface Seen {
  method: string;
  url: string;
  authorization?: string;
}

interface HostileServer {
  host: string;
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, self: { host: string }) => void;

const servers: HostileServer[] = [];
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'preflight-hostile-registries-'));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await rm(workDir, { recursive: true, force: true });
});

async function startServer(handler: Handler): Promise<HostileServer> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const self = { host: '' };
  const server: Server = createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    handler(req, res, self);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  self.host = `127.0.0.1:${address.port}`;
  let closed: Promise<void> | undefined;
  const handle: HostileServer = {
    host: self.host,
    url: `http://${self.host}`,
    seen,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
  servers.push(handle);
  return handle;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...headers,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendManifest(res: ServerResponse): void {
  send(res, 200, MANIFEST, {
    'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
    'docker-content-digest': MANIFEST_DIGEST,
  });
}

const UNAUTHORIZED = JSON.stringify({
  errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }],
});

/** Writes `chunk` until the client hangs up, or the server's own bounds are reached. */
function stream(res: ServerResponse, chunk: Buffer, everyMs: number): void {
  const started = Date.now();
  let chunks = 0;
  let stopped = false;
  res.on('close', () => (stopped = true));
  const next = (): void => {
    if (stopped || chunks++ >= SERVER_MAX_CHUNKS || Date.now() - started > SERVER_MAX_MS) {
      res.destroy();
      return;
    }
    const drained = res.write(chunk);
    if (everyMs > 0) setTimeout(next, everyMs);
    else if (drained) setImmediate(next);
    else res.once('drain', next);
  };
  next();
}

/** A MockAgent that lets requests reach `allowed` hosts only, and records every origin asked for. */
function loopbackOnly(allowed: () => string[]) {
  const asked: string[] = [];
  const agent = new MockAgent();
  agent.disableNetConnect();
  agent.enableNetConnect((host: string) => {
    asked.push(host);
    return allowed().includes(host);
  });
  return { agent, asked };
}

let caseCount = 0;

/** Scans one pod (with a pull secret for `host`) and returns the findings on its image. */
async function scanPod(
  host: string,
  reference = 'team/app:1',
  dispatcher?: MockAgent,
): Promise<{ findings: Finding[]; status: string | undefined; ms: number }> {
  const dir = path.join(workDir, `case-${++caseCount}`);
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  const config = Buffer.from(JSON.stringify({ auths: { [host]: { auth } } })).toString('base64');
  const manifest = [
    'apiVersion: v1',
    'kind: Secret',
    'metadata: {name: regcred, namespace: apps}',
    'type: kubernetes.io/dockerconfigjson',
    `data: {.dockerconfigjson: ${config}}`,
    '---',
    'apiVersion: v1',
    'kind: Pod',
    'metadata: {name: p, namespace: apps}',
    'spec:',
    '  imagePullSecrets: [{name: regcred}]',
    `  containers: [{name: c, image: "${host}/${reference}"}]`,
  ].join('\n');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'pod.yaml'), manifest);
  const t0 = performance.now();
  const result = await scan({
    cwd: dir,
    paths: ['pod.yaml'],
    defaultNamespace: 'default',
    maxFileSize: 1024 * 1024,
    offline: false,
    registry: {
      ...DEFAULT_REGISTRY_SETTINGS,
      timeoutMs: TIMEOUT_MS,
      ...(dispatcher ? { dispatcher } : {}),
    },
  });
  const ms = performance.now() - t0;
  return {
    findings: result.findings.filter((f) => f.image !== undefined && f.rule !== 'mutable-tag'),
    status: result.images[0]?.status,
    ms,
  };
}

describe('a token realm the credentials must not go to', () => {
  it.each([
    [
      'a metadata address',
      'http://169.254.169.254/latest/api/token',
      'token realm points at 169.254.169.254, a link-local/metadata address',
    ],
    [
      'the AWS IPv6 metadata address',
      'http://[fd00:ec2::254]/token',
      'token realm points at [fd00:ec2::254], a link-local/metadata address',
    ],
    [
      'GCE metadata by name',
      'http://metadata.google.internal/token',
      'token realm points at metadata.google.internal, a link-local/metadata address',
    ],
    ['ftp', 'ftp://127.0.0.1:2121/token', 'token realm uses ftp://, only https is allowed'],
    ['file', 'file:///etc/passwd', 'token realm uses file://, only https is allowed'],
    [
      'an IPv4-mapped IPv6 metadata address',
      'http://[::ffff:169.254.169.254]/latest/api/token',
      /^token realm points at \[?::ffff:(a9fe:a9fe|169\.254\.169\.254)\]?, a link-local\/metadata address$/,
    ],
  ])(
    'realm on %s: registry-refused, no credentials sent, nothing contacted but the registry',
    async (_name, realm, reason) => {
      const registry = await startServer((req, res) =>
        send(res, 401, UNAUTHORIZED, { 'www-authenticate': `Bearer realm="${realm}",service="hostile"` }),
      );
      const { agent, asked } = loopbackOnly(() => [registry.host]);
      try {
        const { findings, status } = await scanPod(registry.host, 'team/app:1', agent);
        expect(status).toBe('unverified');
        expect(
          findings.map((f) => [f.rule, f.severity]),
          findings.map((f) => f.message).join('\n'),
        ).toEqual([['registry-refused', 'warning']]);
        const message = findings[0]!.message;
        expect(message).toMatch(/^Not verified: .*\. No credentials were sent\.$/);
        const why = message.slice('Not verified: '.length, -'. No credentials were sent.'.length);
        if (typeof reason === 'string') expect(why).toBe(reason);
        else expect(why).toMatch(reason);
        expect(registry.seen.filter((s) => s.authorization)).toEqual([]);
        expect(registry.seen.every((s) => s.url === '/v2/')).toBe(true);
        expect([...new Set(asked)]).toEqual([registry.host]);
      } finally {
        await agent.close();
        await registry.close();
      }
    },
  );

  it.each([
    ['http://169.254.169.254/latest/api/token', true, /link-local\/metadata/],
    ['https://169.254.10.1/token', true, /link-local\/metadata/],
    ['http://[fe80::1]/token', true, /link-local\/metadata/],
    ['http://[::ffff:169.254.169.254]/token', true, /link-local\/metadata/],
    ['ftp://auth.example/token', true, /only https/],
    ['gopher://auth.example/token', true, /only https/],
    ['javascript:alert(1)', true, /only https/],
    ['not a url', true, /is not a URL/],
    ['', true, /is not a URL/],
    ['http://auth.example/token', false, /plain http/],
    ['https://auth.example/token', false, undefined],
    ['http://127.0.0.1:5001/token', true, undefined],
  ])('guard: realm %j (plain http allowed: %s)', (realm, allowPlainHttp, refusal) => {
    const reason = realmRefusal(realm, allowPlainHttp);
    if (refusal) expect(reason).toMatch(refusal);
    else expect(reason).toBeUndefined();
  });
});

describe('the address guard sees an address however a URL spells it', () => {
  it.each([
    ['169.254.169.254', true],
    ['::ffff:169.254.169.254', true],
    // What `new URL('http://[::ffff:169.254.169.254]/').hostname` gives: the same address, in hex.
    [new URL('http://[::ffff:169.254.169.254]/').hostname, true],
    ['::ffff:a9fe:a9fe', true],
    ['0:0:0:0:0:ffff:a9fe:a9fe', true],
    ['::ffff:7f00:1', false],
    ['127.0.0.1', false],
  ])('%s forbidden: %s', (address, forbidden) => {
    expect(isForbiddenAddress(address)).toBe(forbidden);
  });
});

describe('a redirect to another origin', () => {
  it.each([
    {
      name: 'Basic credentials stay with the registry',
      challenge: () => 'Basic realm="hostile"',
      presented: () => BASIC,
    },
    {
      name: 'a bearer token stays with the registry',
      challenge: (host: string) => `Bearer realm="http://${host}/token",service="hostile"`,
      presented: () => 'Bearer token-for-the-registry-only',
    },
  ])('$name', async ({ challenge, presented }) => {
    const elsewhere = await startServer((_req, res) => sendManifest(res));
    const registry = await startServer((req, res, self) => {
      const url = req.url ?? '';
      if (url.startsWith('/token'))
        return send(res, 200, JSON.stringify({ token: 'token-for-the-registry-only' }));
      if (url === '/v2/' || !req.headers.authorization)
        return send(res, 401, UNAUTHORIZED, { 'www-authenticate': challenge(self.host) });
      // Same origin first, then away.
      if (url.endsWith('/manifests/1'))
        return send(res, 307, '', { location: '/v2/team/app/manifests/1-moved' });
      return send(res, 307, '', { location: `${elsewhere.url}/cdn/manifest?sig=1` });
    });
    const { agent, asked } = loopbackOnly(() => [registry.host, elsewhere.host]);
    try {
      const { findings, status } = await scanPod(registry.host, 'team/app:1', agent);
      expect(findings).toEqual([]);
      expect(status).toBe('available');
      const manifestRequests = registry.seen.filter((s) => s.url.includes('/manifests/'));
      expect(manifestRequests.map((s) => s.authorization)).toEqual([presented(), presented()]);
      expect(elsewhere.seen.map((s) => s.url)).toEqual(['/cdn/manifest?sig=1']);
      expect(elsewhere.seen.filter((s) => s.authorization)).toEqual([]);
      expect([...new Set(asked)].sort()).toEqual([registry.host, elsewhere.host].sort());
    } finally {
      await agent.close();
      await Promise.all([registry.close(), elsewhere.close()]);
    }
  });

  it.each([
    [
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      /^redirected to 169\.254\.169\.254, a link-local\/metadata address$/,
    ],
    [
      'http://[::ffff:169.254.169.254]/latest/meta-data/iam/security-credentials/',
      /^redirected to \[?::ffff:(a9fe:a9fe|169\.254\.169\.254)\]?, a link-local\/metadata address$/,
    ],
  ])('to %s: registry-refused, and nothing is asked of it', async (location, reason) => {
    const registry = await startServer((req, res) => {
      if (req.url === '/v2/') return send(res, 200, '{}');
      return send(res, 302, '', { location });
    });
    const { agent, asked } = loopbackOnly(() => [registry.host]);
    try {
      const { findings } = await scanPod(registry.host, 'team/app:1', agent);
      expect(
        findings.map((f) => f.rule),
        findings.map((f) => f.message).join('\n'),
      ).toEqual(['registry-refused']);
      const message = findings[0]!.message;
      expect(message).toMatch(/^Not verified: .*\. No credentials were sent\.$/);
      expect(message.slice('Not verified: '.length, -'. No credentials were sent.'.length)).toMatch(reason);
      expect([...new Set(asked)]).toEqual([registry.host]);
    } finally {
      await agent.close();
      await registry.close();
    }
  });
});

describe('bodies that never end or are huge: bounded', () => {
  const MAX_BODY = DEFAULT_TRANSPORT_OPTIONS.maxBodyBytes;
  const huge = Buffer.alloc(MAX_BODY + 2 * 1024 * 1024, 0x7b);

  it.each([
    {
      name: 'a manifest that trickles forever: timed out',
      respond: (res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' });
        stream(res, Buffer.alloc(1024, 0x20), 20);
      },
      rule: 'registry-unreachable',
      reason: /did not answer in time/,
      maxMs: WORST_REQUEST_MS,
    },
    {
      name: 'a manifest that streams as fast as it can, forever: cut at the body limit',
      respond: (res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' });
        stream(res, Buffer.alloc(64 * 1024, 0x20), 0);
      },
      rule: 'registry-unreachable',
      reason: new RegExp(`response body larger than ${MAX_BODY} bytes`),
      maxMs: 3_000,
    },
    {
      name: 'a 6 MB manifest',
      respond: (res: ServerResponse) =>
        send(res, 200, huge.toString('latin1'), {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
        }),
      rule: 'registry-unreachable',
      reason: new RegExp(`response body larger than ${MAX_BODY} bytes`),
      maxMs: 3_000,
    },
    {
      name: 'a 6 MB "manifest unknown" error: not a missing tag',
      respond: (res: ServerResponse) => send(res, 404, huge.toString('latin1')),
      rule: 'registry-unreachable',
      reason: new RegExp(`response body larger than ${MAX_BODY} bytes`),
      maxMs: 3_000,
    },
  ])('$name', async ({ respond, rule, reason, maxMs }) => {
    const registry = await startServer((req, res) => {
      if (req.url === '/v2/') return send(res, 200, '{}');
      respond(res);
    });
    try {
      const rssBefore = process.memoryUsage().rss;
      const { findings, status, ms } = await scanPod(registry.host);
      const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / (1024 * 1024);
      console.log(`hostile registry, ${rule}: ${Math.round(ms)} ms, RSS +${Math.round(rssGrowthMb)} MB`);
      expect(status).toBe('unverified');
      expect(findings.map((f) => f.rule)).toEqual([rule]);
      expect(findings[0]!.message).toMatch(reason);
      expect(ms).toBeLessThan(maxMs);
      expect(rssGrowthMb).toBeLessThan(64);
    } finally {
      await registry.close();
    }
  });

  it('a 6 MB token response: the token service is reported, bounded', async () => {
    const registry = await startServer((req, res, self) => {
      if (req.url?.startsWith('/token')) return send(res, 200, huge.toString('latin1'));
      return send(res, 401, UNAUTHORIZED, {
        'www-authenticate': `Bearer realm="http://${self.host}/token",service="hostile"`,
      });
    });
    try {
      const { findings, ms } = await scanPod(registry.host);
      expect(findings.map((f) => f.rule)).toEqual(['registry-unreachable']);
      expect(findings[0]!.message).toMatch(/token service .*response body larger than/);
      expect(ms).toBeLessThan(3_000);
    } finally {
      await registry.close();
    }
  });
});

describe('a 401 whose WWW-Authenticate does not parse: a clear warning, not a crash', () => {
  // The registry is otherwise well behaved: it serves the manifest to the right credentials or token.
  it.each([
    ['no challenge at all', undefined],
    ['Bearer without parameters', 'Bearer'],
    ['an empty realm', 'Bearer realm=""'],
    ['an unterminated quote', 'Bearer realm="http://HOST/token,service="x'],
    ['an unsupported scheme', 'Negotiate YIIFyQYGKwYBBQUCoIIF'],
    ['punctuation only', ',,, ;;; === "'],
    ['a 12 KB header', `Bearer realm="http://HOST/token",service="${'s'.repeat(12 * 1024)}"`],
    [
      'a 20 KB header (over the client’s header limit)',
      `Bearer realm="http://HOST/token",x="${'s'.repeat(20 * 1024)}"`,
    ],
  ])('%s', async (_name, header) => {
    const registry = await startServer((req, res, self) => {
      if (req.url?.startsWith('/token')) return send(res, 200, JSON.stringify({ token: 'tok' }));
      const auth = req.headers.authorization;
      if (req.url !== '/v2/' && (auth === BASIC || auth === 'Bearer tok')) return sendManifest(res);
      const headers: Record<string, string> = header
        ? { 'www-authenticate': header.replace('HOST', self.host) }
        : {};
      send(res, 401, UNAUTHORIZED, headers);
    });
    try {
      const { findings, status, ms } = await scanPod(registry.host);
      expect(ms).toBeLessThan(WORST_REQUEST_MS);
      const described = `${status}: ${findings.map((f) => `${f.rule} (${f.severity}): ${f.message}`).join('\n')}`;
      // Either it coped (the image is there), or it says it could not check, and why.
      if (status !== 'available') {
        expect(status, described).toBe('unverified');
        expect(findings.length, described).toBe(1);
        expect(['registry-error', 'registry-refused', 'registry-unreachable'], described).toContain(
          findings[0]!.rule,
        );
        expect(findings[0]!.message, described).toMatch(/WWW-Authenticate|challenge|token realm|header/i);
      }
      // Whatever the header said, credentials only ever went to the registry itself, as sent.
      const presented = registry.seen.flatMap((s) => (s.authorization ? [s.authorization] : []));
      expect(presented.filter((a) => a !== BASIC && a !== 'Bearer tok')).toEqual([]);
    } finally {
      await registry.close();
    }
  });
});

describe('tag lists: bounded in pages, bytes, count and tag length', () => {
  const MANIFEST_UNKNOWN = JSON.stringify({
    errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }],
  });

  /** A registry where `team/app:1` is missing and `/tags/list` is answered by `tags(page)`. */
  async function tagRegistry(tags: (page: number, url: string) => { body: string; next: boolean }) {
    return startServer((req, res, self) => {
      if (req.url === '/v2/') return send(res, 200, '{}');
      if (req.url?.includes('/manifests/')) return send(res, 404, MANIFEST_UNKNOWN);
      const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '0');
      const { body, next } = tags(page, req.url ?? '');
      send(
        res,
        200,
        body,
        next ? { link: `<http://${self.host}/v2/team/app/tags/list?page=${page + 1}>; rel="next"` } : {},
      );
    });
  }
  const tagsRequests = (registry: HostileServer) =>
    registry.seen.filter((s) => s.url.includes('/tags/list')).length;

  it('an endless chain of pages: at most max-tag-pages are read', async () => {
    const registry = await tagRegistry((page) => ({
      body: JSON.stringify({
        name: 'team/app',
        tags: Array.from({ length: 1000 }, (_, i) => `p${page}-${i}`),
      }),
      next: true,
    }));
    const { findings, status } = await scanPod(registry.host);
    expect(status).toBe('not-found');
    expect(findings.map((f) => f.rule)).toEqual(['tag-not-found']);
    expect(tagsRequests(registry)).toBe(10);
  });

  it('pages of several MB each: reading stops at the byte bound', async () => {
    const tags = Array.from({ length: 300_000 }, (_, i) => `t${String(i).padStart(8, '0')}`); // ~3.6 MB
    const body = JSON.stringify({ name: 'team/app', tags });
    const registry = await tagRegistry(() => ({ body, next: true }));
    const { findings } = await scanPod(registry.host);
    expect(findings.map((f) => f.rule)).toEqual(['tag-not-found']);
    expect(body.length * tagsRequests(registry)).toBeLessThan(TAG_LIST_LIMITS.bytes + body.length);
    expect(tagsRequests(registry)).toBeLessThan(10);
  });

  it('tags over 128 characters, or not tags at all, are dropped and never echoed', async () => {
    const huge = 'x'.repeat(200_000);
    const registry = await tagRegistry(() => ({
      body: JSON.stringify({
        name: 'team/app',
        tags: [huge, `1${'0'.repeat(128)}`, '-bad', 'a b', '1.0', 7, null],
      }),
      next: false,
    }));
    const { findings } = await scanPod(registry.host);
    expect(findings.map((f) => f.rule)).toEqual(['tag-not-found']);
    expect(findings[0]!.fix).toContain(':1.0');
    const text = `${findings[0]!.message} ${findings[0]!.fix}`;
    expect(text).not.toContain('xxxx');
    expect(text).not.toContain('0000000000');
    expect(text).not.toContain('-bad');
  });

  it('a page of 300,000 tags: at most 20,000 kept, and the suggestion work is bounded', async () => {
    const tags = Array.from({ length: 300_000 }, (_, i) => `v${String(i).padStart(8, '0')}`);
    const registry = await tagRegistry(() => ({
      body: JSON.stringify({ name: 'team/app', tags }),
      next: false,
    }));
    const client = new RegistryClient(clientOptions({ transport: { retries: 0 } }));
    try {
      const listing = await client.listTags(registry.host, registry.host, 'team/app');
      expect('tags' in listing && listing.tags.length).toBe(TAG_LIST_LIMITS.tags);
      expect('tags' in listing && listing.truncated).toBe(true);
    } finally {
      await client.close();
    }
    const { findings } = await scanPod(registry.host);
    expect(findings.map((f) => f.rule)).toEqual(['tag-not-found']);
  });
});
