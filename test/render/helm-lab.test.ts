import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_REGISTRY_SETTINGS, scan, type ScanOptions } from '../../src/scan.js';
import { recordingHelm } from './fake-helm.js';
import { cliJson, copyFixture, lineOf, removeDir, scratchDir, writeTree } from './support.js';

/**
 * The real helm against the registry lab: a chart shaped like a bitnami chart whose `common` library
 * is an OCI dependency pushed with `helm push`, and a plain chart with a `file://` subchart. Each
 * finding is on the line a person edits: a values file's key, Chart.yaml's appVersion or dependency.
 */

const execFileAsync = promisify(execFile);
const lab = inject('lab');
const host = lab.open.host;
const dirs: string[] = [];

beforeAll(async () => {
  // bitnami's charts take `common` from an OCI registry; here the lab's, pushed by helm itself. The
  // worker chart too, for a dependency whose own templates render a container.
  const work = await scratchDir('helm-push');
  dirs.push(work);
  for (const [chart, version] of [
    ['common', '2.31.0'],
    ['worker', '0.1.0'],
  ] as const) {
    await copyFixture(`helm/lab/${chart}`, path.join(work, chart), host);
    await execFileAsync('helm', ['package', path.join(work, chart), '-d', work]);
    const archive = path.join(work, `${chart}-${version}.tgz`);
    await execFileAsync('helm', ['push', archive, `oci://${host}/charts`, '--plain-http']);
  }
});
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir);
});

/** Copies the named lab charts under `charts/`, writes `extra`, and scans against the lab registries. */
async function scanCharts(
  charts: string[],
  render: Partial<NonNullable<ScanOptions['render']>>,
  extra: Record<string, string> = {},
) {
  const dir = await scratchDir('helm-lab');
  dirs.push(dir);
  for (const chart of charts) await copyFixture(`helm/lab/${chart}`, path.join(dir, 'charts', chart), host);
  await writeTree(dir, extra);
  const helm = recordingHelm();
  const result = await scan({
    cwd: dir,
    paths: ['.'],
    defaultNamespace: 'default',
    maxFileSize: 1e6,
    offline: false,
    registry: DEFAULT_REGISTRY_SETTINGS,
    render: { helmRunner: helm, ...render },
  });
  const findings = result.findings.map((f) => [f.rule, f.file, f.line]);
  const line = (file: string, text: string) => lineOf(dir, file, text);
  return { dir, result, findings, helm, line };
}

const NGINX = 'charts/nginx';
const SHOP = 'charts/shop';

