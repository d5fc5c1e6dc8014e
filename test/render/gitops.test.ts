import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeRepoUrl } from '../../src/render/gitops/repository.js';
import { substitute } from '../../src/render/gitops/substitute.js';
import { directoryGlob } from '../../src/render/gitops/argocd.js';
import { patchApplies, type ImagePatch } from '../../src/render/gitops/patches.js';
import type { ContainerImage } from '../../src/manifests/types.js';
import { scanOffline } from '../support/run.js';
import { lineOf, removeDir, scratchDir, writeTree } from './support.js';

describe('normalizeRepoUrl', () => {
  it.each([
    'https://github.com/acme/deploy.git',
    'https://github.com/acme/deploy',
    'https://github.com/Acme/Deploy/',
    'http://github.com/acme/deploy.git',
    'git@github.com:acme/deploy.git',
    'git@github.com:acme/deploy',
    'ssh://git@github.com/acme/deploy',
    'ssh://git@github.com:22/acme/deploy.git',
    'https://token@github.com/acme/deploy.git',
  ])('%s names github.com/acme/deploy', (url) => {
    expect(normalizeRepoUrl(url)).toBe('github.com/acme/deploy');
  });

  it('keeps other repositories apart', () => {
    expect(normalizeRepoUrl('https://github.com/acme/deploy-old')).not.toBe('github.com/acme/deploy');
    expect(normalizeRepoUrl('https://gitlab.com/acme/deploy')).not.toBe('github.com/acme/deploy');
  });
});

describe('Flux substitution', () => {
  const vars = new Map(Object.entries({ TAG: { value: '1.2' }, EMPTY: { value: '' } }));
  it.each<[string, boolean, string, string[], string[]]>([
    ['app:${TAG}', true, 'app:1.2', ['TAG'], []],
    ['app:${MISSING}', true, 'app:', [], []],
    ['app:${MISSING}', false, 'app:${MISSING}', [], ['MISSING']],
    ['app:${MISSING:=0.9}', true, 'app:0.9', [], []],
    ['app:${MISSING:-0.9}', true, 'app:0.9', [], []],
    ['app:${TAG:=0.9}', true, 'app:1.2', ['TAG'], []],
    ['app:${EMPTY:=0.9}', true, 'app:0.9', [], []],
    ['app:${EMPTY=0.9}', true, 'app:', ['EMPTY'], []],
    ['app:$TAG', true, 'app:$TAG', [], []],
  ])('%s (complete %s) → %s', (text, complete, value, used, unresolved) => {
    const result = substitute(text, vars, complete);
    expect([result.value, result.used, result.unresolved]).toEqual([value, used, unresolved]);
  });

  it('leaves expressions it does not reproduce as written', () => {
    expect(substitute('app:${TAG/1/2}', vars, true)).toMatchObject({
      value: 'app:${TAG/1/2}',
      unsupported: ['TAG/1/2'],
    });
  });
});

describe('Argo CD directory globs', () => {
  it.each<[string, string, boolean]>([
    ['*.yaml', 'a.yaml', true],
    ['*.yaml', 'sub/a.yaml', false],
    ['**/*.yaml', 'sub/a.yaml', true],
    ['{a.yaml,b.yaml}', 'b.yaml', true],
    ['{a.yaml,b.yaml}', 'c.yaml', false],
    ['**/*.yaml', 'a.yaml', false],
    ['**', 'sub/deep/a.yaml', true],
    ['sub/**/a.yaml', 'sub/x/y/a.yaml', true],
    ['?.yaml', 'a.yaml', true],
    ['?.yaml', '/.yaml', false],
    ['*.{yaml,yml}', 'a.yml', true],
    ['{base/{a,b},prod}/*.yaml', 'base/b/x.yaml', true],
    ['{base/{a,b},prod}/*.yaml', 'base/c/x.yaml', false],
    ['{a.yaml', '{a.yaml', true],
    ['a.(yaml)', 'a.(yaml)', true],
    // A pull request's pattern that a backtracking regular expression takes ~forever on.
    [`${'*a'.repeat(30)}*b`, `${'a'.repeat(200)}.yaml`, false],
    [`${'**a'.repeat(30)}**b`, `${'a/'.repeat(100)}c`, false],
    ['x'.repeat(1025), 'x'.repeat(1025), false],
  ])('%s matches %s: %s', (pattern, file, expected) => {
    expect(directoryGlob(pattern, file)).toBe(expected);
  });
});

