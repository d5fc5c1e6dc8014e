import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import type { ManifestProbe } from '../../src/registry/types.js';
import { closeServer } from '../support/servers.js';
import { clientOptions, type ClientOverrides } from '../support/registry-options.js';

/**
 * The client's limits seen from the registry's side, on loopback: how many requests arrive at once,
 * over how many connections, and what is asked again after a failure.
 */

const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    size: 2,
    digest: `sha256:${'c'.repeat(64)}`,
  },
  layers: [],
});
const DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;

interface Observed {
  host: string;
  inFlight: number;
  peak: number;
  sockets: Set<unknown>;
  paths: string[];
}

const servers: Server[] = [];
const clients: RegistryClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map(closeServer));
});

/** A loopback server that counts requests in flight; `handle` answers (after `delayMs`). */
async function serve(
  handle: (req: IncomingMessage, res: ServerResponse, seen: Observed) => void,
  delayMs = 0,
  together?: { inFlight: number; peak: number },
): Promise<Observed> {
  const seen: Observed = { host: '', inFlight: 0, peak: 0, sockets: new Set(), paths: [] };
  const server = createServer((req, res) => {
    seen.paths.push(req.url ?? '');
    seen.sockets.add(req.socket);
    seen.peak = Math.max(seen.peak, ++seen.inFlight);
    if (together) together.peak = Math.max(together.peak, ++together.inFlight);
    res.on('close', () => {
      seen.inFlight--;
      if (together) together.inFlight--;
    });
    setTimeout(() => handle(req, res, seen), delayMs);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  seen.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return seen;
}

function manifest(res: ServerResponse): void {
  res
    .writeHead(200, {
      'content-type': 'application/vnd.oci.image.manifest.v1+json',
      'docker-content-digest': DIGEST,
    })
    .end(MANIFEST);
}

function client(options: ClientOverrides): RegistryClient {
  const created = new RegistryClient(clientOptions(options));
  clients.push(created);
  return created;
}

function probe(host: string, reference: string, extra: Partial<ManifestProbe> = {}): ManifestProbe {
  return { domain: host, apiHost: host, repository: 'app', reference, platforms: [], ...extra };
}

describe('per-registry concurrency, as the registry sees it', () => {
  it.each([3, 12])(
    'perRegistryConcurrency %i: that many manifest requests at once, over as many connections',
    async (limit) => {
      const registry = await serve((_req, res) => manifest(res), 100);
      const c = client({ perRegistryConcurrency: limit, concurrency: 64 });
      const outcomes = await Promise.all(
        Array.from({ length: 3 * limit }, (_, i) => c.probe(probe(registry.host, `v${i}`))),
      );
      expect(outcomes.every((o) => o.kind === 'exists')).toBe(true);
      expect(registry.peak).toBe(limit);
      // One failed HTTPS attempt (loopback: HTTPS first), then at most `limit` kept-alive connections.
      expect(registry.sockets.size).toBeLessThanOrEqual(limit + 1);
    },
  );

  it('the global limit caps several registries together', async () => {
    const together = { inFlight: 0, peak: 0 };
    const a = await serve((_req, res) => manifest(res), 100, together);
    const b = await serve((_req, res) => manifest(res), 100, together);
    const c = client({ perRegistryConcurrency: 8, concurrency: 10 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.probe(probe(i % 2 ? a.host : b.host, `v${i}`))));
    expect(together.peak).toBe(10);
    expect(Math.max(a.peak, b.peak)).toBeLessThanOrEqual(8);
  });
});

describe('token requests are gated the same way', () => {
  it('a token service gets at most per-registry-concurrency requests at once', async () => {
    const tokens = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t","expires_in":300}');
    }, 100);
    const registry = await serve((req, res) => {
      if (req.headers.authorization === 'Bearer t' && req.url !== '/v2/') return manifest(res);
      res
        .writeHead(401, { 'www-authenticate': `Bearer realm="http://${tokens.host}/token",service="s"` })
        .end();
    });
    const c = client({ perRegistryConcurrency: 2, concurrency: 64 });
    // Six credentials: six token requests that could all go at once.
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        c.probe(probe(registry.host, '1', { credential: { username: `u${i}`, password: 'p' } })),
      ),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(Array(6).fill('exists'));
    expect(tokens.paths.filter((p) => p.startsWith('/token'))).toHaveLength(6);
    expect(tokens.peak).toBe(2);
  });
});

describe('a failed ping is not remembered for the whole run', () => {
  it('a registry that was down at first is asked again, and answers', async () => {
    let pings = 0;
    const registry = await serve((req, res) => {
      if (req.url === '/v2/') return ++pings === 1 ? res.writeHead(503).end() : res.writeHead(200).end('{}');
      manifest(res);
    });
    const c = client({ transport: { retries: 0 }, failedPingTtlMs: 0 });
    expect(await c.probe(probe(registry.host, '1'))).toMatchObject({ kind: 'server-error', status: 503 });
    expect(await c.probe(probe(registry.host, '2'))).toMatchObject({ kind: 'exists', digest: DIGEST });
    expect(pings).toBe(2);
  });

  it('a ping that worked is not repeated', async () => {
    const registry = await serve((req, res) =>
      req.url === '/v2/' ? res.writeHead(200).end('{}') : manifest(res),
    );
    const c = client({ failedPingTtlMs: 0 });
    for (const reference of ['1', '2', '3']) await c.probe(probe(registry.host, reference));
    expect(registry.paths.filter((p) => p === '/v2/')).toHaveLength(1);
  });
});

describe('a registry that rate-limits: fewer requests at once, then back up', () => {
  it('a registry that answers 429 past 4 requests in flight: every image answered, few 429s', async () => {
    let throttled = 0;
    const registry = await serve((req, res, seen) => {
      if (req.url === '/v2/') return res.writeHead(200).end('{}');
      if (seen.inFlight > 4) {
        throttled++;
        return res.writeHead(429, { 'retry-after': '0' }).end();
      }
      manifest(res);
    }, 50);
    const c = client({ perRegistryConcurrency: 16, concurrency: 64 });
    const outcomes = await Promise.all(
      Array.from({ length: 64 }, (_, i) => c.probe(probe(registry.host, `v${i}`))),
    );
    expect(outcomes.filter((o) => o.kind !== 'exists')).toEqual([]);
    // 16 at once against a limit of 4 would draw 12 refusals per round: halving stops that early.
    expect(throttled).toBeLessThan(40);
  });
});
