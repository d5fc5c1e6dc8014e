import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, getPath, str } from '../../src/manifests/yaml-tree.js';
import {
  buildWithOrigins,
  cleanMessage,
  DEFAULT_KUSTOMIZE_RUNNER,
} from '../../src/render/kustomize/build.js';
import { removeDir, scratchDir, writeTree } from './support.js';

/** The wrapper build with real kubectl: origins read, then removed before anything is checked. */

let dir: string;
beforeAll(async () => {
  dir = await scratchDir('kustomize-build');
  await writeTree(dir, {
    'base/kustomization.yaml': 'resources: [web.yaml]\n',
    'base/web.yaml':
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations: {team: shop}\nspec: {containers: [{name: c, image: "app:1"}]}\n',
    'prod/kustomization.yaml': 'resources: [../base]\nconfigMapGenerator: [{name: cfg, literals: [a=b]}]\n',
  });
});
afterAll(() => removeDir(dir));

describe('buildWithOrigins', () => {
  it('reads each object’s origin, as an absolute path, and strips the build metadata', async () => {
    const built = await buildWithOrigins(path.join(dir, 'prod'), DEFAULT_KUSTOMIZE_RUNNER, {
      network: false,
      timeoutMs: 30_000,
      cwd: dir,
    });
    if (!built.ok) throw new Error(built.message);
    const objects = built.documents.map((document) => ({
      kind: str(get(document.root, 'kind')),
      origin: document.origin,
      annotations: getPath(document.root, 'metadata', 'annotations'),
    }));
    expect(objects.map(({ kind, origin }) => [kind, origin])).toEqual([
      ['ConfigMap', { configuredIn: path.join(dir, 'prod/kustomization.yaml') }],
      ['Pod', { path: path.join(dir, 'base/web.yaml') }],
    ]);
    // The ConfigMap had only build metadata; the Pod keeps the annotation its author wrote.
    expect(objects[0]!.annotations).toBeUndefined();
    expect(objects[1]!.annotations).toMatchObject({ kind: 'map', entries: [{ key: { value: 'team' } }] });
  });

  it('reports a build that fails, with the wrapper’s layer and temporary paths removed', async () => {
    await writeTree(dir, { 'broken/kustomization.yaml': 'resources: [nope.yaml]\n' });
    const built = await buildWithOrigins(path.join(dir, 'broken'), DEFAULT_KUSTOMIZE_RUNNER, {
      network: false,
      timeoutMs: 30_000,
      cwd: dir,
    });
    expect(built.ok).toBe(false);
    if (built.ok) return;
    // The cause first, then kustomize's own message with paths as the user wrote them.
    expect(built.message).toMatch(
      /^lstat broken\/nope\.yaml: no such file or directory \(kustomize: accumulating resources: accumulation err='accumulating resources from 'nope\.yaml'/,
    );
    expect(built.message).not.toContain(dir);
    expect(built.message).not.toContain('preflight-kustomize-');
  });
});

describe('cleanMessage', () => {
  it.each<[string, string]>([
    [
      "E1124 01:27:07.194014   31547 run.go:72] \"command failed\" err=\"accumulating resources: accumulation err='accumulating resources from '../../w/prod': '/r/prod' must resolve to a file': recursed accumulation of path '/r/prod': missing \\\"x\\\" in /r/prod/kustomization.yaml\"",
      'missing "x" in prod/kustomization.yaml',
    ],
    [
      'E1124 run.go:72] "command failed" err=<\n\tfirst line\n\tsecond /r/a.yaml\n >',
      'first line second a.yaml',
    ],
    ['Error: plain kustomize error', 'plain kustomize error'],
  ])('%j → %j', (message, expected) => {
    expect(cleanMessage(message, { wrapper: '/tmp/w', realRoot: '/r/prod', cwd: '/r' })).toBe(expected);
  });
});