describe('a bitnami-shaped chart with its common library as an OCI dependency', () => {
  it('with helm-dependencies: built in a copy, and a missing tag in values-prod.yaml is an error on its tag line', async () => {
    const { findings, line, result, helm, dir } = await scanCharts(['nginx'], {
      helmDependencies: true,
      helmValues: ['values-prod.yaml'],
    });
    expect(findings).toEqual([
      ['tag-not-found', `${NGINX}/values-prod.yaml`, await line(`${NGINX}/values-prod.yaml`, 'tag:')],
    ]);
    expect(result.findings[0]!.message).toContain(
      `(rendered by ${NGINX} (values-prod.yaml); set by ${NGINX}/values-prod.yaml image.tag)`,
    );
    expect(helm.builds.map((build) => build.network)).toEqual([true]);
    // The user's chart is left as it was: no charts/ directory, no Chart.lock.
    expect((await readdir(path.join(dir, NGINX))).sort()).toEqual([
      'Chart.yaml',
      'templates',
      'values-prod.yaml',
      'values.yaml',
    ]);
  });

  it('through the CLI: --helm-dependencies, as the action’s helm-dependencies: true', async () => {
    const { dir } = await scanCharts(['nginx'], { helmValues: [] });
    const file = `${NGINX}/values-prod.yaml`;
    const on = await cliJson(dir, '--helm-dependencies', '--helm-values', 'values-prod.yaml', '.');
    expect(on.report!.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ['tag-not-found', file, await lineOf(dir, file, 'tag:')],
    ]);
    const off = await cliJson(dir, '--helm-values', 'values-prod.yaml', '.');
    expect(off.report!.findings.map((f) => f.rule)).toEqual(['helm-dependencies-missing']);
  });

  it('a missing tag in values.yaml that values-prod.yaml overrides to one that exists: no error', async () => {
    const { findings, result } = await scanCharts(
      ['nginx'],
      { helmDependencies: true, helmValues: ['values-prod.yaml'] },
      {
        [`${NGINX}/values.yaml`]: (await fixture('nginx/values.yaml')).replace('tag: 1.0.0', 'tag: 1.0.2'),
        [`${NGINX}/values-prod.yaml`]: 'image:\n  tag: 1.1.0\n',
      },
    );
    expect(findings).toEqual([]);
    expect(result.images.map((image) => [image.reference, image.status])).toEqual([
      [`${host}/app:1.1.0`, 'available'],
    ]);
  });

  it('without helm-dependencies: one finding naming the dependency and the setting, and nothing rendered', async () => {
    const { result, helm, line } = await scanCharts(['nginx'], {
      helmValues: ['values.yaml', 'values-prod.yaml'],
    });
    expect(result.findings.map((f) => [f.rule, f.severity, f.file, f.line, f.message])).toEqual([
      [
        'helm-dependencies-missing',
        'warning',
        `${NGINX}/Chart.yaml`,
        await line(`${NGINX}/Chart.yaml`, 'name: common'),
        `${NGINX} was not rendered and its images were not checked: its dependency common (oci://${host}/charts) is not in ${NGINX}/charts. Set helm-dependencies: true (CLI --helm-dependencies) to let the check run helm dependency build, or vendor it there.`,
      ],
    ]);
    expect(helm.builds).toEqual([]);
    expect(helm.calls).toEqual([]);
    // Not rendered, so not counted against max-render-roots.
    expect(result.rendered).toEqual({ roots: [], capped: false });
  });

  it('no tag: bitnami’s helper falls back to appVersion, and a missing one is an error on that line', async () => {
    const chart = `${NGINX}/Chart.yaml`;
    const { findings, line } = await scanCharts(
      ['nginx'],
      { helmDependencies: true },
      {
        [chart]: (await fixture('nginx/Chart.yaml')).replace('appVersion: 1.0.0', 'appVersion: 1.0.3'),
        [`${NGINX}/values.yaml`]: (await fixture('nginx/values.yaml')).replace('tag: 1.0.0', 'tag: ""'),
      },
    );
    expect(findings).toEqual([['tag-not-found', chart, await line(chart, 'appVersion')]]);
  });

  it.each<[string, string, string, string]>([
    // global.imageRegistry wins over image.registry, as in bitnami's common.images.image.
    [
      'global.imageRegistry',
      'global:\n  imageRegistry: REG\nimage:\n  registry: elsewhere.test\n',
      'available',
      'REG/app:1.0.0',
    ],
    [
      'image.digest',
      'image:\n  digest: sha256:' + '0'.repeat(64) + '\n',
      'not-found',
      `REG/app@sha256:${'0'.repeat(64)}`,
    ],
  ])('%s from a values file selects the image', async (_name, values, status, reference) => {
    const { result, findings, line } = await scanCharts(
      ['nginx'],
      { helmDependencies: true, helmValues: ['values-lab.yaml'] },
      { [`${NGINX}/values-lab.yaml`]: values.split('REG').join(host) },
    );
    expect(result.images.map((image) => [image.reference, image.status])).toEqual([
      [reference.split('REG').join(host), status],
    ]);
    if (status === 'not-found')
      expect(findings).toEqual([
        ['digest-not-found', `${NGINX}/values-lab.yaml`, await line(`${NGINX}/values-lab.yaml`, 'digest:')],
      ]);
    else expect(findings).toEqual([]);
  });

  it('imagePullSecrets from values are the rendered pod’s pull secrets, as the kubelet sees them', async () => {
    const file = `${NGINX}/values-private.yaml`;
    const values = `image:\n  registry: ${lab.basic.host}\n  repository: private/app\n  tag: "2.0"\n  pullSecrets:\n    - basic-pull\n`;
    const { alice } = lab.basic.users;
    const config = { auths: { [lab.basic.host]: { auth: btoa(`${alice.username}:${alice.password}`) } } };
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: basic-pull, namespace: default}\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${btoa(JSON.stringify(config))}\n`;
    const render = { helmDependencies: true, helmValues: ['values-private.yaml'] };

    const withSecret = await scanCharts(['nginx'], render, {
      [file]: values,
      'k8s/pull-secret.yaml': secret,
    });
    expect(withSecret.findings).toEqual([]);
    expect(withSecret.result.images.map((image) => [image.reference, image.status])).toEqual([
      [`${lab.basic.host}/private/app:2.0`, 'available'],
    ]);

    const inCluster = await scanCharts(['nginx'], render, { [file]: values });
    expect(inCluster.findings).toEqual([
      ['pull-secret-not-in-repository', file, await inCluster.line(file, 'tag:')],
    ]);
    expect(inCluster.result.findings[0]!.message).toContain(
      'Pull secret "basic-pull" is not in this repository',
    );

    const without = await scanCharts(['nginx'], render, {
      [file]: values.replace(/ {2}pullSecrets:[\s\S]*$/, ''),
    });
    expect(without.findings).toEqual([['credentials-required', file, await without.line(file, 'tag:')]]);
  });
});

describe('a dependency fetched from OCI that renders a container itself', () => {
  const fetched = async (values: string) => ({
    [`${SHOP}/Chart.yaml`]: (await fixture('shop/Chart.yaml')).replace(
      'file://../worker',
      `oci://${host}/charts`,
    ),
    [`${SHOP}/values.yaml`]: values,
  });

  it('its image set by the parent’s values: the parent’s line', async () => {
    const values = (await fixture('shop/values.yaml')).replace('tag: 1.1.0', 'tag: 1.0.2');
    const { findings, line } = await scanCharts(['shop'], { helmDependencies: true }, await fetched(values));
    const file = `${SHOP}/values.yaml`;
    expect(findings).toEqual([['tag-not-found', file, await line(file, 'tag: 1.0.2')]]);
  });

  it('its image as the dependency writes it: its entry in Chart.yaml, never a fetched file', async () => {
    const values = (await fixture('shop/values.yaml')).replace(/worker:[\s\S]*$/, '');
    const { result, line } = await scanCharts(['shop'], { helmDependencies: true }, await fetched(values));
    const worker = result.images.find((image) => image.locations[0]!.container === 'worker')!;
    expect(worker.locations.map((l) => [l.file, l.line, l.mapping])).toEqual([
      [`${SHOP}/Chart.yaml`, await line(`${SHOP}/Chart.yaml`, 'name: worker'), 'root'],
    ]);
    expect(JSON.stringify(result)).not.toContain('imagepull-preflight-chart-');
  });
});

