import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { scanOffline } from '../support/run.js';
import { lineOf, removeDir, scratchDir, writeTree } from './support.js';

/**
 * An in-repository Argo CD Application or Flux Kustomization whose path lies outside the scanned paths
 * (or resolves outside the scanned tree, as when a subfolder of a GitOps repository is scanned) is one
 * notice on its path line, never a silent skip.
 */
describe('GitOps paths outside the scanned paths', () => {
  let dir: string | undefined;
  afterEach(() => removeDir(dir));

  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0
`;
  const flux = (
    path: string,
    url = 'https://github.com/acme/deploy',
  ) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: deploy, namespace: flux-system}
spec:
  url: ${url}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: deploy}
  path: ${path}
  images:
    - name: ghcr.io/acme/web
      newTag: '2.0'
`;
  const argo = (path: string, url = 'https://github.com/acme/deploy') => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web}
spec:
  source:
    repoURL: ${url}
    path: ${path}
    kustomize:
      images: [ghcr.io/acme/web:2.0]
`;
  const OTHER = 'https://github.com/acme/other';
  const FLUX_OUT =
    'Kustomization flux-system/apps deploys "apps/production" of this repository, which is outside the scanned paths (clusters): not rendered or checked here; add it to paths to check what it deploys (Argo CD and Flux paths count from the repository\'s top folder).';

  it.each<{
    name: string;
    files: Record<string, string>;
    paths: string[];
    /** [rule, file, text on the expected line, message (or undefined: not compared)] */
    findings: Array<[string, string, string, string | undefined]>;
    images: string[];
  }>([
    {
      name: 'Flux, path inside paths: rendered with spec.images as before',
      files: { 'clusters/apps.yaml': flux('./apps/production') },
      paths: ['clusters', 'apps'],
      findings: [],
      images: ['ghcr.io/acme/web:2.0'],
    },
    {
      name: 'Flux, path outside paths: one notice on the path line',
      files: { 'clusters/apps.yaml': flux('./apps/production') },
      paths: ['clusters'],
      findings: [['gitops-path-not-scanned', 'clusters/apps.yaml', 'path: ./apps/production', FLUX_OUT]],
      images: [],
    },
    {
      name: 'Flux, GitRepository elsewhere: the source notice only, as before',
      files: { 'clusters/apps.yaml': flux('./apps/production', OTHER) },
      paths: ['clusters'],
      findings: [['gitops-source-not-checked', 'clusters/apps.yaml', 'name: deploy}', undefined]],
      images: [],
    },
    {
      name: 'Flux, path inside paths but missing: the render error only, as before',
      files: { 'clusters/apps.yaml': flux('./clusters/gone') },
      paths: ['clusters'],
      findings: [['gitops-render-error', 'clusters/apps.yaml', 'path: ./clusters/gone', undefined]],
      images: [],
    },
    {
      name: 'Flux, a subfolder of a GitOps repository scanned in place: paths count from the top, a notice',
      files: {
        'vendored/clusters/apps.yaml': flux('./apps/production'),
        'vendored/apps/production/deployment.yaml': deployment,
      },
      paths: ['vendored'],
      findings: [
        ['gitops-path-not-scanned', 'vendored/clusters/apps.yaml', 'path: ./apps/production', undefined],
      ],
      // The vendored copy's own files are still scanned raw.
      images: ['ghcr.io/acme/web:1.0'],
    },
    {
      name: 'Argo CD, path inside paths: rendered with kustomize.images as before',
      files: { 'clusters/app.yaml': argo('apps/production') },
      paths: ['.'],
      findings: [],
      images: ['ghcr.io/acme/web:2.0'],
    },
    {
      name: 'Argo CD, path outside paths: one notice on the path line',
      files: { 'clusters/app.yaml': argo('apps/production') },
      paths: ['clusters'],
      findings: [
        [
          'gitops-path-not-scanned',
          'clusters/app.yaml',
          'path: apps/production',
          'Application web deploys "apps/production" of this repository, which is outside the scanned paths (clusters): not rendered or checked here; add it to paths to check what it deploys (Argo CD and Flux paths count from the repository\'s top folder).',
        ],
      ],
      images: [],
    },
    {
      name: 'Argo CD, source elsewhere: the source notice only, as before',
      files: { 'clusters/app.yaml': argo('apps/production', OTHER) },
      paths: ['clusters'],
      findings: [['gitops-source-not-checked', 'clusters/app.yaml', `repoURL: ${OTHER}`, undefined]],
      images: [],
    },
  ])('$name', async ({ files, paths, findings, images }) => {
    dir = await scratchDir('gitops-outside');
    await writeTree(dir, { 'apps/production/deployment.yaml': deployment, ...files });
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['remote', 'add', 'origin', 'git@github.com:acme/deploy.git'], { cwd: dir });
    const result = await scanOffline(dir, { paths });
    const expected = await Promise.all(
      findings.map(async ([rule, file, text, message]) => [
        rule,
        file,
        await lineOf(dir!, file, text),
        message ?? expect.any(String),
      ]),
    );
    expect(result.findings.map((f) => [f.rule, f.file, f.line, f.message])).toEqual(expected);
    expect(
      result.findings.every((f) => f.severity === (f.rule === 'gitops-render-error' ? 'error' : 'notice')),
    ).toBe(true);
    expect(result.images.map((image) => image.reference)).toEqual(images);
  });
});
