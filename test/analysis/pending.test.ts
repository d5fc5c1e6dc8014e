import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { readInputs } from '../../src/action.js';
import { scan } from '../../src/scan.js';
import { pushImage } from '../harness/push.js';
import { runCliIn } from '../support/run.js';

/**
 * Images this workflow publishes, against the real lab registries: pending ones are a notice until
 * pushed, and a bounded wait sees them appear (the test pushes them mid-run).
 */

const lab = inject('lab');
const open = lab.open.host;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'preflight-pending-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Report {
  findings: Array<{ rule: string; severity: string; line: number; message: string; fix: string }>;
  images: Array<{ reference: string; status: string }>;
}

/** A fresh repository per case, so a push in one never answers another. */
const fresh = (label: string) => `pending/${label}-${randomBytes(4).toString('hex')}`;

let cases = 0;
async function manifest(image: string, extra = ''): Promise<string> {
  const file = `pod-${++cases}.yaml`;
  await writeFile(
    path.join(dir, file),
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: apps}\nspec:\n${extra}  containers:\n    - name: c\n      image: ${image}\n`,
  );
  return file;
}

async function cli(args: string[], options: Parameters<typeof runCliIn>[2] = {}) {
  const started = performance.now();
  const run = await runCliIn(dir, ['--format', 'json', '--timeout', '5', ...args], options);
  const seconds = (performance.now() - started) / 1000;
  const report = run.stdout ? (JSON.parse(run.stdout) as Report) : undefined;
  return { ...run, seconds, report, rules: report?.findings.map((f) => f.rule) ?? [] };
}

describe('pending images', () => {
  it('a pending tag that does not exist yet is the notice image-pending on its image: line, exit 0', async () => {
    const repo = fresh('notice');
    const file = await manifest(`${open}/${repo}:2.1.0`);
    const run = await cli(['--pending-image', `${open}/${repo}:*`, file]);
    expect(run.code).toBe(0);
    expect(run.report!.findings).toEqual([
      expect.objectContaining({
        rule: 'image-pending',
        severity: 'notice',
        line: 7,
        message: `${open}/${repo}:2.1.0 does not exist yet; it will be published by this workflow (pending image ${open}/${repo}:*), so it was not verified.`,
      }),
    ]);
    expect(run.report!.images[0]!.status).toBe('pending');
  });

  it('accepts docker/metadata-action tags verbatim, and checks a pending image that exists as usual', async () => {
    const file = await manifest(`${open}/app:1.0.0`);
    const tags = [`${open}/app:1.0.0`, `${open}/app:latest`, `${open}/app:sha-0123abc`].join('\n');
    const run = await cli(['--pending-image', tags, '--pending-image', 'docker.io/acme/other:1', file]);
    expect(run.code).toBe(0);
    expect(run.rules).toEqual([]);
    expect(run.report!.images[0]!.status).toBe('available');
  });

  it('a pending image whose repository needs credentials the pod lacks is still an error', async () => {
    for (const host of [lab.basic.host, lab.token.host]) {
      const image = `${host}/${fresh('private')}:1`;
      const file = await manifest(image);
      const run = await cli(['--pending-image', image, file]);
      expect(run.code, host).toBe(1);
      expect(run.rules, host).not.toContain('image-pending');
      expect(
        run.report!.findings.some((f) => f.severity === 'error'),
        host,
      ).toBe(true);
      expect(run.report!.images[0]!.status, host).toBe('unauthorized');
    }
  });

  it('the CLI ignores DOCKER_METADATA_OUTPUT_TAGS unless --pending-from-env; the action reads it', async () => {
    const image = `${open}/${fresh('env')}:3.0.0`;
    const file = await manifest(image);
    const env = { DOCKER_METADATA_OUTPUT_TAGS: `${image}\n${open}/other:3.0.0\n` };
    expect((await cli([file], { env })).rules).toEqual(['repository-not-found']);
    expect((await cli(['--pending-from-env', file], { env })).rules).toEqual(['image-pending']);

    const settings = await readInputs({ ...env, GITHUB_WORKSPACE: dir });
    const result = await scan({ ...settings.scan, paths: [file] });
    expect(result.findings.map((f) => f.rule)).toEqual(['image-pending']);
  });
});

describe('waiting for images', () => {
  it('ends as soon as a tag pushed 4 s into a --wait 30s run appears, with status available', async () => {
    const repo = fresh('pushed');
    const file = await manifest(`${open}/${repo}:2.1.0`);
    const push = new Promise<void>((resolve, reject) =>
      setTimeout(() => pushImage(lab.open, undefined, repo, '2.1.0').then(() => resolve(), reject), 4_000),
    );
    const run = await cli(['--pending-image', `${open}/${repo}:2.1.0`, '--wait', '30s', file], {
      progress: true,
    });
    await push;
    expect(run.code).toBe(0);
    expect(run.rules).toEqual([]);
    expect(run.report!.images[0]!.status).toBe('available');
    expect(run.seconds).toBeGreaterThan(4);
    expect(run.seconds).toBeLessThan(15);
    expect(run.stderr).toMatch(new RegExp(`waiting for 1 image: ${open}/${repo}:2\\.1\\.0; (29|30)s left`));
  }, 45_000);

  it('a --wait 3s run whose image never appears ends near 3 s with the error it would have had', async () => {
    const file = await manifest(`${open}/app:9.9.9`);
    const run = await cli(['--pending-image', `${open}/app:9.9.9`, '--wait', '3s', file]);
    expect(run.code).toBe(1);
    expect(run.seconds).toBeGreaterThan(2.9);
    expect(run.seconds).toBeLessThan(6);
    expect(run.report!.findings).toEqual([
      expect.objectContaining({
        rule: 'tag-not-found',
        severity: 'error',
        message: `Tag "9.9.9" does not exist in ${open}/app: the pull fails with ErrImagePull "manifest unknown", then ImagePullBackOff. (waited 3s)`,
        // The tag list, read after the deadline, still gives suggestions.
        fix: expect.stringContaining('Use an existing tag:'),
      }),
    ]);
    expect(run.stderr).toBe(''); // not a terminal: no progress lines
  });

  it('waits only for pending images unless --wait-for all', async () => {
    const repo = fresh('all');
    const file = await manifest(`${open}/${repo}:1`);
    const notAwaited = await cli(['--wait', '30s', file]);
    expect(notAwaited.seconds).toBeLessThan(3);
    expect(notAwaited.rules).toEqual(['repository-not-found']);

    setTimeout(() => void pushImage(lab.open, undefined, repo, '1'), 1_500);
    const awaited = await cli(['--wait', '30s', '--wait-for', 'all', file]);
    expect(awaited.code).toBe(0);
    expect(awaited.report!.images[0]!.status).toBe('available');
    expect(awaited.seconds).toBeLessThan(12);
  }, 45_000);
});

describe('the action waiting', () => {
  it('logs the progress with core.info, and ends with the error it would have had', async () => {
    const image = `${open}/app:8.8.8`;
    const file = await manifest(image);
    const inputs = { 'INPUT_PENDING-IMAGES': image, 'INPUT_WAIT-FOR-IMAGES': '2s' };
    Object.assign(process.env, inputs);
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    let result;
    try {
      const settings = await readInputs({ GITHUB_WORKSPACE: dir });
      result = await scan({ ...settings.scan, paths: [file] });
    } finally {
      write.mockRestore();
      for (const name of Object.keys(inputs)) delete process.env[name];
    }
    expect(out.split('\n')).toContain(`waiting for 1 image: ${image}; 2s left`);
    expect(result.findings.map((f) => [f.rule, f.message.endsWith('(waited 2s)')])).toEqual([
      ['tag-not-found', true],
    ]);
  });
});

describe('bad input is a one-line usage error naming the setting', () => {
  it.each([
    [
      ['--wait', 'soon'],
      '--wait must be 0 (no wait) or a duration such as 90s or 10m, at most 60m; got "soon"',
    ],
    [['--wait=-1s'], '--wait must be 0 (no wait) or a duration such as 90s or 10m, at most 60m; got "-1s"'],
    [
      ['--wait', '61m'],
      '--wait must be 0 (no wait) or a duration such as 90s or 10m, at most 60m; got "61m"',
    ],
    [['--wait-for', 'some'], '--wait-for must be one of pending, all; got "some"'],
    // Before, this waited out the whole scan and reported the image unverified: exit 0, no verdict.
    [
      ['--wait', '3s', '--max-duration', '3s'],
      '--wait (3s) must be shorter than --max-duration (3s), which bounds the whole scan, the wait included',
    ],
    [
      ['--pending-image', 'ghcr.io/Acme/App:1'],
      '--pending-image must list image references or globs such as ghcr.io/acme/app:*; "ghcr.io/Acme/App:1" is not one',
    ],
  ])('%j', async (args, message) => {
    const run = await runCliIn(dir, [...args, '--offline', '.']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.stderr).toContain(`imagepull-preflight: ${message}`);
  });

  it('names the environment variable when it holds something that is not a reference', async () => {
    const run = await runCliIn(dir, ['--pending-from-env', '--offline', '.'], {
      env: { DOCKER_METADATA_OUTPUT_TAGS: 'ghcr.io/acme/app:1\nnot a ref' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'environment variable DOCKER_METADATA_OUTPUT_TAGS must list image references',
    );
  });
});