describe('dependency builds a pull request cannot turn against the runner', () => {
  it('a file:// dependency outside the repository is not read', async () => {
    const outside = await scratchDir('helm-outside');
    dirs.push(outside);
    await copyFixture('helm/lab/worker', path.join(outside, 'worker'), host);
    const chart = `${SHOP}/Chart.yaml`;
    const { result, line, helm } = await scanCharts(
      ['shop'],
      {},
      {
        [chart]: (await fixture('shop/Chart.yaml')).replace('file://../worker', `file://${outside}/worker`),
      },
    );
    expect(result.findings.map((f) => [f.rule, f.file, f.line, f.message])).toEqual([
      [
        'helm-render-error',
        chart,
        await line(chart, 'name: worker'),
        `${SHOP} was not rendered and its images were not checked: the file:// dependency worker (file://${outside}/worker) is outside the repository, so it is not read.`,
      ],
    ]);
    expect(helm.builds).toEqual([]);
  });

  it('a symbolic link out of the repository inside the chart: the chart is not rendered', async () => {
    const { dir } = await scanCharts(['shop', 'worker'], {});
    await symlink('/etc/hostname', path.join(dir, SHOP, 'templates/leak.yaml'));
    const helm = recordingHelm();
    const result = await scan({
      cwd: dir,
      paths: ['.'],
      defaultNamespace: 'default',
      maxFileSize: 1e6,
      offline: true,
      registry: DEFAULT_REGISTRY_SETTINGS,
      render: { helmRunner: helm },
    });
    expect(result.findings.map((f) => [f.rule, f.file, f.message])).toEqual([
      [
        'helm-render-error',
        `${SHOP}/Chart.yaml`,
        `${SHOP} was not rendered and its images were not checked: ${SHOP}/templates/leak.yaml is a symbolic link to outside the repository, which helm would read into the chart.`,
      ],
    ]);
    expect(helm.calls.map((call) => path.basename(call.chartDir))).toEqual(['worker', 'worker']);
  });

  it('a values file that links out of the repository is not given to helm', async () => {
    const { dir } = await scanCharts(['shop', 'worker'], {});
    await mkdir(path.join(dir, 'env'));
    await symlink('/etc/hostname', path.join(dir, 'env/prod.yaml'));
    const result = await scan({
      cwd: dir,
      paths: ['.'],
      defaultNamespace: 'default',
      maxFileSize: 1e6,
      offline: true,
      registry: DEFAULT_REGISTRY_SETTINGS,
      render: { helmValues: ['../../env/prod.yaml'] },
    });
    const shop = result.findings.filter((f) => f.file.startsWith(SHOP));
    expect(shop.map((f) => [f.rule, f.file, f.message])).toEqual([
      [
        'helm-render-error',
        `${SHOP}/Chart.yaml`,
        `${SHOP} (../../env/prod.yaml) was not rendered and its images were not checked: env/prod.yaml links to outside the repository, which helm would read.`,
      ],
    ]);
    expect(result.rendered.roots).toEqual([]);
  });

  // The scan injects the registry's guard (link-local and metadata addresses); loopback stands in here.
  it.each([
    ['an address the guard refuses', '127.0.0.2', '127.0.0.2', 'is 127.0.0.2'],
    ['a name that resolves to one', 'localhost', '127.0.0.1', 'is localhost, which resolves to 127.0.0.1'],
  ])('a repository at %s is not fetched', async (_name, repositoryHost, refused, says) => {
    const chart = `${NGINX}/Chart.yaml`;
    const { result, line, helm } = await scanCharts(
      ['nginx'],
      { helmDependencies: true, helmMayNotFetch: (address) => address === refused },
      {
        [chart]: (await fixture('nginx/Chart.yaml')).replace(
          `oci://${host}/charts`,
          `oci://${repositoryHost}:1/charts`,
        ),
      },
    );
    expect(result.findings.map((f) => [f.rule, f.file, f.line, f.message])).toEqual([
      [
        'helm-render-error',
        chart,
        await line(chart, 'name: common'),
        `${NGINX} was not rendered and its images were not checked: the repository of common (oci://${repositoryHost}:1/charts) ${says}, a link-local/metadata address, so it is not fetched.`,
      ],
    ]);
    expect(helm.builds).toEqual([]);
  });
});

