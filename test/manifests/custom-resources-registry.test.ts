import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_REGISTRY_SETTINGS, scan } from '../../src/scan.js';
import { cliJson, copyFixture, lineOf, removeDir, scratchDir, writeTree } from '../render/support.js';

/** Custom resources' images checked against the lab registry, each finding on the image's line. */

const lab = inject('lab');
const host = lab.open.host;
let dir: string;
beforeAll(async () => {
  dir = await scratchDir('custom-resources');
  await copyFixture('custom-resources', dir, host);
});
afterAll(() => removeDir(dir));

const run = (imagePaths?: Array<{ kind: string; path: string }>) =>
  scan({
    cwd: dir,
    paths: ['.'],
    defaultNamespace: 'default',
    maxFileSize: 1e6,
    offline: false,
    registry: DEFAULT_REGISTRY_SETTINGS,
    ...(imagePaths ? { imagePaths } : {}),
  });

describe('custom resources against the lab registry', () => {
  it('a Tekton step and an Argo Workflows template image with missing tags are errors on their lines', async () => {
    const result = await run();
    const errors = result.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => [f.rule, f.file, f.line, f.container])).toEqual([
      [
        'tag-not-found',
        'argo-workflow.yaml',
        await lineOf(dir, 'argo-workflow.yaml', 'app:0.0.1-missing'),
        'print-message',
      ],
      ['tag-not-found', 'tekton-task.yaml', await lineOf(dir, 'tekton-task.yaml', 'app:9.9.9'), 'test'],
    ]);
    const statuses = result.images.map((image) => [image.reference.replace(host, 'lab'), image.status]);
    expect(statuses.sort()).toEqual(
      [
        ['lab/app:0.0.1-missing', 'not-found'],
        ['lab/app:1.0.0', 'available'],
        ['lab/app:1.0.1', 'available'],
        ['lab/app:1.1.0', 'available'],
        ['lab/app:9.9.9', 'not-found'],
      ].sort(),
    );
  });

  it('an imagePaths entry makes an unknown custom resource’s image checked', async () => {
    const result = await run([{ kind: 'Runner', path: 'spec/template/image' }]);
    const runner = result.findings.filter((f) => f.file === 'runner.yaml');
    expect(runner.map((f) => [f.rule, f.line, f.image])).toEqual([
      ['tag-not-found', await lineOf(dir, 'runner.yaml', 'image:'), `${host}/app:2.0.0-missing`],
    ]);
  });

  it('a config-file imagePaths entry makes the image checked, raw and in a kustomize build', async () => {
    await writeTree(dir, {
      '.imagepull-preflight.yaml':
        'imagePaths:\n  - group: ci.example.com\n    kind: Runner\n    path: spec/template/image\n',
      'overlay/kustomization.yaml': 'resources: [runner.yaml]\nnamePrefix: prod-\n',
      'overlay/runner.yaml': `apiVersion: ci.example.com/v1\nkind: Runner\nmetadata: {name: built}\nspec:\n  template:\n    image: ${host}/app:3.0.0-missing\n`,
    });
    try {
      const { stderr, report } = await cliJson(dir, '.');
      expect(stderr).toBe('');
      const found = report!.findings.filter((f) => f.file === 'runner.yaml' || f.file.startsWith('overlay/'));
      expect(found.map((f) => [f.rule, f.file, f.line, f.image, f.resource?.name])).toEqual([
        ['tag-not-found', 'overlay/runner.yaml', 6, `${host}/app:3.0.0-missing`, 'prod-built'],
        [
          'tag-not-found',
          'runner.yaml',
          await lineOf(dir, 'runner.yaml', 'image:'),
          `${host}/app:2.0.0-missing`,
          'runner',
        ],
      ]);
    } finally {
      await removeDir(`${dir}/overlay`);
      await removeDir(`${dir}/.imagepull-preflight.yaml`);
    }
  });
});
