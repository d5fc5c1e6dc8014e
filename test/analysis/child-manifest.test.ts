import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REGISTRY_SETTINGS, scan } from '../../src/scan.js';

/**
 * The child an index lists for the node's platform is checked with a HEAD of exactly
 * `/v2/<repository>/manifests/<digest>` on the registry's own origin: a digest that is not one is
 * never put in a URL, and a registry that cannot answer leaves the pull unverified, not missing.
 */

const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const GOOD = `sha256:${'a'.repeat(64)}`;
const index = (digest: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: INDEX_TYPE,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        size: 2,
        digest,
        platform: { os: 'linux', architecture: 'amd64' },
      },
    ],
  });
const INDEXES: Record<string, string> = {
  '/v2/traversal/app/manifests/1': index('../../../../v2/other/manifests/latest'),
  '/v2/flaky/app/manifests/1': index(GOOD),
};

let server: Server;
let host: string;
let workDir: string;
const seen: string[] = [];
beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'preflight-child-'));
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const body = INDEXES[req.url ?? ''];
    if (req.url === '/v2/') return res.writeHead(200).end('{}');
    if (body !== undefined) {
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      return res.writeHead(200, { 'content-type': INDEX_TYPE, 'docker-content-digest': digest }).end(body);
    }
    // The flaky registry fails the child HEAD with a server error, every time.
    res.writeHead(req.url === `/v2/flaky/app/manifests/${GOOD}` ? 500 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(workDir, { recursive: true, force: true });
});

async function scanImage(image: string) {
  const file = path.join(workDir, `${image.split('/')[1]}.yaml`);
  await writeFile(
    file,
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: ${image}\n`,
  );
  return scan({
    cwd: workDir,
    paths: [file],
    defaultNamespace: 'default',
    maxFileSize: 1e6,
    offline: false,
    registry: { ...DEFAULT_REGISTRY_SETTINGS, timeoutMs: 2_000, insecureRegistries: [host] },
  });
}

describe('checking an index child', () => {
  it('a child digest that is not a digest is never requested: unverified, saying why', async () => {
    const result = await scanImage(`${host}/traversal/app:1`);
    expect(result.images[0]!.status).toBe('unverified');
    expect(result.findings.map((f) => [f.rule, f.line])).toEqual([['registry-error', 7]]);
    expect(result.findings[0]!.message).toContain('the index lists a digest containerd refuses');
    expect(seen.filter((request) => request.includes('other'))).toEqual([]);
  });

  it('a child the registry cannot answer for: unverified, never called missing', async () => {
    const result = await scanImage(`${host}/flaky/app:1`);
    expect(result.images[0]!.status).toBe('unverified');
    expect(result.findings.map((f) => f.rule)).toEqual(['registry-error']);
    expect(result.findings[0]!.message).toContain(`the linux/amd64 manifest its index lists (${GOOD})`);
    expect(seen).toContain(`HEAD /v2/flaky/app/manifests/${GOOD}`);
  });
});