describe('dependencies in requirements.yaml (apiVersion v1)', () => {
  const legacy = (version: string) => ({
    'charts/legacy/Chart.yaml': 'apiVersion: v1\nname: legacy\nversion: 1.0.0\n',
    'charts/legacy/requirements.yaml': `dependencies:\n  - name: common\n    version: ${version}\n    repository: oci://${host}/charts\n`,
    'charts/legacy/templates/pod.yaml': `apiVersion: v1\nkind: Pod\nmetadata: {name: legacy}\nspec:\n  containers:\n    - name: app\n      image: ${host}/app:1.0.0\n`,
  });
  const file = 'charts/legacy/requirements.yaml';

  it('are found there: without helm-dependencies, the finding is on that file', async () => {
    const { findings, line } = await scanCharts([], {}, legacy('2.x.x'));
    expect(findings).toEqual([['helm-dependencies-missing', file, await line(file, 'name: common')]]);
  });

  it('with helm-dependencies, a version that does not exist: helm’s error, naming the chart as written', async () => {
    const { result, line, helm } = await scanCharts([], { helmDependencies: true }, legacy('9.9.9'));
    expect(result.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ['helm-render-error', file, await line(file, 'name: common')],
    ]);
    const message = result.findings[0]!.message;
    expect(message).toMatch(/^helm dependency build charts\/legacy fails: /);
    expect(message).toContain('9.9.9');
    expect(message).not.toContain(helm.builds[0]!.chartDir);
    expect(message).not.toContain('imagepull-preflight-chart-');
  });
});

