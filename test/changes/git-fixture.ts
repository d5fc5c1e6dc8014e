// A real git repository with a pull-request-shaped history, plus shallow clones of it.
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface GitFixture {
  dir: string;
  /** main's first commit; the feature branch forks here. */
  fork: string;
  /** The feature branch tip (what a PR's head.sha would be). */
  feature: string;
  /** main after a commit the feature branch does not have (a PR's base.sha). */
  main: string;
  /** A merge of feature into main on a merge-queue branch, as GitHub's merge queue builds it. */
  merged: string;
}

/** What the feature branch changed, as every stage after this one should see it. */
export const FEATURE_FILES = ['charts/x.yaml', 'deploy/a.yaml', 'deploy/ü space.yaml', 'new/name.yaml'];

// Isolate from the machine's git configuration (signing, hooks, default branch …).
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };

export function git(cwd: string, ...args: string[]): Promise<string> {
  const all = ['-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'commit.gpgsign=false', ...args];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      all,
      { cwd, env: GIT_ENV, timeout: 30_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout.trim());
      },
    );
  });
}

async function put(dir: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), text);
}

async function commit(dir: string, message: string): Promise<string> {
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

export async function createGitFixture(dir: string): Promise<GitFixture> {
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '-q', '-b', 'main');
  await put(dir, 'deploy/a.yaml', 'image: a:1\n');
  await put(dir, 'deploy/b.yaml', 'image: b:1\n');
  await put(dir, 'old/name.yaml', 'image: renamed:1\n'.repeat(20));
  await put(dir, 'README.md', '# fixture\n');
  const fork = await commit(dir, 'fork point');

  await git(dir, 'checkout', '-q', '-b', 'feature');
  await put(dir, 'deploy/a.yaml', 'image: a:2\n');
  await rm(join(dir, 'deploy/b.yaml'));
  await mkdir(join(dir, 'new'));
  await rename(join(dir, 'old/name.yaml'), join(dir, 'new/name.yaml'));
  await put(dir, 'deploy/ü space.yaml', 'image: u:1\n');
  await commit(dir, 'change manifests');
  await put(dir, 'charts/x.yaml', 'image: x:1\n');
  const feature = await commit(dir, 'add chart');

  await git(dir, 'checkout', '-q', 'main');
  await put(dir, 'main-only.yaml', 'image: m:1\n');
  const main = await commit(dir, 'main moves on');
  await git(dir, 'checkout', '-q', '-b', 'gh-readonly-queue/main/pr-7');
  await git(dir, 'merge', '-q', '--no-ff', '-m', 'merge queue', 'feature');
  const merged = await git(dir, 'rev-parse', 'HEAD');
  await git(dir, 'checkout', '-q', 'feature');
  return { dir, fork, feature, main, merged };
}

/** `git clone --depth 1` over file:// (a plain path ignores --depth); extra args e.g. --no-single-branch. */
export async function shallowClone(source: string, dest: string, ...args: string[]): Promise<string> {
  await git(dirname(dest), 'clone', '-q', '--depth', '1', ...args, `file://${source}`, dest);
  return dest;
}
