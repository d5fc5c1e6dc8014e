import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanOffline } from '../support/run.js';
import { removeDir, scratchDir, writeTree } from '../render/support.js';

/** `${VAR}` outside any Flux Kustomization: filled in at deploy time, not an invalid reference. */

let dir: string;
beforeAll(async () => {
  dir = await scratchDir('deploy-time');
  await writeTree(dir, {
    'app.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:\${APP_VERSION}
        - name: sidecar
          image: \${REGISTRY:=ghcr.io}/acme/proxy:1
        - name: broken
          image: ghcr.io/Acme/Web:1
`,
    // Shaped like tektoncd/catalog's tasks: step images are params with defaults.
    'task.yaml': `apiVersion: tekton.dev/v1
kind: Task
metadata: {name: build}
spec:
  params:
    - name: BUILDER_IMAGE
      default: quay.io/buildah/stable:v1
  steps:
    - name: build
      image: $(params.BUILDER_IMAGE)
    - name: go
      image: docker.io/library/golang:$(params.version)
`,
    // Outside Tekton, $(…) is not substituted in an image: the kubelet rejects it.
    'pod.yaml': `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: web
      image: $(params.IMAGE)
`,
  });
});
afterAll(() => removeDir(dir));

describe('deploy-time substitution', () => {
  it('is a notice and an unverified image; a really invalid reference stays an error', async () => {
    const result = await scanOffline(dir);
    expect(result.findings.map((f) => [f.rule, f.severity, f.line, f.container])).toEqual([
      ['deploy-time-substitution', 'notice', 9, 'app'],
      ['deploy-time-substitution', 'notice', 11, 'sidecar'],
      ['invalid-reference', 'error', 13, 'broken'],
      ['invalid-reference', 'error', 7, 'web'],
      ['deploy-time-substitution', 'notice', 10, 'build'],
      ['deploy-time-substitution', 'notice', 12, 'go'],
    ]);
    expect(result.findings.find((f) => f.container === 'build')!.message).toBe(
      `"$(params.BUILDER_IMAGE)" holds $(params.BUILDER_IMAGE), substituted by Tekton when it runs (the param's default or the run's value); the image was not verified.`,
    );
    expect(result.findings[0]!.message).toBe(
      '"ghcr.io/acme/app:${APP_VERSION}" holds ${APP_VERSION}, substituted at deploy time (Flux postBuild.substitute or envsubst); the image was not verified.',
    );
    expect(result.images.map((image) => [image.reference, image.status])).toEqual([
      ['ghcr.io/acme/app:${APP_VERSION}', 'unverified'],
      ['${REGISTRY:=ghcr.io}/acme/proxy:1', 'unverified'],
      ['ghcr.io/Acme/Web:1', 'invalid'],
      ['$(params.IMAGE)', 'invalid'],
      ['$(params.BUILDER_IMAGE)', 'unverified'],
      ['docker.io/library/golang:$(params.version)', 'unverified'],
    ]);
  });
});