describe('a plain chart with a file:// subchart', () => {
  it('an appVersion fallback that does not exist is an error on Chart.yaml’s appVersion line', async () => {
    const { findings, line, helm } = await scanCharts(
      ['shop', 'worker'],
      {},
      {
        [`${SHOP}/Chart.yaml`]: (await fixture('shop/Chart.yaml')).replace('"1.0.1"', '"1.0.9"'),
      },
    );
    expect(findings).toEqual([
      ['tag-not-found', `${SHOP}/Chart.yaml`, await line(`${SHOP}/Chart.yaml`, 'appVersion')],
    ]);
    // file:// dependencies are built without the network, and without helm-dependencies.
    expect(helm.builds.map((build) => build.network)).toEqual([false]);
  });

  it('a subchart image whose tag the parent sets: the finding is on the parent’s line', async () => {
    const { findings, line, result } = await scanCharts(
      ['shop', 'worker'],
      {},
      {
        [`${SHOP}/values.yaml`]: (await fixture('shop/values.yaml')).replace('tag: 1.1.0', 'tag: 1.0.2'),
      },
    );
    const file = `${SHOP}/values.yaml`;
    expect(findings).toEqual([['tag-not-found', file, await line(file, 'tag: 1.0.2')]]);
    expect(result.findings[0]!.message).toContain(`set by ${file} worker.image.tag`);
  });

  it('scan: changed re-renders the parent when only its file:// subchart changed', async () => {
    const { dir } = await scanCharts(['shop', 'worker'], {});
    const roots = async (changedFiles: string[]) =>
      (
        await scan({
          cwd: dir,
          paths: ['.'],
          defaultNamespace: 'default',
          maxFileSize: 1e6,
          offline: true,
          registry: DEFAULT_REGISTRY_SETTINGS,
          changedFiles,
        })
      ).rendered.roots;
    expect(await roots(['charts/worker/values.yaml'])).toEqual([SHOP, 'charts/worker']);
    expect(await roots([`${SHOP}/values.yaml`])).toEqual([SHOP]);
  });

  it('tag: 1.20 is rendered 1.2: a warning on the values line, besides the tag that does not exist', async () => {
    const { result, line } = await scanCharts(
      ['shop', 'worker'],
      { helmValues: ['values-float.yaml'] },
      {
        [`${SHOP}/values-float.yaml`]: 'image:\n  tag: 1.20\n',
      },
    );
    const file = `${SHOP}/values-float.yaml`;
    const at = await line(file, 'tag:');
    expect(result.findings.map((f) => [f.rule, f.severity, f.file, f.line])).toEqual([
      ['helm-values-number', 'warning', file, at],
      ['tag-not-found', 'error', file, at],
    ]);
    expect(result.findings[0]!.message).toBe(
      `image.tag is written 1.20, an unquoted number to YAML, so helm renders it as 1.2: the image is ${host}/app:1.2. Quote it (tag: "1.20") to keep the text as written.`,
    );
  });

  it('appVersion: 1.20 in Chart.yaml renders 1.2 too: the warning is on that line', async () => {
    const chart = `${SHOP}/Chart.yaml`;
    const { result, line } = await scanCharts(
      ['shop', 'worker'],
      {},
      {
        [chart]: (await fixture('shop/Chart.yaml')).replace('"1.0.1"', '1.20'),
      },
    );
    const at = await line(chart, 'appVersion');
    expect(result.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ['helm-values-number', chart, at],
      ['tag-not-found', chart, at],
    ]);
    expect(result.findings[0]!.message).toBe(
      `appVersion is written 1.20, an unquoted number to YAML, so helm renders it as 1.2: the image is ${host}/app:1.2. Quote it (appVersion: "1.20") to keep the text as written.`,
    );
  });

  it('a quoted "1.20", or a number that renders as written, is no warning', async () => {
    const { result } = await scanCharts(
      ['shop', 'worker'],
      { helmValues: ['values-float.yaml'] },
      {
        [`${SHOP}/values-float.yaml`]: 'image:\n  tag: "1.20"\nworker:\n  image:\n    tag: 1.5\n',
      },
    );
    expect(result.findings.map((f) => f.rule)).toEqual(['tag-not-found', 'tag-not-found']);
  });
});

function fixture(file: string): Promise<string> {
  return readFile(path.resolve('test/fixtures/helm/lab', file), 'utf8').then((text) =>
    text.split('LAB_REGISTRY').join(host),
  );
}
