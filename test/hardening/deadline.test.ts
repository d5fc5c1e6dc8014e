import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelmRunner, KustomizeRunner } from '../../src/render/index.js';
import { removeDir, scratchDir, writeTree } from '../render/support.js';
import { runCliIn, scanOffline } from '../support/run.js';
import { closeServer } from '../support/servers.js';

/**
 * max-duration: a registry that accepts connections and never answers, and renders that take their
 * whole timeout, cannot hold the run. Past the deadline the scan stops starting work, reports what it
 * has, marks the rest unverified with a max-duration-exceeded warning, and exits by fail-on.
 */

interface Registry {
  host: string;
  /** Manifest requests that reached the server. */
  manifestRequests: number;
  close(): Promise<void>;
}

/** A registry on loopback: `/v2/` answers, manifests either 404 (with a tag list) or never answer. */
async function startRegistry(stallManifests: boolean): Promise<Registry> {
  const held: ServerResponse[] = [];
  const state = { manifestRequests: 0 };
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/' || url === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } else if (url.includes('/manifests/')) {
      state.manifestRequests++;
      if (stallManifests) held.push(res);
      else
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    } else if (url.includes('/tags/list')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"app","tags":["1.0.0"]}');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    get manifestRequests() {
      return state.manifestRequests;
    },
    async close() {
      for (const res of held) res.destroy();
      await closeServer(server);
    },
  };
}

