import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliJson, copyFixture, lineOf, removeDir, scratchDir } from './support.js';

/**
 * A repository shaped like argocd-example-apps and flux2-kustomize-helm-example, checked out with an
 * origin the Applications and GitRepository name in other forms (ssh, scp, no .git). Every tag the
 * Argo CD and Flux objects set is checked on the line that sets it; no un-overridden base image errs.
 */

const lab = inject('lab');
const host = lab.open.host;
let dir: string;
beforeAll(async () => {
  dir = await scratchDir('gitops');
  await copyFixture('gitops', dir, host);
  execFileSync('git', ['init', '-q'], { cwd: dir });
  execFileSync('git', ['remote', 'add', 'origin', 'https://github.com/acme/gitops.git'], { cwd: dir });
});
afterAll(() => removeDir(dir));

const GUESTBOOK = 'argocd/apps/guestbook.yaml';
const OVERRIDE = 'argocd/overridden/.argocd-source-updated.yaml';
const FLUX_APPS = 'clusters/production/apps.yaml';
const HELM_APP = 'argocd/apps/web-helm.yaml';
const RELEASE = 'clusters/production/podinfo-release.yaml';

describe('Argo CD and Flux against the lab registry', () => {
  it('reports each override’s missing tag on the override’s line, with the image: line related', async () => {
    const { code, stderr, report } = await cliJson(dir, '.');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const errors = report!.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => [f.rule, f.file, f.line, f.mapping ?? null])).toEqual([
      [
        'gitops-render-error',
        'argocd/apps/external.yaml',
        await lineOf(dir, 'argocd/apps/external.yaml', 'does-not-exist'),
        null,
      ],
      ['tag-not-found', GUESTBOOK, await lineOf(dir, GUESTBOOK, 'app:9.9.9'), 'derived'],
      ['tag-not-found', HELM_APP, await lineOf(dir, HELM_APP, '6.6.6'), 'derived'],
      ['tag-not-found', OVERRIDE, await lineOf(dir, OVERRIDE, 'app:8.8.8'), 'derived'],
      ['tag-not-found', FLUX_APPS, await lineOf(dir, FLUX_APPS, 'PODINFO_TAG'), 'derived'],
      ['tag-not-found', RELEASE, await lineOf(dir, RELEASE, '5.5.5'), 'derived'],
    ]);
    const [, guestbook, helm, override, flux, release] = errors;
    expect(helm!.message).toContain(
      `(rendered by Application web-helm; set by ${HELM_APP} helm.parameters image.tag)`,
    );
    expect(helm!.resource).toEqual({ kind: 'Deployment', name: 'web-web', namespace: 'web' });
    expect(release!.message).toContain(`set by ${RELEASE} spec.values.image.tag)`);
    expect(guestbook!.related).toEqual([
      expect.objectContaining({
        file: 'argocd/kustomize-guestbook/guestbook-ui-deployment.yaml',
        line: await lineOf(dir, 'argocd/kustomize-guestbook/guestbook-ui-deployment.yaml', 'image:'),
      }),
    ]);
    expect(guestbook!.message).toContain(
      `(rendered by Application kustomize-guestbook; set by ${GUESTBOOK} kustomize.images)`,
    );
    expect(guestbook!.resource).toEqual({
      kind: 'Deployment',
      name: 'prod-guestbook-ui',
      namespace: 'guestbook',
    });
    expect(override!.related).toEqual([
      expect.objectContaining({
        file: 'argocd/overridden/deployment.yaml',
        line: await lineOf(dir, 'argocd/overridden/deployment.yaml', 'image:'),
      }),
    ]);
    expect(flux!.image).toBe(`${host}/app:7.7.7`);
    expect(flux!.resource).toEqual({ kind: 'Deployment', name: 'podinfo', namespace: 'podinfo' });
    expect(flux!.related).toEqual([
      expect.objectContaining({
        file: 'apps/base/podinfo/deployment.yaml',
        line: await lineOf(dir, 'apps/base/podinfo/deployment.yaml', 'PODINFO_TAG'),
      }),
    ]);
    expect(flux!.message).toContain(`substituted from ${FLUX_APPS} postBuild.substitute PODINFO_TAG`);
  });

  it('checks no un-overridden base raw, honours exclude, and resolves defaults and substituteFrom', async () => {
    const { report } = await cliJson(dir, '.');
    const located = report!.images.flatMap((image) =>
      image.locations.map((l) => [image.reference.replace(host, 'lab'), image.status, l.file, l.renderedBy]),
    );
    expect(located.sort()).toEqual(
      [
        [
          'lab/app:${FROM_CLUSTER}',
          'unverified',
          'infrastructure/controller.yaml',
          ['Kustomization flux-system/infra-controllers'],
        ],
        ['lab/app:1.0.0', 'available', 'argocd/plain/sub/job.yaml', ['Application plain']],
        [
          'lab/app:1.0.1',
          'available',
          'apps/base/podinfo/deployment.yaml',
          ['Kustomization flux-system/apps'],
        ],
        ['lab/app:1.1.0', 'available', 'argocd/plain/deployment.yaml', ['Application plain']],
        [
          'lab/app:1.1.0',
          'available',
          'infrastructure/settings.yaml',
          ['Kustomization flux-system/infra-controllers'],
        ],
        ['lab/app:7.7.7', 'not-found', FLUX_APPS, ['Kustomization flux-system/apps']],
        ['lab/app:8.8.8', 'not-found', OVERRIDE, ['Application updated']],
        ['lab/app:9.9.9', 'not-found', GUESTBOOK, ['Application kustomize-guestbook']],
        ['lab/app:6.6.6', 'not-found', HELM_APP, ['Application web-helm']],
        ['lab/app:5.5.5', 'not-found', RELEASE, ['HelmRelease flux-system/podinfo']],
      ].sort(),
    );
  });

  it('lists sources elsewhere once each, and warns about a substituteFrom source not in the repository', async () => {
    const { report } = await cliJson(dir, '--offline', '.');
    const others = report!.findings.filter((f) => f.severity !== 'error');
    expect(others.map((f) => [f.rule, f.file, f.line])).toEqual([
      [
        'gitops-source-not-checked',
        'argocd/apps/appset.yaml',
        await lineOf(dir, 'argocd/apps/appset.yaml', "path: '{{path}}'"),
      ],
      [
        'gitops-source-not-checked',
        'argocd/apps/external.yaml',
        await lineOf(dir, 'argocd/apps/external.yaml', 'chart: redis'),
      ],
      [
        'gitops-substitution-unresolved',
        'clusters/production/infrastructure.yaml',
        await lineOf(dir, 'clusters/production/infrastructure.yaml', 'cluster-settings'),
      ],
      [
        'deploy-time-substitution',
        'infrastructure/controller.yaml',
        await lineOf(dir, 'infrastructure/controller.yaml', 'FROM_CLUSTER'),
      ],
      [
        'gitops-source-not-checked',
        'infrastructure/ingress-nginx.yaml',
        await lineOf(dir, 'infrastructure/ingress-nginx.yaml', 'chart: ingress-nginx'),
      ],
    ]);
    expect(report!.rendered!.roots).toEqual([
      'Application kustomize-guestbook',
      'Application plain',
      'Application updated',
      'Application web-helm',
      'Kustomization flux-system/apps',
      'Kustomization flux-system/flux-system',
      'Kustomization flux-system/infra-controllers',
      'HelmRelease flux-system/podinfo',
    ]);
  });
});
