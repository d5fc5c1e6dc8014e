import { cp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { splitHelmOutput } from '../../src/render/helm/output.js';
import type { HelmRunner } from '../../src/render/index.js';
import type { ScanOptions } from '../../src/scan.js';
import { scanOffline } from '../support/run.js';
import { NO_HELM, recordingHelm } from './fake-helm.js';
import { lineOf, removeDir, scratchDir, writeTree } from './support.js';

/**
 * Charts rendered by the real `helm template` (tests and .ci/run put helm on PATH), containers traced
 * back to the values key, appVersion or template line that sets them. Offline: no registry is asked.
 */

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir);
});

async function scanChart(
  helm: HelmRunner,
  options: Partial<ScanOptions> = {},
  extra: Record<string, string> = {},
) {
  const dir = await scratchDir('helm');
  dirs.push(dir);
  await cp(path.resolve('test/fixtures/helm/web'), path.join(dir, 'charts/web'), { recursive: true });
  await writeTree(dir, extra);
  const result = await scanOffline(dir, { ...options, render: { helmRunner: helm, ...options.render } });
  const located = result.images.flatMap((image) =>
    image.locations.map((l) => [image.reference, `${l.file}:${l.line}`, l.mapping, l.renderedBy!.join()]),
  );
  return { dir, result, located };
}

const CHART = 'charts/web';

describe('helm template output', () => {
  it('splits on the documented separators, keeping each object’s # Source', () => {
    const output = [
      '---',
      '# Source: web/templates/service.yaml',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: web}',
      '---',
      '# Source: web/charts/db/templates/statefulset.yaml',
      'apiVersion: apps/v1',
      'kind: StatefulSet',
      'metadata: {name: db}',
      '',
    ].join('\n');
    expect(splitHelmOutput(output).map((d) => d.source)).toEqual([
      'web/templates/service.yaml',
      'web/charts/db/templates/statefulset.yaml',
    ]);
  });
});

