import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { summaryMarkdown } from '../../src/report/summary.js';
import { scanOffline } from '../support/run.js';
import { cliJson, copyFixture, lineOf, removeDir, scratchDir } from './support.js';

/**
 * The "done when", through the CLI: a base and two overlays, where prod sets a tag that does
 * not exist, patches the proxy to a tag that does not exist, and carries an `images:` entry matching
 * nothing. Exactly those three are reported, on the lines to edit, and nothing on the base.
 */

const lab = inject('lab');
const host = lab.open.host;
let dir: string;
beforeAll(async () => {
  dir = await scratchDir('kustomize-e2e');
  await copyFixture('kustomize/shop', dir, host);
});
afterAll(() => removeDir(dir));

const PROD = 'overlays/prod/kustomization.yaml';

describe('kustomize overlays against the lab registry', () => {
  it('reports exactly the missing newTag, the patched proxy and the dangling images entry', async () => {
    const { code, stderr, report } = await cliJson(dir, '.');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const seen = report!.findings.map((f) => [f.rule, f.file, f.line, f.column, f.mapping ?? null]);
    expect(seen).toEqual([
      ['tag-not-found', PROD, await lineOf(dir, PROD, 'newTag: 1.0.2'), 13, 'derived'],
      ['kustomize-image-unused', PROD, await lineOf(dir, PROD, `${host}/worker`), 11, null],
      [
        'tag-not-found',
        'overlays/prod/proxy.yaml',
        await lineOf(dir, 'overlays/prod/proxy.yaml', 'image:'),
        18,
        'heuristic',
      ],
    ]);
    expect(report!.findings.some((f) => f.file.startsWith('base/'))).toBe(false);
  });

  it('says in each message which overlay rendered it and which line set the value', async () => {
    const { report } = await cliJson(dir, '.');
    const [newTag, unused, proxy] = report!.findings;
    expect(newTag!.message).toBe(
      `Tag "1.0.2" does not exist in ${host}/app: the pull fails with ErrImagePull "manifest unknown", then ImagePullBackOff. (rendered by overlays/prod; set by ${PROD} newTag)`,
    );
    expect(newTag!.renderedBy).toEqual(['overlays/prod']);
    expect(proxy!.message).toContain('(rendered by overlays/prod; set by patch overlays/prod/proxy.yaml)');
    expect(unused!.message).toBe(
      `images entry "${host}/worker" matches no container image in the build of overlays/prod: kustomize ignores it silently, so its newTag 2.0.0 is never applied.`,
    );
  });

  it('lists the rendered references with where each is set and how that was found', async () => {
    const { report } = await cliJson(dir, '.');
    const images = report!.images.flatMap((image) =>
      image.locations.map((l) => [image.reference, image.status, l.file, l.line, l.mapping, l.renderedBy]),
    );
    expect(images.sort()).toEqual(
      [
        [
          `${host}/app:1.0.0`,
          'available',
          'overlays/staging/kustomization.yaml',
          6,
          'derived',
          ['overlays/staging'],
        ],
        [`${host}/app:1.0.2`, 'not-found', PROD, 8, 'derived', ['overlays/prod']],
        [`${host}/multi:1`, 'available', 'base/deployment.yaml', 17, 'exact', ['overlays/staging']],
        [`${host}/multi:2`, 'not-found', 'overlays/prod/proxy.yaml', 10, 'heuristic', ['overlays/prod']],
      ].sort(),
    );
    expect(report!.rendered).toEqual({ roots: ['overlays/prod', 'overlays/staging'], capped: false });
  });

  it('offline: the same positions, every image unchecked, only the dangling entry reported', async () => {
    const { report } = await cliJson(dir, '--offline', '.');
    expect(report!.findings.map((f) => [f.rule, f.file])).toEqual([['kustomize-image-unused', PROD]]);
    expect(
      report!.images.map((image) => [image.reference, image.status, image.locations[0]!.mapping]).sort(),
    ).toEqual(
      [
        [`${host}/app:1.0.0`, 'unchecked', 'derived'],
        [`${host}/app:1.0.2`, 'unchecked', 'derived'],
        [`${host}/multi:1`, 'unchecked', 'exact'],
        [`${host}/multi:2`, 'unchecked', 'heuristic'],
      ].sort(),
    );
  });

  it('--max-render-roots caps the renders with a warning finding naming what was left out', async () => {
    const { stderr, report } = await cliJson(dir, '--offline', '--max-render-roots', '1', '.');
    expect(report!.rendered).toEqual({ roots: ['overlays/prod'], capped: true });
    expect(stderr).toBe('');
    expect(report!.findings.filter((f) => f.rule === 'render-roots-capped')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        file: 'overlays/staging/kustomization.yaml',
        message: expect.stringContaining(
          '(max-render-roots is 1), so their images were not checked: overlays/staging',
        ),
      }),
    ]);
  });

  it('the job summary lists the rendered roots', async () => {
    const result = await scanOffline(dir);
    const summary = summaryMarkdown(result, { link: () => undefined, scope: 'all files', notes: [] });
    expect(summary).toContain('**Rendered:** `overlays/prod`, `overlays/staging`\n');
  });
});
