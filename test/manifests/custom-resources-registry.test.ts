import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_REGISTRY_SETTINGS, scan } from '../../src/scan.js';
import { copyFixture, lineOf, removeDir, scratchDir } from '../render/support.js';

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
});