describe('each container is traced to the values key, appVersion or template line that sets it', () => {
  it('with the chart’s defaults', async () => {
    const { located, dir } = await scanChart(recordingHelm());
    expect(located).toEqual([
      // image.tag is empty, so the tag falls back to appVersion.
      [
        'registry.test/web:1.4.0',
        `${CHART}/Chart.yaml:${await lineOf(dir, `${CHART}/Chart.yaml`, 'appVersion')}`,
        'derived',
        CHART,
      ],
      ['registry.test/proxy:2.0', `${CHART}/values.yaml:6`, 'derived', CHART],
      ['registry.test/metrics:0.9', `${CHART}/templates/deployment.yaml:14`, 'exact', CHART],
    ]);
  });

  it('with helm-values: each values file is its own render, the highest-precedence file wins', async () => {
    const helm = recordingHelm();
    const { located, result } = await scanChart(helm, {
      render: { helmValues: ['values.yaml', 'values-*.yaml'] },
    });
    const prod = `${CHART} (values-prod.yaml)`;
    expect(located).toEqual([
      ['registry.test/web:1.4.0', `${CHART}/Chart.yaml:4`, 'derived', CHART],
      ['registry.test/proxy:2.0', `${CHART}/values.yaml:6`, 'derived', `${CHART},${prod}`],
      ['registry.test/metrics:0.9', `${CHART}/templates/deployment.yaml:14`, 'exact', `${CHART},${prod}`],
      ['registry.test/web:1.5.0', `${CHART}/values-prod.yaml:2`, 'derived', prod],
    ]);
    expect(result.rendered.roots).toEqual([CHART, prod]);
    // One render per values set, plus one confirming the candidate keys with --set-string probes
    // (values sets render in parallel, so in no particular order).
    const calls = helm.calls.map((call) => [
      call.valuesFiles.map((f) => path.basename(f)),
      call.setString.length > 0,
    ]);
    expect(calls).toHaveLength(4);
    expect(calls).toEqual(
      expect.arrayContaining([
        [[], false],
        [[], true],
        [['values-prod.yaml'], false],
        [['values-prod.yaml'], true],
      ]),
    );
  });

  it('with layered values (a.yaml+b.yaml): b overrides a, each key traced to the file that set it', async () => {
    const helm = recordingHelm();
    const { located } = await scanChart(
      helm,
      { render: { helmValues: ['values-prod.yaml+values-canary.yaml'] } },
      { [`${CHART}/values-canary.yaml`]: 'proxy:\n  tag: "2.1"\n' },
    );
    const layered = `${CHART} (values-prod.yaml + values-canary.yaml)`;
    expect(located).toEqual([
      ['registry.test/web:1.5.0', `${CHART}/values-prod.yaml:2`, 'derived', layered],
      ['registry.test/proxy:2.1', `${CHART}/values-canary.yaml:2`, 'derived', layered],
      ['registry.test/metrics:0.9', `${CHART}/templates/deployment.yaml:14`, 'exact', layered],
    ]);
    expect(helm.calls[0]!.valuesFiles.map((file) => path.basename(file))).toEqual([
      'values-prod.yaml',
      'values-canary.yaml',
    ]);
  });

  it('registry/repository:tag | default .Chart.AppVersion: the tag key, else appVersion', async () => {
    const template =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: web\n      image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"\n';
    const { located, dir } = await scanChart(
      recordingHelm(),
      { render: { helmValues: ['values.yaml', 'values-prod.yaml'] } },
      {
        [`${CHART}/values.yaml`]: 'image:\n  registry: registry.test\n  repository: web\n  tag: ""\n',
        [`${CHART}/templates/deployment.yaml`]: template,
      },
    );
    expect(located).toEqual([
      [
        'registry.test/web:1.4.0',
        `${CHART}/Chart.yaml:${await lineOf(dir, `${CHART}/Chart.yaml`, 'appVersion')}`,
        'derived',
        CHART,
      ],
      ['registry.test/web:1.5.0', `${CHART}/values-prod.yaml:2`, 'derived', `${CHART} (values-prod.yaml)`],
    ]);
  });

  it('a tag written as v + appVersion (kube-state-metrics’ helper) maps to appVersion, not the repository key', async () => {
    const template =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: web\n      image: {{ printf "%s/%s:%s" .Values.image.registry .Values.image.repository (default (printf "v%s" .Chart.AppVersion) .Values.image.tag) }}\n';
    const { located, dir } = await scanChart(
      recordingHelm(),
      {},
      {
        [`${CHART}/values.yaml`]: 'image:\n  registry: registry.test\n  repository: web\n  tag: ""\n',
        [`${CHART}/templates/deployment.yaml`]: template,
      },
    );
    expect(located).toEqual([
      [
        'registry.test/web:v1.4.0',
        `${CHART}/Chart.yaml:${await lineOf(dir, `${CHART}/Chart.yaml`, 'appVersion')}`,
        'derived',
        CHART,
      ],
    ]);
  });

  it('a values.schema.json that the probe values break: the probe render skips it, the plain one does not', async () => {
    const schema = {
      type: 'object',
      properties: {
        image: { type: 'object', properties: { tag: { type: 'string', pattern: '^[0-9.]*$' } } },
      },
    };
    const { located, result } = await scanChart(
      recordingHelm(),
      { render: { helmValues: ['values-prod.yaml'] } },
      { [`${CHART}/values.schema.json`]: JSON.stringify(schema) },
    );
    expect(located[0]).toEqual([
      'registry.test/web:1.5.0',
      `${CHART}/values-prod.yaml:2`,
      'derived',
      `${CHART} (values-prod.yaml)`,
    ]);
    const broken = await scanChart(
      recordingHelm(),
      {},
      {
        [`${CHART}/values.schema.json`]: JSON.stringify(schema),
        [`${CHART}/values.yaml`]: 'image:\n  repository: registry.test/web\n  tag: latest\n',
      },
    );
    expect(broken.result.findings.map((f) => [f.rule, f.file])).toEqual([
      ['helm-render-error', `${CHART}/Chart.yaml`],
    ]);
    expect(result.findings).toEqual([]);
  });

  it('a key is chosen only when setting it really changes the image', async () => {
    const { located } = await scanChart(
      recordingHelm(),
      {},
      {
        // Both keys hold the rendered tag; only image.tag is read while it is set.
        [`${CHART}/values.yaml`]:
          'image:\n  repository: registry.test/web\n  tag: "3.1"\nlegacyTag: "3.1"\nproxy: {image: registry.test/proxy, tag: "2.0"}\n',
        [`${CHART}/templates/deployment.yaml`]:
          'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: web\n      image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Values.legacyTag }}"\n',
      },
    );
    expect(located).toEqual([['registry.test/web:3.1', `${CHART}/values.yaml:3`, 'derived', CHART]]);
  });

  it('findings say which values set rendered them and which key set the image', async () => {
    const { result } = await scanChart(
      recordingHelm(),
      {},
      {
        [`${CHART}/values.yaml`]:
          'image: {repository: registry.test/web, tag: latest}\nproxy: {image: registry.test/proxy, tag: "2.0"}\n',
      },
    );
    expect(result.findings.map((f) => [f.rule, f.file, f.line, f.message.replace(/^.*\(/, '(')])).toEqual([
      [
        'mutable-tag',
        `${CHART}/values.yaml`,
        1,
        `(rendered by ${CHART}; set by ${CHART}/values.yaml image.tag)`,
      ],
    ]);
  });
});

describe('charts that are not rendered', () => {
  it('without helm: one notice per chart, and its templates are not scanned raw', async () => {
    const { result } = await scanChart(NO_HELM, { render: { helmValues: ['values*.yaml'] } });
    expect(result.findings.map((f) => [f.rule, f.severity, f.file, f.line, f.message])).toEqual([
      [
        'render-tool-missing',
        'notice',
        `${CHART}/Chart.yaml`,
        2,
        `${CHART} was not rendered and its images were not checked: helm is not installed. Install it before this step (for example with azure/setup-helm) to check the chart.`,
      ],
    ]);
    expect(result.images).toEqual([]);
  });

  it('without helm, charts take nothing from max-render-roots: a kustomization still renders', async () => {
    const { result } = await scanChart(
      NO_HELM,
      { render: { maxRoots: 1, helmValues: ['values*.yaml'] } },
      {
        'deploy/kustomization.yaml': 'resources: [pod.yaml]\n',
        'deploy/pod.yaml':
          'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: app\n      image: registry.test/app:1.0.0\n',
      },
    );
    expect(result.rendered).toEqual({ roots: ['deploy'], capped: false });
    expect(result.findings.map((f) => f.rule)).toEqual(['render-tool-missing']);
  });

  it('a template outside any chart still gets the not-rendered notice', async () => {
    const { result } = await scanChart(
      NO_HELM,
      {},
      { 'loose/templates/pod.yaml': 'image: {{ .Values.image }}\n' },
    );
    expect(result.findings.map((f) => [f.rule, f.file])).toEqual([
      ['render-tool-missing', `${CHART}/Chart.yaml`],
      ['template-not-rendered', 'loose/templates/pod.yaml'],
    ]);
  });

  it('a render error is an error on the chart, in helm’s words', async () => {
    const { result } = await scanChart(
      recordingHelm(),
      {},
      {
        [`${CHART}/templates/fail.yaml`]: '{{ fail "image.tag is required" }}\n',
      },
    );
    expect(result.findings.map((f) => [f.rule, f.severity, f.file, f.message])).toEqual([
      [
        'helm-render-error',
        'error',
        `${CHART}/Chart.yaml`,
        `helm template ${CHART} fails: execution error at (web/templates/fail.yaml:1:3): image.tag is required`,
      ],
    ]);
  });
});

describe('subcharts', () => {
  const db = {
    [`${CHART}/charts/db/Chart.yaml`]: 'apiVersion: v2\nname: db\nversion: 1.0.0\n',
    [`${CHART}/charts/db/values.yaml`]: 'image:\n  tag: "15"\n',
    [`${CHART}/charts/db/templates/db.yaml`]:
      'apiVersion: v1\nkind: Pod\nmetadata: {name: db}\nspec:\n  containers:\n    - name: db\n      image: "postgres:{{ .Values.image.tag }}"\n',
  };
  const dbImage = (located: unknown[][]) => located.filter(([image]) => String(image).startsWith('postgres'));

  it.each<[string, Record<string, string>, string, string]>([
    ['its own default', {}, 'postgres:15', `${CHART}/charts/db/values.yaml:2`],
    [
      'the parent’s values under the subchart’s name',
      { [`${CHART}/values-prod.yaml`]: 'image:\n  tag: 1.5.0\ndb:\n  image:\n    tag: "16"\n' },
      'postgres:16',
      `${CHART}/values-prod.yaml:5`,
    ],
  ])('a subchart’s image is traced to %s', async (_name, extra, image, at) => {
    const helm = recordingHelm();
    const { located } = await scanChart(
      helm,
      { render: { helmValues: ['values-prod.yaml'] } },
      { ...db, ...extra },
    );
    expect(dbImage(located)).toEqual([[image, at, 'derived', `${CHART} (values-prod.yaml)`]]);
    expect(helm.calls[1]!.setString.map(([key]) => key)).toContain('db.image.tag');
  });
});
