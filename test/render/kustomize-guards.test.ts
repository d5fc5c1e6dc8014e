import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyManifestSet } from '../../src/manifests/extract.js';
import { renderBounded, type RenderResult } from '../../src/render/index.js';
import { buildGraph } from '../../src/render/kustomize/graph.js';
import { KustomizeRenderer, remoteHost } from '../../src/render/kustomize/render.js';
import { SourceFiles } from '../../src/render/sources.js';
import { isForbiddenAddress, isLoopbackHost } from '../../src/registry/guard.js';
import type { ScanOptions } from '../../src/scan.js';
import { scanOffline } from '../support/run.js';
import { removeDir, scratchDir, writeTree } from './support.js';

/**
 * A pull request writes the kustomizations: nothing in one may make kustomize fetch a URL (and echo
 * what it got into the report) unless kustomize-remote allows it, and never from loopback, link-local
 * or metadata addresses even then. Real `kubectl kustomize`; the only server is on loopback and counts
 * the requests it gets, which must stay at zero.
 */

const dirs: string[] = [];
let server: Server;
let requests = 0;
let base = '';
beforeAll(async () => {
  server = createServer((_request, response) => {
    requests++;
    response.end('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\ndata: {secret: hunter2}\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  for (const dir of dirs) await removeDir(dir);
});

const pod =
  'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n    - name: app\n      image: reg.test/app:1\n';

async function scanTree(files: Record<string, string>, options: Partial<ScanOptions> = {}) {
  const dir = await scratchDir('kustomize-guard');
  dirs.push(dir);
  await writeTree(dir, files);
  return { dir, result: await scanOffline(dir, options) };
}

describe('a URL anywhere kustomize’s loader takes a file: not rendered, the field named', () => {
  it.each<[string, (url: string) => string, string]>([
    ['patches', (url) => `resources: [pod.yaml]\npatches:\n  - path: ${url}\n`, 'patches'],
    [
      'patchesStrategicMerge',
      (url) => `resources: [pod.yaml]\npatchesStrategicMerge:\n  - ${url}\n`,
      'patchesStrategicMerge',
    ],
    [
      'patchesJson6902',
      (url) =>
        `resources: [pod.yaml]\npatchesJson6902:\n  - target: {kind: Pod, name: web}\n    path: ${url}\n`,
      'patchesJson6902',
    ],
    [
      'configMapGenerator files',
      (url) => `resources: [pod.yaml]\nconfigMapGenerator:\n  - name: c\n    files: [key=${url}]\n`,
      'configMapGenerator files',
    ],
    [
      'secretGenerator envs',
      (url) => `resources: [pod.yaml]\nsecretGenerator:\n  - name: s\n    envs: [${url}]\n`,
      'secretGenerator envs',
    ],
    ['replacements', (url) => `resources: [pod.yaml]\nreplacements:\n  - path: ${url}\n`, 'replacements'],
    ['openapi', (url) => `resources: [pod.yaml]\nopenapi:\n  path: ${url}\n`, 'openapi'],
    ['configurations', (url) => `resources: [pod.yaml]\nconfigurations: [${url}]\n`, 'configurations'],
    ['crds', (url) => `resources: [pod.yaml]\ncrds: [${url}]\n`, 'crds'],
    ['transformers', (url) => `resources: [pod.yaml]\ntransformers: [${url}]\n`, 'transformers'],
    ['resources', (url) => `resources: [pod.yaml, ${url}]\n`, 'remote base'],
  ])('%s', async (_field, write, named) => {
    const before = requests;
    const url = `${base}/x.yaml`;
    const { result } = await scanTree({ 'app/kustomization.yaml': write(url), 'app/pod.yaml': pod });
    expect(requests).toBe(before);
    expect(result.rendered.roots).toEqual([]);
    const finding = result.findings.find((f) => f.rule === 'kustomize-remote-base');
    expect(finding).toMatchObject({ file: 'app/kustomization.yaml', line: expect.any(Number) });
    expect(finding!.message).toContain(named);
    expect(finding!.message).toContain(url);
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('a URL inside a transformer’s own configuration counts too', async () => {
    const before = requests;
    const { result } = await scanTree({
      'app/kustomization.yaml': 'resources: [pod.yaml]\ntransformers: [patcher.yaml]\n',
      'app/patcher.yaml': `apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: ${base}/p.yaml\n`,
      'app/pod.yaml': pod,
    });
    expect(requests).toBe(before);
    expect(result.findings.find((f) => f.rule === 'kustomize-remote-base')).toMatchObject({
      file: 'app/patcher.yaml',
      line: 4,
    });
  });

  it('with kustomize-remote: true, loopback is still refused before kustomize runs', async () => {
    const before = requests;
    const { result } = await scanTree(
      {
        'app/kustomization.yaml': `resources: [pod.yaml]\npatches:\n  - path: ${base}/p.yaml\n`,
        'app/pod.yaml': pod,
      },
      { render: { kustomizeRemote: true } },
    );
    expect(requests).toBe(before);
    expect(result.rendered.roots).toEqual([]);
    expect(result.findings.find((f) => f.rule === 'kustomize-remote-base')!.message).toMatch(
      /was refused \(127\.0\.0\.1 is a loopback, link-local or metadata address\)/,
    );
  });

  it.each([
    ['https://github.com/acme/base//deploy?ref=v1', 'github.com'],
    ['github.com/acme/base/deploy?ref=v1', 'github.com'],
    ['git@gitlab.com:acme/base.git', 'gitlab.com'],
    ['ssh://git@[::1]:2222/acme/base', '::1'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['http://METADATA.google.internal/x', 'metadata.google.internal'],
  ])('the host of %s is %s', (url, host) => {
    expect(remoteHost(url)).toBe(host);
  });
});

describe('with kustomize-remote: true, a host is checked by the addresses it resolves to', () => {
  async function renderable(url: string, addresses: string[]) {
    const dir = await scratchDir('kustomize-dns');
    dirs.push(dir);
    await writeTree(dir, {
      'app/kustomization.yaml': `resources: [pod.yaml, ${url}]\n`,
      'app/pod.yaml': pod,
    });
    const sources = new SourceFiles(dir, 'default');
    const file = path.join(dir, 'app', 'kustomization.yaml');
    const graph = await buildGraph([file], sources);
    const looked: string[] = [];
    const renderer = new KustomizeRenderer(graph, sources, {
      cwd: dir,
      defaultNamespace: 'default',
      runner: { build: () => Promise.reject(new Error('kustomize must not run')) },
      network: true,
      timeoutMs: 1_000,
      forbiddenAddress: (address) => isLoopbackHost(address) || isForbiddenAddress(address),
      lookup: async (host) => {
        looked.push(host);
        return addresses;
      },
    });
    const into = emptyManifestSet();
    return { ok: await renderer.renderable(graph.nodes.get(file)!, into), into, looked };
  }

  it.each([
    ['a name that resolves to the metadata address', ['169.254.169.254']],
    ['a name that resolves to loopback among others', ['203.0.113.7', '127.0.0.1']],
    ['a name that resolves to a mapped IPv6 loopback', ['::ffff:127.0.0.1']],
  ])('%s is refused', async (_name, addresses) => {
    const { ok, into, looked } = await renderable('https://rebind.example.test/base.yaml', addresses);
    expect(ok).toBe(false);
    expect(looked).toEqual(['rebind.example.test']);
    expect(into.problems).toEqual([
      expect.objectContaining({
        kind: 'kustomize-remote-base',
        message: expect.stringMatching(
          /refused \(rebind\.example\.test resolves to .*, a loopback, link-local or metadata address\)/,
        ),
      }),
    ]);
  });

  it('a name that resolves to ordinary addresses may be fetched', async () => {
    const { ok, into } = await renderable('https://git.example.test/base.yaml', ['203.0.113.7']);
    expect(ok).toBe(true);
    expect(into.problems).toEqual([]);
  });
});

describe('a root that reaches out of the tree through a link is not rendered', () => {
  it('a resource linked to a file outside', async () => {
    const outside = await scratchDir('outside');
    dirs.push(outside);
    await writeFile(path.join(outside, 'pod.yaml'), pod.replace('reg.test/app:1', 'reg.test/outside:6'));
    const { dir } = await scanTree({ 'app/kustomization.yaml': 'resources: [pod.yaml]\n' });
    await symlink(path.join(outside, 'pod.yaml'), path.join(dir, 'app', 'pod.yaml'));
    const result = await scanOffline(dir);
    expect(result.rendered.roots).toEqual([]);
    expect(result.images.map((image) => image.reference)).toEqual([]);
    expect(result.findings).toEqual([
      expect.objectContaining({
        rule: 'symlink-not-followed',
        file: 'app/kustomization.yaml',
        message: expect.stringContaining('app/pod.yaml leads out of the scanned tree'),
      }),
    ]);
  });
});

describe('a root whose files are not regular files is not rendered, never read', () => {
  it.each([
    ['a link to /dev/zero', 'symlink-not-followed', 'leads out of the scanned tree'],
    ['a FIFO', 'manifest-skipped', 'is not a regular file'],
  ])('%s among its resources', async (what, rule, message) => {
    const { dir } = await scanTree({
      'app/kustomization.yaml': 'resources: [pod.yaml, extra.yaml]\n',
      'app/pod.yaml': pod,
    });
    if (what === 'a FIFO') execFileSync('mkfifo', [path.join(dir, 'app', 'extra.yaml')]);
    else await symlink('/dev/zero', path.join(dir, 'app', 'extra.yaml'));
    const t0 = performance.now();
    const result = await scanOffline(dir);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(result.rendered.roots).toEqual([]);
    expect(result.findings).toEqual([
      expect.objectContaining({
        rule,
        file: 'app/kustomization.yaml',
        message: expect.stringContaining(`app/extra.yaml ${message}`),
      }),
    ]);
  });
});

describe('render errors and names as the user wrote them', () => {
  it('a path the user wrote as ../../base stays ../../base, the cause first', async () => {
    const { result } = await scanTree({
      'deploy/overlays/prod/kustomization.yaml': 'resources:\n  - ../../base\n',
      'deploy/base/kustomization.yaml': 'resources: [gone.yaml]\n',
    });
    const finding = result.findings.find((f) => f.rule === 'kustomize-render-error')!;
    expect(finding.message).toMatch(
      /^kubectl kustomize deploy\/overlays\/prod fails: lstat deploy\/base\/gone\.yaml: no such file or directory \(kustomize: /,
    );
    expect(finding.message).toContain("'../../base'");
    expect(finding.message).not.toContain('../..base');
  });

  it('an object named by generateName shows that name', async () => {
    const job =
      'apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\nspec:\n  template:\n    spec:\n      containers:\n        - name: m\n          image: reg.test/migrate\n';
    const { result } = await scanTree({
      'app/kustomization.yaml': 'resources: [job.yaml]\n',
      'app/job.yaml': job,
      'raw.yaml': job,
    });
    const resources = result.findings.filter((f) => f.image === 'reg.test/migrate').map((f) => f.resource);
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) expect(resource).toMatchObject({ kind: 'Job', name: 'migrate-' });
  });
});

describe('renders run in parallel within the budget', () => {
  it('never more at once than the concurrency, skipped renders give their slot back, results in order', async () => {
    let inFlight = 0;
    let most = 0;
    const outcome: Record<string, RenderResult> = {
      a: 'rendered',
      b: 'skipped',
      c: 'failed',
      d: 'rendered',
      e: 'rendered',
    };
    const { run, left } = await renderBounded(
      ['a', 'b', 'c', 'd', 'e'],
      async (unit, into) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, unit === 'a' ? 30 : 5));
        inFlight--;
        into.files.push(unit);
        return outcome[unit]!;
      },
      { budget: 3, concurrency: 2 },
    );
    expect(most).toBe(2);
    expect(run.map((item) => [item.unit, item.result, item.set.files])).toEqual([
      ['a', 'rendered', ['a']],
      ['b', 'skipped', ['b']],
      ['c', 'failed', ['c']],
      ['d', 'rendered', ['d']],
    ]);
    expect(left).toEqual(['e']);
    expect(emptyManifestSet().files).toEqual([]);
  });

  it('past the deadline nothing more starts; those are late, not capped', async () => {
    let deadline = Date.now() + 60_000;
    const { run, left, late } = await renderBounded(
      [1, 2, 3],
      async (unit) => {
        if (unit === 1) deadline = Date.now() - 1;
        return 'rendered';
      },
      {
        budget: 10,
        concurrency: 1,
        get deadline() {
          return deadline;
        },
      },
    );
    expect(run.map((item) => item.unit)).toEqual([1]);
    expect(late).toEqual([2, 3]);
    expect(left).toEqual([]);
  });
});
