import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliIn } from '../support/run.js';

/**
 * A pull request controls every path in the checkout: links to devices, to files outside the
 * repository, FIFOs. None of them is read; each is a finding on its own path; the normal manifest
 * beside them is checked as usual.
 */

const NORMAL =
  'apiVersion: v1\nkind: Pod\nmetadata: {name: normal}\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n';
const OUTSIDE =
  'apiVersion: v1\nkind: Pod\nmetadata: {name: secret}\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/from-outside:6.6\n';

interface Report {
  findings: Array<{ rule: string; severity: string; file: string; message: string }>;
  images: Array<{ reference: string }>;
}

let base: string;
let repo: string;
let outside: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'preflight-links-'));
  repo = path.join(base, 'repo');
  outside = path.join(base, 'outside');
  await mkdir(repo);
  await mkdir(outside);
  await writeFile(path.join(repo, 'normal.yaml'), NORMAL);
  await writeFile(path.join(outside, 'pod.yaml'), OUTSIDE);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function scanRepo(): Promise<Report> {
  const { code, stdout, stderr } = await runCliIn(repo, ['--offline', '--format', 'json', '.']);
  expect(stderr).toBe('');
  expect(code).not.toBe(2);
  return JSON.parse(stdout) as Report;
}

function expectOnlyNormal(report: Report) {
  expect(report.images.map((image) => image.reference)).toEqual(['registry.example.com/app:1.0']);
  expect(report.findings.filter((f) => f.file === 'normal.yaml')).toEqual([]);
}

describe('links and special files in a pull request', () => {
  it('a link to /dev/zero is not read: a notice, in bounded time', async () => {
    await symlink('/dev/zero', path.join(repo, 'zero.yaml'));
    const t0 = performance.now();
    const report = await scanRepo();
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(report.findings).toEqual([
      expect.objectContaining({ rule: 'symlink-not-followed', severity: 'notice', file: 'zero.yaml' }),
    ]);
    expect(report.findings[0]!.message).toContain('"/dev/zero"');
    expectOnlyNormal(report);
  });

  it('a link to a manifest outside the repository is not read', async () => {
    await symlink(path.join(outside, 'pod.yaml'), path.join(repo, 'linked.yaml'));
    const report = await scanRepo();
    expect(report.findings.map((f) => [f.rule, f.file])).toEqual([['symlink-not-followed', 'linked.yaml']]);
    expectOnlyNormal(report);
  });

  it('a link to a directory outside the repository is not walked', async () => {
    await symlink(outside, path.join(repo, 'vendor'));
    const report = await scanRepo();
    expect(report.findings.map((f) => [f.rule, f.file])).toEqual([['symlink-not-followed', 'vendor']]);
    expectOnlyNormal(report);
  });

  it('a link inside the repository is followed as before', async () => {
    await mkdir(path.join(repo, 'real'));
    await writeFile(path.join(repo, 'real', 'pod.yaml'), OUTSIDE);
    await symlink(path.join(repo, 'real', 'pod.yaml'), path.join(repo, 'alias.yaml'));
    const report = await scanRepo();
    expect(report.findings).toEqual([]);
    expect(report.images.map((image) => image.reference).sort()).toEqual([
      'registry.example.com/app:1.0',
      'registry.example.com/from-outside:6.6',
    ]);
  });

  it('a FIFO is never opened for a blocking read', async () => {
    execFileSync('mkfifo', [path.join(repo, 'pipe.yaml')]);
    const report = await scanRepo();
    expect(report.findings).toEqual([
      expect.objectContaining({
        rule: 'manifest-skipped',
        file: 'pipe.yaml',
        message: expect.stringContaining('not a regular file'),
      }),
    ]);
    expectOnlyNormal(report);
  });
});
