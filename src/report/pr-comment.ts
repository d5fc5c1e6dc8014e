import type { getOctokit } from '@actions/github';
import { COMMENT_MARKER } from './summary.js';

type Octokit = ReturnType<typeof getOctokit>;

export interface CommentTarget {
  owner: string;
  repo: string;
  issueNumber: number;
}

/**
 * One sticky comment per pull request, found by its hidden marker and updated in place. When there
 * is nothing to report and no comment yet, none is created.
 */
export async function upsertComment(
  octokit: Octokit,
  target: CommentTarget,
  body: string,
  hasFindings: boolean,
): Promise<'created' | 'updated' | 'skipped'> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  });
  const existing = comments.find((comment) => comment.body?.includes(COMMENT_MARKER));
  if (existing) {
    await octokit.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: existing.id,
      body,
    });
    return 'updated';
  }
  if (!hasFindings) return 'skipped';
  await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    body,
  });
  return 'created';
}