const pod = (name: string, image: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: app\n      image: ${image}\n`;

let stalling: Registry;
let answering: Registry;
let dir: string;

beforeAll(async () => {
  stalling = await startRegistry(true);
  answering = await startRegistry(false);
  dir = await scratchDir('deadline');
  const files: Record<string, string> = {
    'answered.yaml': pod('answered', `${answering.host}/shop/app:1.0.1`),
  };
  for (let i = 0; i < 8; i++)
    files[`stalled-${i}.yaml`] = pod(`stalled-${i}`, `${stalling.host}/shop/app-${i}:1.0.0`);
  await writeTree(dir, files);
});

afterAll(async () => {
  await stalling?.close();
  await answering?.close();
  await removeDir(dir);
});

interface Report {
  findings: Array<{ rule: string; severity: string; file: string; line: number; image: string | null }>;
  images: Array<{ reference: string; status: string }>;
}

describe('max-duration', () => {
  it('ends the scan at the deadline: the answered image is reported, the stalled ones are unverified', async () => {
    const before = stalling.manifestRequests;
    const run = await runCliIn(dir, [
      '--format',
      'json',
      '--max-duration',
      '2s',
      '--timeout',
      '600',
      '--per-registry-concurrency',
      '2',
      '.',
    ]);
    const report = JSON.parse(run.stdout) as Report;

    // What the registry that answered said is reported as usual; fail-on error fails on it.
    expect(run.code).toBe(1);
    expect(report.findings.filter((f) => f.rule === 'tag-not-found').map((f) => f.file)).toEqual([
      'answered.yaml',
    ]);

    // Every image on the registry that never answers: unverified, with a warning on its image: line.
    const stalled = report.images.filter((image) => image.reference.startsWith(stalling.host));
    expect(stalled).toHaveLength(8);
    expect(stalled.map((image) => image.status)).toEqual(Array(8).fill('unverified'));
    const late = report.findings.filter((f) => f.rule === 'max-duration-exceeded');
    expect(late.map((f) => [f.file, f.line, f.severity]).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => [`stalled-${i}.yaml`, 8, 'warning']),
    );
    expect(late[0]!.image).toMatch(/^127\.0\.0\.1:\d+\/shop\/app-\d:1\.0\.0$/);
    expect(run.stderr).toMatch(
      /warning: the scan reached max-duration \(2s\): 8 image check\(s\) not answered by then are reported unverified/,
    );

    // Nothing new was started after the deadline: only the two slots' requests ever reached the server.
    await sleep(500);
    expect(stalling.manifestRequests - before).toBe(2);
  }, 30_000);

  it('exits by fail-on: unverified images fail the run only at fail-on warning', async () => {
    const stalledOnly = ['stalled-0.yaml', 'stalled-1.yaml'];
    const args = ['--format', 'json', '--max-duration', '1', '--timeout', '600'];
    const atError = await runCliIn(dir, [...args, ...stalledOnly]);
    expect(atError.code).toBe(0);
    const atWarning = await runCliIn(dir, [...args, '--fail-on', 'warning', ...stalledOnly]);
    expect(atWarning.code).toBe(1);
    expect((JSON.parse(atWarning.stdout) as Report).findings.map((f) => f.rule)).toEqual([
      'max-duration-exceeded',
      'max-duration-exceeded',
    ]);
  }, 30_000);

  it('refuses a duration it cannot read, in plain English', async () => {
    const run = await runCliIn(dir, ['--max-duration', 'ten minutes', '.']);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'imagepull-preflight: --max-duration must be a number of seconds or a duration such as 90s, 10m or 1h30m, from 1s to 6h; got "ten minutes"\n',
    });
  });

  it('gives renders their own share: short per-render timeouts, and no render starts after half of it', async () => {
    const renderDir = await scratchDir('deadline-render');
    try {
      const roots = ['a', 'b', 'c', 'd'];
      const files: Record<string, string> = {};
      for (const root of roots) {
        files[`${root}/kustomization.yaml`] = 'resources:\n  - pod.yaml\n';
        files[`${root}/pod.yaml`] = pod(root, 'registry.example.com/app:1');
      }
      await writeTree(renderDir, files);
      const timeouts: number[] = [];
      // A kustomize that always takes its whole timeout, as a pathological graph would.
      const runner: KustomizeRunner = {
        async build(_directory, options) {
          timeouts.push(options.timeoutMs);
          await sleep(options.timeoutMs);
          return { ok: false, missing: false, message: `timed out after ${options.timeoutMs} ms` };
        },
      };
      const result = await scanOffline(renderDir, {
        maxDurationMs: 2_000,
        // One render at a time, so the share runs out part-way through the roots (in parallel all
        // four would start within it).
        render: { kustomizeRunner: runner, concurrency: 1 },
      });
      expect(timeouts.length).toBeGreaterThanOrEqual(2);
      expect(timeouts.length).toBeLessThan(4);
      expect(new Set(timeouts)).toEqual(new Set([500]));
      const byRoot = (rule: string) =>
        result.findings.filter((f) => f.rule === rule).map((f) => f.file.split('/')[0]);
      // Every root is accounted for: rendered (here: failed) or not rendered for lack of time.
      expect([...byRoot('kustomize-render-error'), ...byRoot('max-duration-exceeded')].sort()).toEqual(roots);
      expect(byRoot('max-duration-exceeded')).toContain('d');
      expect(result.warnings.join('\n')).toMatch(
        /rendering reached its share of max-duration; not rendered or checked: .*d/,
      );
    } finally {
      await removeDir(renderDir);
    }
  }, 30_000);

  it('starts no Helm dependency build after the render share either', async () => {
    const renderDir = await scratchDir('deadline-helm');
    try {
      const charts = ['a', 'b', 'c', 'd'];
      const files: Record<string, string> = {
        'lib/Chart.yaml': 'apiVersion: v2\nname: lib\nversion: 0.1.0\n',
      };
      for (const chart of charts) {
        files[`${chart}/Chart.yaml`] =
          `apiVersion: v2\nname: ${chart}\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../lib\n`;
        files[`${chart}/templates/pod.yaml`] = pod(chart, 'registry.example.com/app:1');
      }
      await writeTree(renderDir, files);
      const builds: number[] = [];
      // A dependency build that always takes its whole timeout, as an unreachable chart repository would.
      const helmRunner: HelmRunner = {
        installed: async () => true,
        template: async () => ({ ok: false, missing: false, message: 'not expected' }),
        async dependencyBuild(request) {
          builds.push(request.timeoutMs);
          await sleep(request.timeoutMs);
          return { ok: false, missing: false, message: `timed out after ${request.timeoutMs} ms` };
        },
      };
      const result = await scanOffline(renderDir, { maxDurationMs: 2_000, render: { helmRunner } });
      expect(builds.length).toBeGreaterThanOrEqual(2);
      expect(builds.length).toBeLessThan(charts.length + 1);
      expect(new Set(builds)).toEqual(new Set([500]));
      const late = result.findings
        .filter((f) => f.rule === 'max-duration-exceeded')
        .map((f) => f.file.split('/')[0]!)
        .filter((chart) => charts.includes(chart));
      // Every chart is accounted for: its build was tried, or it was left out for lack of time.
      expect(late).toContain('d');
      expect(builds.length + late.length).toBe(charts.length);
    } finally {
      await removeDir(renderDir);
    }
  }, 30_000);
});
