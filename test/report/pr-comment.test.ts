import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenLogin, upsertComment, WORKFLOW_TOKEN_LOGIN } from '../../src/report/pr-comment.js';
import { COMMENT_MARKER } from '../../src/report/summary.js';
import {
  startFakeGitHub,
  type FakeComment,
  type FakeGitHub,
  type FakeIdentity,
} from '../changes/fake-github.js';

/** The sticky comment against a local fake of GitHub's API: found by marker and author, nothing else. */

const target = { owner: 'octo', repo: 'app', issueNumber: 7 };
const ours = (body: string) => `${COMMENT_MARKER}\n${body}`;
let fake: FakeGitHub | undefined;
afterEach(() => fake?.close());

async function withComments(identity: FakeIdentity, comments: FakeComment[], prefix = '') {
  const issues = { identity, comments: { 7: comments } };
  fake = await startFakeGitHub({}, { issues, prefix });
  return { octokit: getOctokit('token', { baseUrl: fake.url }), comments: issues.comments[7] };
}

const writes = () => fake!.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/graphql'));

describe('tokenLogin', () => {
  it.each([
    ['a personal token, from GET /user', { rest: 'deploy-bot' }, 'deploy-bot'],
    ['the workflow token, from GraphQL viewer', { graphql: 'github-actions[bot]' }, 'github-actions[bot]'],
    ['an app installation token', { graphql: 'acme-ci[bot]' }, 'acme-ci[bot]'],
    ['a token neither names: the workflow token', {}, WORKFLOW_TOKEN_LOGIN],
  ] as const)('%s', async (_, identity, login) => {
    const { octokit } = await withComments(identity, []);
    expect(await tokenLogin(octokit)).toBe(login);
  });

  it('finds GraphQL beside REST on GitHub Enterprise', async () => {
    const { octokit } = await withComments({ graphql: 'github-actions[bot]' }, [], '/api/v3');
    expect(await tokenLogin(octokit)).toBe('github-actions[bot]');
    expect(fake!.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v3/user',
      'POST /api/graphql',
    ]);
  });
});

describe('upsertComment', () => {
  it('never edits someone else’s comment that contains the marker; creates its own', async () => {
    const { octokit, comments } = await withComments({ graphql: 'github-actions[bot]' }, [
      { id: 1, body: ours('I pasted the marker'), user: { login: 'mallory' } },
    ]);
    expect(await upsertComment(octokit, target, ours('report'), true)).toBe('created');
    expect(comments).toEqual([
      { id: 1, body: ours('I pasted the marker'), user: { login: 'mallory' } },
      expect.objectContaining({ body: ours('report'), user: { login: 'github-actions[bot]' } }),
    ]);
  });

  it('updates its own comment in place, past other people’s copies and on a later page', async () => {
    const others = Array.from({ length: 150 }, (_, i) => ({
      id: i + 1,
      body: ours(`copy ${i}`),
      user: { login: i % 2 ? 'mallory' : 'GitHub-Actions' },
    }));
    const mine = { id: 500, body: ours('old report'), user: { login: 'github-actions[bot]' } };
    const { octokit, comments } = await withComments({ graphql: 'github-actions[bot]' }, [...others, mine]);
    expect(await upsertComment(octokit, target, ours('new report'), true)).toBe('updated');
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      'PATCH /repos/octo/app/issues/comments/500',
    ]);
    expect(comments.at(-1)!.body).toBe(ours('new report'));
    expect(comments.slice(0, -1)).toEqual(others);
  });

  it('with a personal token, updates only that user’s comment, not the workflow bot’s', async () => {
    const { octokit, comments } = await withComments({ rest: 'deploy-bot' }, [
      { id: 1, body: ours('bot'), user: { login: 'github-actions[bot]' } },
      { id: 2, body: ours('mine'), user: { login: 'deploy-bot' } },
    ]);
    expect(await upsertComment(octokit, target, ours('new'), true)).toBe('updated');
    expect(comments.map((c) => c.body)).toEqual([ours('bot'), ours('new')]);
  });

  it('ignores its own comments that only mention the marker later', async () => {
    const { octokit, comments } = await withComments({ graphql: 'github-actions[bot]' }, [
      { id: 1, body: `quoting ${COMMENT_MARKER}`, user: { login: 'github-actions[bot]' } },
    ]);
    expect(await upsertComment(octokit, target, ours('report'), true)).toBe('created');
    expect(comments).toHaveLength(2);
    expect(comments[0]!.body).toBe(`quoting ${COMMENT_MARKER}`);
  });

  it('creates nothing when all is clear and there is no comment of its own yet', async () => {
    const { octokit, comments } = await withComments({ graphql: 'github-actions[bot]' }, [
      { id: 1, body: ours('pasted'), user: { login: 'mallory' } },
    ]);
    expect(await upsertComment(octokit, target, ours('all clear'), false)).toBe('skipped');
    expect(writes()).toEqual([]);
    expect(comments).toHaveLength(1);
  });
});
