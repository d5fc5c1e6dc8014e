import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A git URL reduced to host and path, so the forms Argo CD and Flux accept for one repository compare
 * equal: `https://github.com/acme/deploy.git`, `git@github.com:acme/deploy`, `ssh://git@github.com/acme/deploy`.
 */
export function normalizeRepoUrl(url: string): string {
  let text = url.trim().toLowerCase();
  const scp = /^(?:[^@/:]+@)?([^/:]+):(?!\d+\/)(.+)$/.exec(text);
  if (scp && !text.includes('://')) text = `${scp[1]}/${scp[2]}`;
  text = text
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/^[^@/]+@/, '')
    .replace(/^([^/:]+):\d+\//, '$1/')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  return text;
}

export interface Repository {
  /** The checkout's top directory: Argo CD and Flux paths are relative to it. */
  root: string;
  /** Normalised URLs that name this repository. */
  urls: Set<string>;
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', args, { cwd, timeout: 10_000, windowsHide: true });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * This repository: the checkout's `origin` (and the repository the workflow runs for, when the caller
 * knows it), with the checkout's top directory; `cwd` when it is not a git checkout.
 */
export async function thisRepository(cwd: string, extraUrls: readonly string[] = []): Promise<Repository> {
  const [root, origin] = await Promise.all([
    git(cwd, ['rev-parse', '--show-toplevel']),
    git(cwd, ['config', '--get', 'remote.origin.url']),
  ]);
  const urls = new Set([...(origin ? [origin] : []), ...extraUrls].map(normalizeRepoUrl));
  return { root: root ?? cwd, urls };
}
