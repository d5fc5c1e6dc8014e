import { isSha, isZeroSha, planEvent, readPayload, readsPayload, type EventPlan } from './event.js';
import { gitChangedFiles, type GitDiffResult } from './git.js';
import { normalisePaths } from './paths.js';
import { createOctokit, listPullFiles, MAX_PULL_FILES } from './pull-files.js';
import { duration, errorText } from './text.js';
import type { ChangeOptions, ChangeSet } from './types.js';

const DEFAULT_API_TIMEOUT_MS = 30_000;
const DEFAULT_GIT_TIMEOUT_MS = 60_000;
const DEPTH_HINT = 'Use actions/checkout with fetch-depth: 0 so both commits are in the checkout.';

type PullPlan = Extract<EventPlan, { kind: 'pull' }>;
type PushPlan = Extract<EventPlan, { kind: 'push' }>;

/** Which files did this event change? Never throws: every failure degrades to a wider scan plus a note. */
export async function detectChanges(options: ChangeOptions): Promise<ChangeSet> {
  if (!readsPayload(options.eventName)) {
    return scanAll(`all files (${options.eventName || 'unknown'} event)`, []);
  }
  const payload = await readPayload(options.eventPath);
  if (!payload.ok) {
    return scanAll('all files (changed files unknown)', [
      `The ${options.eventName} event payload was unavailable (${payload.reason}), so all files are scanned.`,
    ]);
  }
  const plan = planEvent(options.eventName, payload.payload);
  switch (plan.kind) {
    case 'pull':
      return fromPullRequest(plan, options);
    case 'push':
      return fromPush(plan, options);
    case 'merge_group':
      return fromGit(options, plan.base, plan.head, '..', 'merge group base..head', []);
    case 'other':
      return scanAll(`all files (${options.eventName} event)`, []);
  }
}

async function fromPullRequest(plan: PullPlan, options: ChangeOptions): Promise<ChangeSet> {
  const notes: string[] = [];
  const blocker = apiBlocker(plan, options);
  if (blocker !== undefined) {
    notes.push(`Could not list the pull request's files through the GitHub API: ${blocker}.`);
  } else {
    const [owner = '', repo = ''] = options.repository.split('/');
    try {
      const octokit = createOctokit(options.token ?? '', options.apiUrl, options.fetchImpl);
      const pr = { owner, repo, number: plan.number ?? 0, changedFiles: plan.changedFiles };
      const listed = await listPullFiles(octokit, pr, options.apiTimeoutMs ?? DEFAULT_API_TIMEOUT_MS);
      if (listed.truncated) notes.push(truncationNote(plan.changedFiles));
      return { mode: 'files', files: normalisePaths(listed.files), source: 'pull request API', notes };
    } catch (err) {
      notes.push(
        `Could not list the pull request's files through the GitHub API: ${apiFailure(err, options)}`,
      );
    }
  }
  return fromGit(options, plan.base, plan.head, '...', 'git diff base...head', notes);
}

async function fromPush(plan: PushPlan, options: ChangeOptions): Promise<ChangeSet> {
  if (plan.deleted || isZeroSha(plan.after)) {
    return {
      mode: 'files',
      files: [],
      source: 'push (branch deleted)',
      notes: ['The push deleted the branch.'],
    };
  }
  if (plan.created || isZeroSha(plan.before)) {
    return scanAll('all files (new branch)', [
      'The push created a new branch, so there is no previous commit to compare with; all files are scanned.',
    ]);
  }
  return fromGit(options, plan.before, plan.after, '..', 'push before..after', []);
}

async function fromGit(
  options: ChangeOptions,
  base: string | undefined,
  head: string | undefined,
  dots: '..' | '...',
  source: string,
  notes: string[],
): Promise<ChangeSet> {
  if (!isSha(base) || !isSha(head)) {
    const missing = !isSha(base) ? 'base' : 'head';
    return scanAll('all files (changed files unknown)', [
      ...notes,
      `The event payload has no valid ${missing} commit SHA, so git cannot list the changes; all files are scanned.`,
    ]);
  }
  const timeoutMs = options.gitTimeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
  const result = await gitChangedFiles(options.workspace, base, head, dots, { timeoutMs });
  if (result.ok) return { mode: 'files', files: normalisePaths(result.files), source, notes };
  return scanAll('all files (changed files unknown)', [...notes, gitFailureNote(base, head, dots, result)]);
}

function scanAll(source: string, notes: string[]): ChangeSet {
  return { mode: 'all', files: [], source, notes };
}

/** Why the API cannot even be tried, or undefined. */
function apiBlocker(plan: PullPlan, options: ChangeOptions): string | undefined {
  if (!options.token) return 'no token was given';
  if (plan.number === undefined) return 'the event payload has no pull request number';
  if (!/^[\w.-]+\/[\w.-]+$/.test(options.repository)) {
    return `"${options.repository}" is not an owner/repo repository name`;
  }
  return undefined;
}

/** One sentence from an Octokit RequestError, a timeout or a network failure, with a fix when we know it. */
export function apiFailure(err: unknown, options: Pick<ChangeOptions, 'apiTimeoutMs'> = {}): string {
  const e = err as { status?: unknown; response?: unknown; cause?: { name?: unknown } } | undefined;
  const detail = clip(errorText(err));
  if (e?.cause?.name === 'TimeoutError') {
    return `no answer within ${duration(options.apiTimeoutMs ?? DEFAULT_API_TIMEOUT_MS)}.`;
  }
  if (typeof e?.status !== 'number' || e.response === undefined) return `network error (${detail}).`;
  const status = e.status;
  if (status === 401) return `HTTP 401 (${detail}); check the token.`;
  if (status === 403 && !/rate limit/i.test(detail)) {
    return `HTTP 403 (${detail}); give the job \`permissions: pull-requests: read\`.`;
  }
  if (status === 404) return `HTTP 404 (${detail}); the token cannot see this repository or pull request.`;
  return `HTTP ${status} (${detail}).`;
}

function gitFailureNote(
  base: string,
  head: string,
  dots: string,
  result: Extract<GitDiffResult, { ok: false }>,
) {
  const range = `${base.slice(0, 12)}${dots}${head.slice(0, 12)}`;
  const hint = result.missingHistory ? ` ${DEPTH_HINT}` : '';
  return `Could not diff ${range} with git: ${result.reason}; all files are scanned.${hint}`;
}

function truncationNote(changedFiles: number | undefined): string {
  const count = changedFiles === undefined ? 'more than 3,000' : changedFiles.toLocaleString('en-US');
  return (
    `The pull request changes ${count} files but the GitHub API lists at most ` +
    `${MAX_PULL_FILES.toLocaleString('en-US')}: the list is truncated at 3,000 and later files are not scanned.`
  );
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
