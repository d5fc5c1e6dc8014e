// Shared fixtures for the change-detection tests: temp dirs, event payload files, one git history.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangeOptions } from '../../src/changes/index.js';
import { createGitFixture, shallowClone, type GitFixture } from './git-fixture.js';

export interface Lab {
  root: string;
  repo: GitFixture;
  /** --depth 1 of the feature branch: neither the fork point nor main's tip is present. */
  shallow: string;
  /** --depth 1 of every branch: main's and feature's tips are present, the history joining them is not. */
  shallowTips: string;
  /** The temp root itself: a directory that is not a git repository. */
  notRepo: string;
  payload(name: string, body: unknown): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createLab(): Promise<Lab> {
  const root = await mkdtemp(join(tmpdir(), 'imagepull-preflight-changes-'));
  const repo = await createGitFixture(join(root, 'repo'));
  const shallow = await shallowClone(repo.dir, join(root, 'shallow'), '--branch', 'feature');
  const shallowTips = await shallowClone(repo.dir, join(root, 'shallow-tips'), '--no-single-branch');
  let count = 0;
  return {
    root,
    repo,
    shallow,
    shallowTips,
    notRepo: root,
    async payload(name, body) {
      count += 1;
      const path = join(root, `${count}-${name}.json`);
      await writeFile(path, JSON.stringify(body, null, 2));
      return path;
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A pull_request payload shaped like GitHub's (only the fields anyone reads, plus some that nobody does). */
export function pullPayload(
  repo: GitFixture,
  extra: { number?: number; changedFiles?: number } = {},
): unknown {
  const number = extra.number ?? 7;
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      state: 'open',
      changed_files: extra.changedFiles ?? 4,
      base: { ref: 'main', sha: repo.main, repo: { full_name: 'octo/app' } },
      head: { ref: 'feature', sha: repo.feature, repo: { full_name: 'octo/app' } },
    },
    repository: { full_name: 'octo/app', name: 'app', owner: { login: 'octo' } },
  };
}

export function baseOptions(lab: Lab, overrides: Partial<ChangeOptions>): ChangeOptions {
  return {
    eventName: 'pull_request',
    token: 'ghs_faketoken',
    apiUrl: 'http://127.0.0.1:9/unused',
    repository: 'octo/app',
    workspace: lab.repo.dir,
    // A plain fetch: loopback requests must never be routed through a proxy from the environment.
    fetchImpl: fetch,
    ...overrides,
  };
}
