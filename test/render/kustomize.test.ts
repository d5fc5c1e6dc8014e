import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Finding } from '../../src/findings.js';
import type { KustomizeRunner } from '../../src/render/index.js';
import { DEFAULT_REGISTRY_SETTINGS, type ScanOptions } from '../../src/scan.js';
import { scanOffline } from '../support/run.js';
import { removeDir, scratchDir, writeTree } from './support.js';

/** Real `kubectl kustomize` on small repositories, scanned offline: where each rendered image lands. */

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir);
});

async function scanTree(files: Record<string, string>, options: Partial<ScanOptions> = {}) {
  const dir = await scratchDir('kustomize');
  dirs.push(dir);
  await writeTree(dir, files);
  const result = await scanOffline(dir, options);
  const located = result.images.flatMap((image) =>
    image.locations.map((l) => `${image.reference} @ ${l.file}:${l.line}:${l.column} ${l.mapping}`),
  );
  return { dir, result, located: located.sort() };
}

const deployment = (image: string, name = 'web', container = 'app') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  template:
    spec:
      containers:
        - name: ${container}
          image: ${image}
`;
const kustomization = (lines: string[]) => `${lines.join('\n')}\n`;

describe('each rendered image is placed on the line that sets it, most exact first', () => {
  it.each<[string, Record<string, string>, string[]]>([
    [
      'exact: the base writes the image as rendered',
      {
        'base/kustomization.yaml': kustomization(['resources: [web.yaml]']),
        'base/web.yaml': deployment('reg.test/app:1.0'),
        'prod/kustomization.yaml': kustomization(['resources: [../base]', 'namePrefix: prod-']),
      },
      ['reg.test/app:1.0 @ base/web.yaml:10:18 exact'],
    ],
    [
      'derived: the overlay’s newTag',
      {
        'base/kustomization.yaml': kustomization(['resources: [web.yaml]']),
        'base/web.yaml': deployment('reg.test/app'),
        'prod/kustomization.yaml': kustomization([
          'resources: [../base]',
          'images:',
          '  - name: reg.test/app',
          '    newTag: "2.0"',
        ]),
      },
      ['reg.test/app:2.0 @ prod/kustomization.yaml:4:13 derived'],
    ],
    [
      'derived: newName alone lands on newName',
      {
        'kustomization.yaml': kustomization([
          'resources: [web.yaml]',
          'images:',
          '  - name: app',
          '    newName: reg.test/team/app',
        ]),
        'web.yaml': deployment('app:3'),
      },
      ['reg.test/team/app:3 @ kustomization.yaml:4:14 derived'],
    ],
    [
      'derived: a digest decides over a tag and replaces both',
      {
        'kustomization.yaml': kustomization([
          'resources: [web.yaml]',
          'images:',
          '  - name: reg.test/app',
          '    newTag: "9"',
          `    digest: sha256:${'a'.repeat(64)}`,
        ]),
        'web.yaml': deployment(`reg.test/app:1@sha256:${'b'.repeat(64)}`),
      },
      [`reg.test/app:9@sha256:${'a'.repeat(64)} @ kustomization.yaml:5:13 derived`],
    ],
    [
      'derived: the outermost overlay wins over the ones it builds on',
      {
        'base/kustomization.yaml': kustomization([
          'resources: [web.yaml]',
          'images: [{name: reg.test/app, newTag: "1"}]',
        ]),
        'base/web.yaml': deployment('reg.test/app:0'),
        'mid/kustomization.yaml': kustomization([
          'resources: [../base]',
          'images: [{name: reg.test/app, newTag: "2"}]',
        ]),
        'top/kustomization.yaml': kustomization([
          'resources: [../mid]',
          'images: [{name: reg.test/app, newTag: "3"}]',
        ]),
      },
      ['reg.test/app:3 @ top/kustomization.yaml:2:39 derived'],
    ],
    [
      'derived: an inner overlay’s entry when the outer one leaves the image alone',
      {
        'base/kustomization.yaml': kustomization(['resources: [web.yaml]']),
        'base/web.yaml': deployment('reg.test/app:0'),
        'mid/kustomization.yaml': kustomization([
          'resources: [../base]',
          'images: [{name: reg.test/app, newTag: "2"}]',
        ]),
        'top/kustomization.yaml': kustomization(['resources: [../mid]', 'namePrefix: top-']),
      },
      ['reg.test/app:2 @ mid/kustomization.yaml:2:39 derived'],
    ],
    [
      'derived: a component’s entry applies to the overlay’s resources',
      {
        'base/kustomization.yaml': kustomization(['resources: [web.yaml]']),
        'base/web.yaml': deployment('reg.test/app:0'),
        'comp/kustomization.yaml': kustomization([
          'apiVersion: kustomize.config.k8s.io/v1alpha1',
          'kind: Component',
          'images: [{name: reg.test/app, newTag: "5"}]',
        ]),
        'prod/kustomization.yaml': kustomization(['resources: [../base]', 'components: [../comp]']),
      },
      ['reg.test/app:5 @ comp/kustomization.yaml:3:39 derived'],
    ],
    [
      'heuristic: a strategic-merge patch file',
      {
        'base/kustomization.yaml': kustomization(['resources: [web.yaml]']),
        'base/web.yaml': deployment('reg.test/app:0'),
        'prod/kustomization.yaml': kustomization(['resources: [../base]', 'patches: [{path: patch.yaml}]']),
        'prod/patch.yaml': deployment('reg.test/app:7'),
      },
      ['reg.test/app:7 @ prod/patch.yaml:10:18 heuristic'],
    ],
    [
      'heuristic: an inline JSON 6902 patch, found by its text',
      {
        'base/kustomization.yaml': kustomization(['resources: [web.yaml]']),
        'base/web.yaml': deployment('reg.test/app:0'),
        'prod/kustomization.yaml': kustomization([
          'resources: [../base]',
          'patches:',
          '  - target: {kind: Deployment}',
          '    patch: |-',
          '      - op: replace',
          '        path: /spec/template/spec/containers/0/image',
          '        value: reg.test/app:8',
        ]),
      },
      ['reg.test/app:8 @ prod/kustomization.yaml:7:16 heuristic'],
    ],
    [
      'root: nothing says it uniquely, so the root kustomization',
      {
        'base/kustomization.yaml': kustomization(['resources: [web.yaml, api.yaml]']),
        'base/web.yaml': deployment('reg.test/app:0'),
        'base/api.yaml': deployment('reg.test/app:0', 'api'),
        'prod/kustomization.yaml': kustomization([
          'resources:',
          '  - ../base',
          'patches:',
          '  - target: {kind: Deployment}',
          '    patch: |-',
          '      - {op: replace, path: /spec/template/spec/containers/0/image, value: reg.test/app:9}',
          '  - target: {kind: Deployment, name: api}',
          '    patch: |-',
          '      - {op: replace, path: /spec/template/spec/containers/0/image, value: reg.test/app:9}',
        ]),
      },
      [
        'reg.test/app:9 @ prod/kustomization.yaml:1:1 root',
        'reg.test/app:9 @ prod/kustomization.yaml:1:1 root',
      ],
    ],
  ])('%s', async (_name, files, expected) => {
    const { located, result } = await scanTree(files);
    expect(located).toEqual(expected);
    expect(result.findings.filter((f) => f.rule !== 'mutable-tag')).toEqual([]);
  });
});

describe('what is rendered, and what is never scanned raw', () => {
  it('a base line rendered by two overlays is one finding naming both', async () => {
    const { result } = await scanTree({
      'base/kustomization.yaml': kustomization(['resources: [web.yaml]']),
      'base/web.yaml': deployment('reg.test/app:latest'),
      'eu/kustomization.yaml': kustomization(['resources: [../base]', 'namespace: eu']),
      'us/kustomization.yaml': kustomization(['resources: [../base]', 'namespace: us']),
    });
    expect(result.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ['mutable-tag', 'base/web.yaml', 10],
    ]);
    expect(result.findings[0]!.message).toMatch(/\(rendered by eu, us; as written in base\/web\.yaml\)$/);
    expect(result.rendered).toEqual({ roots: ['eu', 'us'], capped: false });
  });

  it('files a kustomization reads are not scanned raw; other files are', async () => {
    const { located } = await scanTree({
      'app/kustomization.yaml': kustomization([
        'resources: [web.yaml]',
        'configMapGenerator: [{name: example, files: [example-pod.yaml]}]',
      ]),
      'app/web.yaml': deployment('reg.test/app:1'),
      // A Pod kept as a ConfigMap's data is not something the cluster runs.
      'app/example-pod.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: x, image: nope:1}]}\n',
      'raw/pod.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata: {name: raw}\nspec:\n  containers: [{name: c, image: "reg.test/raw:1"}]\n',
    });
    expect(located).toEqual([
      'reg.test/app:1 @ app/web.yaml:10:18 exact',
      'reg.test/raw:1 @ raw/pod.yaml:5:33 undefined',
    ]);
  });

  it('an images entry that matches nothing is a warning on its name', async () => {
    const { result } = await scanTree({
      'kustomization.yaml': kustomization([
        'resources: [web.yaml]',
        'images:',
        '  - name: reg.test/app',
        '    newTag: "2"',
        '  - name: app # the base writes reg.test/app',
        '    newTag: "3"',
      ]),
      'web.yaml': deployment('reg.test/app:1'),
    });
    expect(result.findings.map((f) => [f.rule, f.severity, f.line, f.column, f.message])).toEqual([
      [
        'kustomize-image-unused',
        'warning',
        5,
        11,
        'images entry "app" matches no container image in the build of .: kustomize ignores it silently, so its newTag 3 is never applied.',
      ],
    ]);
  });

  it('a kustomization that does not build is an error on its root, in kustomize’s words', async () => {
    const { result } = await scanTree({
      'prod/kustomization.yaml': kustomization(['namespace: prod', 'resources:', '  - missing.yaml']),
    });
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      rule: 'kustomize-render-error',
      severity: 'error',
      file: 'prod/kustomization.yaml',
      line: 2,
    });
    expect(result.findings[0]!.message).toMatch(
      /^kubectl kustomize prod fails: .*missing\.yaml.*no such file or directory/,
    );
    expect(result.findings[0]!.message).not.toContain('preflight-kustomize-');
    expect(result.rendered.roots).toEqual([]);
  });

  it('builds with kustomize’s default load restrictor, as kubectl kustomize would', async () => {
    const { result } = await scanTree({
      'shared/web.yaml': deployment('reg.test/app:1'),
      'prod/kustomization.yaml': kustomization(['resources: [../shared/web.yaml]']),
    });
    expect(result.findings.map((f) => f.rule)).toEqual(['kustomize-render-error']);
    expect(result.findings[0]!.message).toContain('is not in or below');
  });

  it.each<[string, string[], string, [number, number], boolean]>([
    [
      'a remote base',
      ['resources:', '  - https://github.com/acme/platform//deploy/base?ref=v1.8.0'],
      'remote base "https://github.com/acme/platform//deploy/base?ref=v1.8.0"',
      [2, 5],
      false,
    ],
    [
      'a git reference',
      ['resources:', '  - github.com/acme/platform/deploy/base?ref=v1.8.0'],
      'remote base "github.com/acme/platform/deploy/base?ref=v1.8.0"',
      [2, 5],
      false,
    ],
    [
      'helmCharts, which kustomize inflates from a chart repository',
      ['helmCharts:', '  - name: redis', '    repo: https://charts.example.com', '    version: 1.0.0'],
      'helm chart "redis" (helmCharts)',
      [2, 11],
      true,
    ],
  ])(
    '%s is not fetched: a warning on it, the overlay not rendered',
    async (_name, lines, what, [line, column], helm) => {
      const calls: Array<{ directory: string; enableHelm?: boolean }> = [];
      const runner: KustomizeRunner = {
        build: async (directory, options) => (
          calls.push({ directory, enableHelm: options.enableHelm }),
          { ok: true, stdout: '' }
        ),
      };
      const files = { 'prod/kustomization.yaml': kustomization(lines) };
      const { result } = await scanTree(files, { render: { kustomizeRunner: runner } });
      expect(result.findings.map((f) => [f.rule, f.file, f.line, f.column])).toEqual([
        ['kustomize-remote-base', 'prod/kustomization.yaml', line, column],
      ]);
      expect(result.findings[0]!.message).toBe(
        `${what} was not fetched (no network; set kustomize-remote: true to allow it), so prod was not rendered and its images were not checked.`,
      );
      expect(calls).toEqual([]);
      await scanTree(files, { render: { kustomizeRunner: runner, kustomizeRemote: true } });
      expect(calls.map((call) => call.enableHelm)).toEqual([helm]);
    },
  );

  it('one warning per remote entry, naming every overlay it kept from rendering', async () => {
    const { result } = await scanTree({
      'base/kustomization.yaml': kustomization(['resources:', '  - https://example.com/crds.yaml']),
      'eu/kustomization.yaml': kustomization(['resources: [../base]']),
      'us/kustomization.yaml': kustomization(['resources: [../base]']),
    });
    expect(result.findings.map((f) => [f.rule, f.file, f.message])).toEqual([
      [
        'kustomize-remote-base',
        'base/kustomization.yaml',
        'remote base "https://example.com/crds.yaml" was not fetched (no network; set kustomize-remote: true to allow it), so eu, us were not rendered and their images were not checked.',
      ],
    ]);
  });

  it('without kubectl or kustomize: one notice per root', async () => {
    const runner: KustomizeRunner = {
      build: async () => ({ ok: false, missing: true, message: 'not installed' }),
    };
    const { result } = await scanTree(
      {
        'base/kustomization.yaml': kustomization(['resources: [web.yaml]']),
        'base/web.yaml': deployment('reg.test/app'),
        'a/kustomization.yaml': kustomization(['resources: [../base]']),
        'b/kustomization.yaml': kustomization(['resources: [../base]']),
      },
      { render: { kustomizeRunner: runner } },
    );
    expect(result.findings.map((f) => [f.rule, f.severity, f.file])).toEqual([
      ['render-tool-missing', 'notice', 'a/kustomization.yaml'],
      ['render-tool-missing', 'notice', 'b/kustomization.yaml'],
    ]);
  });

  it('a suppression comment in an overlay silences the finding placed on its line', async () => {
    const { result } = await scanTree({
      'kustomization.yaml': kustomization([
        'resources: [web.yaml]',
        'images:',
        '  - name: reg.test/app',
        '    newTag: latest # imagepull-preflight: ignore[mutable-tag] dev only',
      ]),
      'web.yaml': deployment('reg.test/app:1'),
    });
    expect(result.findings).toEqual([]);
    expect(result.suppressed.map((s) => [s.finding.rule, s.finding.line, s.reason])).toEqual([
      ['mutable-tag', 4, 'dev only'],
    ]);
  });
});

describe('scan: changed and max-render-roots', () => {
  const tree = {
    'base/kustomization.yaml': kustomization(['resources: [web.yaml]']),
    'base/web.yaml': deployment('reg.test/app:1'),
    'eu/kustomization.yaml': kustomization(['resources: [../base]', 'namespace: eu']),
    'us/kustomization.yaml': kustomization(['resources: [../base]', 'namespace: us']),
    'solo/kustomization.yaml': kustomization(['resources: [pod.yaml]']),
    'solo/pod.yaml': deployment('reg.test/solo:1'),
  };

  it.each<[string, string[], string[]]>([
    ['a changed base renders every overlay built on it', ['base/web.yaml'], ['eu', 'us']],
    ['a changed overlay renders only itself', ['us/kustomization.yaml'], ['us']],
    ['a change elsewhere renders nothing', ['README.md'], []],
  ])('%s', async (_name, changedFiles, roots) => {
    const { result } = await scanTree(tree, { changedFiles });
    expect(result.rendered).toEqual({ roots, capped: false });
    expect(new Set(result.images.flatMap((i) => i.locations.flatMap((l) => l.renderedBy ?? [])))).toEqual(
      new Set(roots),
    );
  });

  it('renders at most max-render-roots and says which were left out, as a finding', async () => {
    const { result } = await scanTree(tree, { render: { maxRoots: 2 } });
    expect(result.rendered).toEqual({ roots: ['eu', 'solo'], capped: true });
    expect(result.findings.filter((f) => f.rule === 'render-roots-capped')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        file: 'us/kustomization.yaml',
        message:
          '2 kustomize roots and Helm charts were rendered and 1 were not (max-render-roots is 2), so their images were not checked: us',
      }),
    ]);
  });

  it('roots that cannot render take nothing from the budget', async () => {
    const { result } = await scanTree(
      {
        ...tree,
        'a-remote/kustomization.yaml': kustomization(['resources: [https://example.test/base.yaml]']),
      },
      { render: { maxRoots: 3 } },
    );
    expect(result.rendered).toEqual({ roots: ['eu', 'solo', 'us'], capped: false });
    expect(result.findings.map((f) => f.rule)).toContain('kustomize-remote-base');
    expect(result.findings.map((f) => f.rule)).not.toContain('render-roots-capped');
  });
});

describe('rendered Secrets and ServiceAccounts count like written ones', () => {
  const lab = inject('lab');

  it('a secretGenerator’s pull secret (hashed name and all) lets the pod pull', async () => {
    const { username, password } = lab.basic.users.alice;
    const config = JSON.stringify({ auths: { [lab.basic.host]: { username, password } } });
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: reg}]
  containers:
    - name: c
      image: ${lab.basic.host}/private/app:2.0
`;
    const files = {
      'app/kustomization.yaml': kustomization([
        'namespace: apps',
        'resources: [pod.yaml]',
        'secretGenerator:',
        '  - name: reg',
        '    type: kubernetes.io/dockerconfigjson',
        '    files: [.dockerconfigjson=config.json]',
      ]),
      'app/pod.yaml': pod,
      'app/config.json': config,
    };
    const online = { offline: false, registry: { ...DEFAULT_REGISTRY_SETTINGS, timeoutMs: 5_000 } };
    const { result } = await scanTree(files, online);
    expect(result.findings).toEqual([]);
    expect(result.images.map((i) => i.status)).toEqual(['available']);

    const without = await scanTree(
      { ...files, 'app/kustomization.yaml': kustomization(['namespace: apps', 'resources: [pod.yaml]']) },
      online,
    );
    expect(without.result.findings.map((f: Finding) => [f.rule, f.file, path.basename(f.file)])).toEqual([
      ['pull-secret-not-in-repository', 'app/pod.yaml', 'pod.yaml'],
    ]);
  });
});