describe('inline patch targets', () => {
  const image = (name: string) =>
    ({ container: 'web', pod: { resource: { kind: 'Deployment', name } } }) as unknown as ContainerImage;
  const patch = (name: string): ImagePatch => ({
    name,
    container: 'web',
    image: 'app:2',
    location: { file: 'flux.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 },
    via: 'flux.yaml spec.patches',
  });
  it.each<[string, string, boolean]>([
    ['web', 'web', true],
    ['w.*', 'web', true],
    ['web|api', 'api', true],
    ['(web|api)-v1', 'api-v1', true],
    ['w.*', 'db', false],
    // Patterns that could backtrack without end are compared as literal names, never run.
    ['(a+)+$', `${'a'.repeat(40)}!`, false],
    ['(a|a)*b', 'a'.repeat(40), false],
    ['.*.*.*.*.*.*x', 'a'.repeat(2000), false],
    ['(a+)+$', '(a+)+$', true],
  ])('name %s, resource %s: %s', (name, resource, expected) => {
    expect(patchApplies(patch(name), image(resource))).toBe(expected);
  });
});

/** Bad input: one clear finding each, never a crash. */
describe('broken Argo CD and Flux objects', () => {
  let dir: string | undefined;
  afterEach(() => removeDir(dir));

  async function repository(files: Record<string, string>) {
    dir = await scratchDir('gitops-bad');
    await writeTree(dir, files);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['remote', 'add', 'origin', 'git@github.com:acme/deploy.git'], { cwd: dir });
    return dir;
  }

  const application = (path: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web}
spec:
  source:
    repoURL: https://github.com/acme/deploy
    path: ${path}
`;
  const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: ${image}
`;

  it('a malformed override file is a gitops-render-error at its position; the app renders without it', async () => {
    const root = await repository({
      'app.yaml': application('web'),
      'web/deployment.yaml': deployment('ghcr.io/acme/web:1.0'),
      'web/.argocd-source-web.yaml': 'kustomize:\n  images: [ghcr.io/acme/web:2.0\n',
    });
    const result = await scanOffline(root);
    expect(result.findings.map((f) => [f.rule, f.file])).toEqual([
      ['gitops-render-error', 'web/.argocd-source-web.yaml'],
    ]);
    expect(result.findings[0]!.message).toMatch(
      /^Argo CD parameter-override file web\/\.argocd-source-web\.yaml is not valid YAML: /,
    );
    expect(result.images.map((image) => image.reference)).toEqual(['ghcr.io/acme/web:1.0']);
  });

  it('an override file that is not a mapping is a finding too', async () => {
    const root = await repository({
      'app.yaml': application('web'),
      'web/deployment.yaml': deployment('ghcr.io/acme/web:1.0'),
      'web/.argocd-source.yaml': '- just\n- a list\n',
    });
    const result = await scanOffline(root);
    expect(result.findings.map((f) => [f.rule, f.file, f.line, f.message])).toEqual([
      [
        'gitops-render-error',
        'web/.argocd-source.yaml',
        1,
        'Argo CD parameter-override file web/.argocd-source.yaml is not a mapping of source fields; Argo CD fails to generate manifests for this application.',
      ],
    ]);
  });

  it('a substitution cycle is one error per variable, and the image is not checked', async () => {
    const root = await repository({
      'flux.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./web
  postBuild:
    substitute:
      A: "\${B}"
      B: "\${A}"
`,
      'web/deployment.yaml': deployment('ghcr.io/acme/web:${A}'),
    });
    const result = await scanOffline(root);
    expect(result.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ['gitops-render-error', 'flux.yaml', 9],
      ['gitops-render-error', 'flux.yaml', 10],
    ]);
    expect(result.findings[0]!.message).toBe(
      'Kustomization flux-system/web: the value of A holds ${B}, but Flux substitutes once, so it stays in the output as written (a substitution cycle or chain never resolves); images using A were not checked.',
    );
    expect(result.images).toEqual([]);
  });

  it('substitute: disabled keeps ${VAR} as written: a deploy-time notice, not the variable', async () => {
    const root = await repository({
      'flux.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./web
  targetNamespace: prod
  postBuild:
    substitute: {TAG: "2.0"}
`,
      'web/deployment.yaml': deployment('ghcr.io/acme/web:${TAG}'),
      'web/job.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: script
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
spec:
  template:
    spec:
      containers:
        - name: sh
          image: ghcr.io/acme/tools:\${TAG}
`,
    });
    const result = await scanOffline(root);
    expect(result.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ['deploy-time-substitution', 'web/job.yaml', await lineOf(root, 'web/job.yaml', 'image:')],
    ]);
    const located = result.images.map((image) => [
      image.reference,
      image.locations[0]!.file,
      image.locations[0]!.resource.namespace,
    ]);
    expect(located).toEqual([
      ['ghcr.io/acme/web:2.0', 'flux.yaml', 'prod'],
      ['ghcr.io/acme/tools:${TAG}', 'web/job.yaml', 'prod'],
    ]);
  });

  it('a Flux path that does not exist is an error on the path; an Application elsewhere is a notice', async () => {
    const root = await repository({
      'flux.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: gone, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./nowhere
`,
      'other.yaml': application('web').replace('acme/deploy', 'acme/other'),
    });
    const result = await scanOffline(root);
    expect(result.findings.map((f) => [f.rule, f.file, f.line, f.message])).toEqual([
      [
        'gitops-render-error',
        'flux.yaml',
        6,
        'Kustomization flux-system/gone: path "nowhere" does not exist in this repository; the controller fails to build it.',
      ],
      [
        'gitops-source-not-checked',
        'other.yaml',
        6,
        'Application web: path "web" from https://github.com/acme/other is not in this repository; not fetched or checked.',
      ],
    ]);
  });

  it('an ApplicationSet with literal values, multi-source apps and both override files render as Argo CD would', async () => {
    const root = await repository({
      'appset.yaml': `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: set}
spec:
  generators:
    - list: {elements: [{cluster: a}]}
  template:
    metadata: {name: literal}
    spec:
      source: # ignored by Argo CD when sources is set
        repoURL: https://github.com/acme/deploy.git
        path: no-such-directory
      sources:
        - repoURL: https://github.com/acme/deploy.git
          path: one
          kustomize:
            images: [ghcr.io/acme/one=ghcr.io/acme/renamed:2]
        - repoURL: https://github.com/acme/deploy.git
          path: two
      destination: {namespace: team}
`,
      'one/kustomization.yaml': 'resources: [deployment.yaml]\n',
      'one/deployment.yaml': deployment('ghcr.io/acme/one:1'),
      'two/deployment.yaml': deployment('ghcr.io/acme/two:1'),
      'two/kustomization.yaml': 'resources: [deployment.yaml]\n',
      'two/.argocd-source.yaml': 'kustomize:\n  images: [ghcr.io/acme/two:3]\n',
      'two/.argocd-source-literal.yaml': 'kustomize:\n  images: [ghcr.io/acme/two:4]\n',
    });
    const result = await scanOffline(root);
    expect(result.findings).toEqual([]);
    const located = result.images.map((image) => [
      image.reference,
      image.locations[0]!.file,
      image.locations[0]!.line,
      image.locations[0]!.mapping,
      image.locations[0]!.resource.namespace,
      image.locations[0]!.renderedBy,
    ]);
    expect(located).toEqual([
      ['ghcr.io/acme/renamed:2', 'appset.yaml', 17, 'derived', 'team', ['ApplicationSet literal']],
      [
        'ghcr.io/acme/two:4',
        'two/.argocd-source-literal.yaml',
        2,
        'derived',
        'team',
        ['ApplicationSet literal'],
      ],
    ]);
  });

  it('Flux spec.images set the tag on the images entry; max-render-roots caps the units with a warning finding on each one left out', async () => {
    const kustomization = (name: string, path: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: ${name}, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ${path}
  images:
    - name: ghcr.io/acme/web
      newTag: "9.1"
`;
    const root = await repository({
      'clusters/a.yaml': kustomization('a', './a'),
      'clusters/b.yaml': kustomization('b', './b'),
      'a/deployment.yaml': deployment('ghcr.io/acme/web:1.0'),
      'b/deployment.yaml': deployment('ghcr.io/acme/web:0.1'),
    });
    const all = await scanOffline(root);
    expect(
      all.images.map((image) => [image.reference, image.locations.map((l) => `${l.file}:${l.line}`)]),
    ).toEqual([['ghcr.io/acme/web:9.1', ['clusters/a.yaml:9', 'clusters/b.yaml:9']]]);
    const capped = await scanOffline(root, { render: { maxRoots: 1 } });
    expect(capped.rendered).toEqual({ roots: ['Kustomization flux-system/a'], capped: true });
    // A finding on the object left out, in the JSON, the summary and the totals: not a log line.
    expect(capped.warnings).toEqual([]);
    expect(
      capped.findings
        .filter((finding) => finding.rule === 'render-roots-capped')
        .map((finding) => [finding.severity, `${finding.file}:${finding.line}`, finding.message]),
    ).toEqual([
      [
        'warning',
        'clusters/b.yaml:6', // spec.path
        'Kustomization flux-system/b was not rendered and its images were not checked: max-render-roots is 1 and the renders before it used it up.',
      ],
    ]);
    // b's files are still not checked raw.
    expect(capped.images.map((image) => image.reference)).toEqual(['ghcr.io/acme/web:9.1']);
  });

  it('an app of apps at the top (a plain, non-recursive directory) leaves the overlays below it to the scan', async () => {
    const root = await repository({
      'root-app.yaml': application('.'),
      'overlays/prod/kustomization.yaml':
        'resources: [deployment.yaml]\nimages: [{name: ghcr.io/acme/web, newTag: "2.0"}]\n',
      'overlays/prod/deployment.yaml': deployment('ghcr.io/acme/web:1.0'),
    });
    const result = await scanOffline(root);
    expect(result.images.map((image) => [image.reference, image.locations[0]!.renderedBy])).toEqual([
      ['ghcr.io/acme/web:2.0', ['overlays/prod']],
    ]);
    expect(result.rendered.roots).toEqual(['overlays/prod', 'Application web']);
  });

  it('scan: changed renders only the units whose object or files changed', async () => {
    const flux = (name: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: ${name}, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./${name}
`;
    const root = await repository({
      'clusters/a.yaml': flux('a'),
      'clusters/b.yaml': flux('b'),
      'a/deployment.yaml': deployment('ghcr.io/acme/a:1'),
      'b/deployment.yaml': deployment('ghcr.io/acme/b:1'),
    });
    const byObject = await scanOffline(root, { changedFiles: ['clusters/a.yaml'] });
    expect(byObject.images.map((image) => image.reference)).toEqual(['ghcr.io/acme/a:1']);
    const byFile = await scanOffline(root, { changedFiles: ['b/deployment.yaml'] });
    expect(byFile.images.map((image) => image.reference)).toEqual(['ghcr.io/acme/b:1']);
  });

  it('helm.parameters written by Image Updater into .argocd-source-<app>.yaml: the image is on the override line', async () => {
    const root = await repository({
      'app.yaml': application('chart'),
      'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'chart/values.yaml': 'image:\n  repository: ghcr.io/acme/web\n  tag: "1.0"\n',
      'chart/templates/deployment.yaml': deployment(
        '"{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
      ),
      'chart/.argocd-source-web.yaml':
        'helm:\n  parameters:\n    - name: image.tag\n      value: "2.5"\n      forcestring: true\n',
    });
    const result = await scanOffline(root);
    expect(result.findings).toEqual([]);
    expect(
      result.images.map((image) => [
        image.reference,
        image.locations[0]!.file,
        image.locations[0]!.line,
        image.locations[0]!.mapping,
      ]),
    ).toEqual([['ghcr.io/acme/web:2.5', 'chart/.argocd-source-web.yaml', 4, 'derived']]);
  });

  it('a Kustomization of an ExternalArtifact maps back through its ArtifactGenerator (flux2-kustomize-helm-example today)', async () => {
    const cluster = (env: string) => ({
      [`clusters/${env}/artifacts.yaml`]: `apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: flux-system, namespace: flux-system}
spec:
  sources:
    - {alias: monorepo, kind: GitRepository, name: flux-system}
  artifacts:
    - name: apps
      originRevision: "@monorepo"
      copy:
        - {from: "@monorepo/apps/base/**", to: "@artifact/base/"}
        - {from: "@monorepo/apps/${env}/**", to: "@artifact/${env}/"}
`,
      [`clusters/${env}/apps.yaml`]: `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  sourceRef: {kind: ExternalArtifact, name: apps}
  path: ./${env}
`,
      [`apps/${env}/kustomization.yaml`]: `resources: [../base]\nimages: [{name: ghcr.io/acme/web, newTag: "${env}"}]\n`,
    });
    const root = await repository({
      ...cluster('production'),
      ...cluster('staging'),
      'apps/base/kustomization.yaml': 'resources: [deployment.yaml]\n',
      'apps/base/deployment.yaml': deployment('ghcr.io/acme/web:1.0'),
    });
    const result = await scanOffline(root);
    expect(result.findings).toEqual([]);
    expect(result.images.map((image) => [image.reference, image.locations[0]!.renderedBy])).toEqual([
      ['ghcr.io/acme/web:production', ['Kustomization flux-system/apps (clusters/production/apps.yaml)']],
      ['ghcr.io/acme/web:staging', ['Kustomization flux-system/apps (clusters/staging/apps.yaml)']],
    ]);
  });

  it('a config management plugin source is one notice, and its path is left to the scan', async () => {
    const root = await repository({
      'app.yaml': application('web') + '    plugin:\n      name: envsubst\n',
      'web/deployment.yaml': deployment('ghcr.io/acme/web:1.0'),
    });
    const result = await scanOffline(root);
    expect(result.findings.map((f) => [f.rule, f.file, f.line, f.message])).toEqual([
      [
        'gitops-source-not-checked',
        'app.yaml',
        9,
        'Application web: path "web" is rendered by the config management plugin "envsubst", which does not run here; not checked as the plugin renders it.',
      ],
    ]);
    expect(result.images.map((image) => image.reference)).toEqual(['ghcr.io/acme/web:1.0']);
  });

  it('malformed Argo CD and Flux objects of every shape never crash the scan', async () => {
    const shapes = [
      'spec: 42',
      'spec: {source: [1, 2]}',
      'spec: {source: {repoURL: {a: 1}, path: [x]}}',
      'spec: {source: {repoURL: "https://github.com/acme/deploy", path: web, kustomize: {images: {a: 1}}}}',
      'spec: {source: {repoURL: "https://github.com/acme/deploy", path: web, kustomize: {images: [[1], {}, "", "=", "a=@"]}}}',
      'spec: {source: {repoURL: "https://github.com/acme/deploy", path: web, directory: {recurse: yes, include: "{[", exclude: 7}}}',
      'spec: {sources: {not: a-list}}',
      'spec: {template: 5}',
    ];
    const flux = [
      'spec: {sourceRef: flux-system, path: ./web, postBuild: [1]}',
      'spec: {sourceRef: {name: flux-system}, path: [1], postBuild: {substitute: [a, b], substituteFrom: [{}, 3, {kind: Secret}]}}',
      'spec: {sourceRef: {name: flux-system}, path: ./web, images: [{newTag: 1}, 5, {name: "("}], targetNamespace: {a: 1}}',
      'spec: {chart: {spec: {chart: [1], sourceRef: {kind: GitRepository, name: flux-system}}}, valuesFrom: [{kind: ConfigMap}], values: 3}',
    ];
    const documents = [
      ...shapes.map(
        (shape, i) =>
          `apiVersion: argoproj.io/v1alpha1\nkind: ${i === 7 ? 'ApplicationSet' : 'Application'}\nmetadata: {name: a${i}}\n${shape}\n`,
      ),
      ...flux.map(
        (shape, i) =>
          `apiVersion: ${i === 3 ? 'helm.toolkit.fluxcd.io/v2' : 'kustomize.toolkit.fluxcd.io/v1'}\nkind: ${i === 3 ? 'HelmRelease' : 'Kustomization'}\nmetadata: {name: f${i}}\n${shape}\n`,
      ),
    ];
    const root = await repository({
      'objects.yaml': documents.join('---\n'),
      'web/deployment.yaml': deployment('ghcr.io/acme/web:1.0'),
      'web/.argocd-source.yaml': 'kustomize: [1]\nhelm: {parameters: {a: b}}\n',
    });
    const result = await scanOffline(root);
    expect(result.findings.every((f) => f.file !== '' && f.line >= 1)).toBe(true);
    expect(result.images.map((image) => image.reference)).toContain('ghcr.io/acme/web:1.0');
  });

  it('inline patches that set an image (Flux spec.patches, Argo CD kustomize.patches) anchor it on the patch line', async () => {
    const root = await repository({
      'flux.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./web
  patches:
    - target: {kind: Deployment, name: "w.*"}
      patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: any
        spec:
          template:
            spec:
              containers:
                - name: web
                  image: ghcr.io/acme/web:patched
  images:
    - name: ghcr.io/acme/web
      newTag: final
`,
      'app.yaml': `${application('argo')}    kustomize:
      patches:
        - patch: |
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec: {template: {spec: {containers: [{name: web, image: "ghcr.io/acme/argo:7"}]}}}
`,
      'web/deployment.yaml': deployment('ghcr.io/acme/web:1.0'),
      'argo/kustomization.yaml': 'resources: [deployment.yaml]\n',
      'argo/deployment.yaml': deployment('ghcr.io/acme/web:1.0'),
    });
    const result = await scanOffline(root);
    expect(result.findings).toEqual([]);
    expect(
      result.images.map((image) => [
        image.reference,
        image.locations[0]!.file,
        image.locations[0]!.line,
        image.locations[0]!.column,
      ]),
    ).toEqual([
      ['ghcr.io/acme/argo:7', 'app.yaml', 14, 71],
      ['ghcr.io/acme/web:final', 'flux.yaml', 22, 15],
    ]);
  });

  it('a workload in the same file as the Flux Kustomization (or its substituteFrom ConfigMap) is still checked raw', async () => {
    const root = await repository({
      'clusters/all.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./web
  postBuild:
    substituteFrom: [{kind: ConfigMap, name: vars}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: vars, namespace: flux-system}
data: {TAG: "3.1"}
---
${deployment('ghcr.io/acme/beside:1')}`,
      'web/deployment.yaml': deployment('ghcr.io/acme/web:${TAG}'),
    });
    const result = await scanOffline(root);
    expect(result.images.map((image) => [image.reference, image.locations[0]!.file])).toEqual([
      ['ghcr.io/acme/beside:1', 'clusters/all.yaml'],
      ['ghcr.io/acme/web:3.1', 'clusters/all.yaml'],
    ]);
  });
});
