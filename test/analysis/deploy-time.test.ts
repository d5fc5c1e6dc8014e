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
    ]);
    expect(result.findings[0]!.message).toBe(
      '"ghcr.io/acme/app:${APP_VERSION}" holds ${APP_VERSION}, substituted at deploy time (Flux postBuild.substitute or envsubst); the image was not verified.',
    );
    expect(result.images.map((image) => [image.reference, image.status])).toEqual([
      ['ghcr.io/acme/app:${APP_VERSION}', 'unverified'],
      ['${REGISTRY:=ghcr.io}/acme/proxy:1', 'unverified'],
      ['ghcr.io/Acme/Web:1', 'invalid'],
    ]);
  });
});
