import { getOctokit } from '@actions/github';

export type Octokit = ReturnType<typeof getOctokit>;

/** GitHub's documented ceiling for the pull request files endpoint. */
export const MAX_PULL_FILES = 3000;
const PER_PAGE = 100;
const MAX_PAGES = MAX_PULL_FILES / PER_PAGE;

export interface PullFiles {
  /** Files that exist after the change: removed entries dropped, renames under their new name. */
  files: string[];
  /** Entries the API returned, removed ones included. */
  entries: number;
  pages: number;
  /** The API's 3,000-file ceiling cut the list short. */
  truncated: boolean;
}

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
  /** `changed_files` from the payload, when known: tells a list of exactly 3,000 from a cut one. */
  changedFiles?: number;
}

export function createOctokit(token: string, apiUrl: string, fetchImpl?: typeof fetch): Octokit {
  // Octokit builds URLs as baseUrl + '/repos/…', so a trailing slash would produce '//repos'.
  const baseUrl = apiUrl.replace(/\/+$/, '');
  // Passing `request` replaces @actions/github's default (proxy-aware) fetch, so only do it when asked.
  return getOctokit(token, fetchImpl ? { baseUrl, request: { fetch: fetchImpl } } : { baseUrl });
}

/**
 * Pages are requested by number from baseUrl rather than by following `Link` headers, so the token is
 * only ever sent to the configured API and the loop is bounded by the 3,000-file ceiling.
 */
export async function listPullFiles(
  octokit: Octokit,
  pr: PullRequestRef,
  timeoutMs: number,
): Promise<PullFiles> {
  const files: string[] = [];
  let entries = 0;
  let page = 0;
  let hasNext = false;
  while (page < MAX_PAGES) {
    page += 1;
    const response = await octokit.rest.pulls.listFiles({
      owner: pr.owner,
      repo: pr.repo,
      pull_number: pr.number,
      per_page: PER_PAGE,
      page,
      request: { signal: AbortSignal.timeout(timeoutMs) },
    });
    const data: unknown = response.data;
    if (!Array.isArray(data)) throw new Error('the API answered with something other than a list of files');
    entries += data.length;
    files.push(...keptNames(data));
    const link = response.headers.link;
    hasNext = link !== undefined && /rel="next"/.test(link);
    // A short page is the last; so is a full one whose Link header names no next page.
    if (data.length < PER_PAGE || (link !== undefined && !hasNext)) break;
  }
  return { files, entries, pages: page, truncated: isTruncated(entries, hasNext, pr.changedFiles) };
}

export function keptNames(entries: readonly unknown[]): string[] {
  const names: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { filename, status } = entry as { filename?: unknown; status?: unknown };
    if (typeof filename === 'string' && status !== 'removed') names.push(filename);
  }
  return names;
}

export function isTruncated(entries: number, hasNext: boolean, changedFiles: number | undefined): boolean {
  if (entries < MAX_PULL_FILES) return false;
  // Without changed_files we cannot tell exactly 3,000 from more; assume the worse.
  return hasNext || changedFiles === undefined || changedFiles > entries;
}
