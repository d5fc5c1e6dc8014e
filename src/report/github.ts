import * as core from '@actions/core';
import * as github from '@actions/github';
import type { ScanResult } from '../scan-result.js';
import { annotate } from './annotations.js';
import { publishCheckRun } from './check-run.js';
import { upsertComment } from './pr-comment.js';
import { commentBody, fitMarkdown, headline, summaryMarkdown, type LineLink } from './summary.js';

export interface PublishOptions {
  token: string;
  checkRun: boolean;
  comment: boolean;
  failed: boolean;
  scope: string;
  notes: string[];
  /** GITHUB_REPOSITORY: owner/repo, or empty outside a workflow. */
  repository: string;
  /** GITHUB_STEP_SUMMARY is set: the runner has a job summary file to write. */
  stepSummary: boolean;
}

export const CHECK_RUN_NAME = 'imagepull-preflight';

/** The commit a pull request's check run belongs on: the PR head, not the merge commit. */
function headSha(): string {
  const pr = github.context.payload.pull_request as { head?: { sha?: string } } | undefined;
  return pr?.head?.sha ?? github.context.sha;
}

function lineLink(repository: string): LineLink {
  const { serverUrl } = github.context;
  const sha = headSha();
  if (!repository || !sha) return () => undefined;
  return (file, line) =>
    `${serverUrl}/${repository}/blob/${sha}/${file.split('/').map(encodeURIComponent).join('/')}#L${line}`;
}

/** Is the API usable at all? A 403 (fork PR, read-only token) is expected, not an error. */
function describeApiError(error: unknown): string {
  const status = (error as { status?: number }).status;
  return status ? `the GitHub API answered ${status}` : (error as Error).message;
}

/**
 * Annotations (a check run when the token may write checks, else workflow commands), the job summary
 * that always lists every finding, and the optional sticky PR comment.
 */
export async function publish(result: ScanResult, options: PublishOptions): Promise<void> {
  const context = { link: lineLink(options.repository), scope: options.scope, notes: options.notes };
  const summary = summaryMarkdown(result, context);
  const octokit = options.token ? github.getOctokit(options.token) : undefined;
  const repository = options.repository ? options.repository.split('/') : undefined;
  let annotated = false;
  if (octokit && options.checkRun && repository?.length === 2 && headSha() && result.findings.length) {
    try {
      await publishCheckRun(
        octokit,
        { owner: repository[0]!, repo: repository[1]!, headSha: headSha(), name: CHECK_RUN_NAME },
        result.findings,
        { title: headline(result.findings), summary: fitMarkdown(summary), failed: options.failed },
      );
      annotated = true;
    } catch (error) {
      core.info(
        `Check run not created (${describeApiError(error)}); annotating with workflow commands instead.`,
      );
    }
  }
  if (!annotated) annotate(result.findings);
  // Outside a runner (a local `act`-less run) there is no summary file to write.
  if (options.stepSummary) await core.summary.addRaw(summary, true).write();
  else core.info(summary);

  const pr = github.context.payload.pull_request as { number?: number } | undefined;
  if (options.comment && octokit && pr?.number && repository?.length === 2) {
    try {
      await upsertComment(
        octokit,
        { owner: repository[0]!, repo: repository[1]!, issueNumber: pr.number },
        commentBody(result, context),
        result.findings.length > 0,
      );
    } catch (error) {
      core.warning(
        `The pull request comment could not be written (${describeApiError(error)}); the job summary has the full report.`,
      );
    }
  }
}
