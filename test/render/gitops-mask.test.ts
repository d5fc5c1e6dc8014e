import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_REGISTRY_SETTINGS } from '../../src/scan.js';
import { scanOffline } from '../support/run.js';
import { removeDir, scratchDir, writeTree } from './support.js';

/**
 * Values Flux reads from Secrets in the repository (postBuild.substituteFrom, HelmRelease valuesFrom)
 * can reach image strings, messages and reports: each is handed to the scan's mask (core.setSecret).
 */

let dir: string | undefined;
afterEach(async () => {
  await removeDir(dir);
  dir = undefined;
});

async function scanMasked(files: Record<string, string>): Promise<{ masked: string[]; images: string[] }> {
  dir = await scratchDir('gitops-mask');
  await writeTree(dir, files);
  execFileSync('git', ['init', '-q'], { cwd: dir });
  const masked: string[] = [];
  const result = await scanOffline(dir, {
    registry: { ...DEFAULT_REGISTRY_SETTINGS, mask: (secret) => masked.push(secret) },
  });
  return { masked, images: result.images.map((image) => image.reference) };
}

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: web, image: "${image}"}]
`;

const kustomization = (kind: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./web
  postBuild:
    substituteFrom: [{kind: ${kind}, name: vars}]
`;

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('Flux substituteFrom a Secret in the repository', () => {
  it.each<[string, string]>([
    ['data (base64)', `data: {TAG: ${base64('s3cret-tag')}, REGION: ${base64('1')}, NONE: ""}`],
    ['stringData', 'stringData: {TAG: s3cret-tag, REGION: "1", NONE: ""}'],
  ])('masks every decoded value of %s, however short, and no empty one', async (_, data) => {
    const { masked, images } = await scanMasked({
      'clusters/web.yaml': `${kustomization('Secret')}---
apiVersion: v1
kind: Secret
metadata: {name: vars, namespace: flux-system}
${data}
`,
      'web/deployment.yaml': deployment('ghcr.io/acme/web:${TAG}'),
    });
    expect(images).toEqual(['ghcr.io/acme/web:s3cret-tag']);
    expect(masked.sort()).toEqual(['1', 's3cret-tag']);
  });

  it('leaves a ConfigMap’s values unmasked: they are not secrets', async () => {
    const { masked, images } = await scanMasked({
      'clusters/web.yaml': `${kustomization('ConfigMap')}---
apiVersion: v1
kind: ConfigMap
metadata: {name: vars, namespace: flux-system}
data: {TAG: "3.1"}
`,
      'web/deployment.yaml': deployment('ghcr.io/acme/web:${TAG}'),
    });
    expect(images).toEqual(['ghcr.io/acme/web:3.1']);
    expect(masked).toEqual([]);
  });
});

describe('Flux HelmRelease valuesFrom a Secret in the repository', () => {
  const values = 'image:\n  tag: s3cret-tag\nreplicas: 2\n';
  it.each<[string, string]>([
    ['data (base64)', `data:\n  values.yaml: ${base64(values)}`],
    ['stringData', `stringData:\n  values.yaml: |\n${values.replace(/^/gm, '    ').trimEnd()}`],
  ])('masks the document of %s and every value in it', async (_, data) => {
    const { masked } = await scanMasked({
      'clusters/web.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: web, namespace: flux-system}
spec:
  chart:
    spec:
      chart: ./charts/web
      sourceRef: {kind: GitRepository, name: flux-system}
  valuesFrom: [{kind: Secret, name: web-values}]
---
apiVersion: v1
kind: Secret
metadata: {name: web-values, namespace: flux-system}
${data}
`,
      'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'charts/web/templates/deployment.yaml': deployment('ghcr.io/acme/web:{{ .Values.image.tag }}'),
    });
    expect(masked.sort()).toEqual([values, '2', 's3cret-tag'].sort());
  });
});
