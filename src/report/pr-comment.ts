import type { getOctokit } from '@actions/github';
import { COMMENT_MARKER } from './summary.js';

type Octokit = ReturnType<typeof getOctokit>;

export interface CommentTarget {
  owner: string;
  repo: string;
  issueNumber: number;
}

/** Who comments with the workflow's own `GITHUB_TOKEN`. */
export const WORKFLOW_TOKEN_LOGIN = 'github-actions[bot]';

/**
 * The login this token comments as. `GET /user` answers for personal tokens; an installation token
 * (the workflow's `GITHUB_TOKEN`, a GitHub App's) gets 403 there, and GraphQL's `viewer` names its bot
 * (`github-actions[bot]`, `my-app[bot]`), as sticky-comment actions do it. When neither answers, the
 * token is taken to be the workflow's: at worst a new comment is created, never someone else's edited.
 */
export async function tokenLogin(octokit: Octokit): Promise<string> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch {
    try {
      const data = await octokit.graphql<{ viewer: { login: string } }>('query { viewer { login } }');
      if (data.viewer.login) return data.viewer.login;
    } catch {
      // Fall through to the workflow token's identity.
    }
    return WORKFLOW_TOKEN_LOGIN;
  }
}

/**
 * One sticky comment per pull request, found by its hidden marker *and* its author (this token's
 * identity), and updated in place: anyone can paste the marker into a comment of their own, and that
 * comment must never be overwritten. When there is nothing to report and no comment yet, none is
 * created.
 */
export async function upsertComment(
  octokit: Octokit,
  target: CommentTarget,
  body: string,
  hasFindings: boolean,
): Promise<'created' | 'updated' | 'skipped'> {
  const login = (await tokenLogin(octokit)).toLowerCase();
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  });
  const existing = comments.find(
    (comment) => comment.user?.login.toLowerCase() === login && comment.body?.startsWith(COMMENT_MARKER),
  );
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
