// A small fake of GitHub's "list pull request files" endpoint on loopback, recording every request;
// optionally also issue comments and the token's identity (`GET /user`, GraphQL `viewer`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../support/servers.js';

export interface FileEntry {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  previous_filename?: string;
}

export type FakePull =
  | { files: FileEntry[]; /** Leave out Link headers (some proxies strip them). */ omitLink?: boolean }
  | { status: number; message: string }
  | { hang: true };

export interface RecordedRequest {
  method: string;
  path: string;
  page: string | null;
  perPage: string | null;
  authorization: string | undefined;
}

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string };
}

/**
 * Who the token is. A personal token answers `GET /user`; an installation token (GITHUB_TOKEN) gets
 * 403 there and is named only by GraphQL's `viewer`. Comments it creates carry that login.
 */
export interface FakeIdentity {
  rest?: string;
  graphql?: string;
}

export interface FakeIssues {
  identity: FakeIdentity;
  /** Comments per issue number, oldest first; mutated by create and update. */
  comments: Record<number, FakeComment[]>;
}

export interface FakeGitHub {
  /** The API base URL, e.g. http://127.0.0.1:41234/api/v3 when started with a prefix. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

// Like GitHub's, the fake never serves more than this many pages however many files a PR has.
const MAX_PAGES = 40;

export async function startFakeGitHub(
  pulls: Record<number, FakePull>,
  options: { prefix?: string; repo?: string; issues?: FakeIssues } = {},
): Promise<FakeGitHub> {
  const prefix = options.prefix ?? '';
  const repo = options.repo ?? 'octo/app';
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      page: url.searchParams.get('page'),
      perPage: url.searchParams.get('per_page'),
      authorization: req.headers.authorization,
    });
    if (options.issues && serveIssues(req, res, url, body, prefix, repo, options.issues)) return;
    const match = new RegExp(`^${prefix}/repos/${repo}/pulls/(\\d+)/files$`).exec(url.pathname);
    const pull = match ? pulls[Number(match[1])] : undefined;
    if (!match || pull === undefined) return sendJson(res, 404, notFound());
    if ('hang' in pull) return; // never answers; close() drops the connection
    if ('status' in pull)
      return sendJson(res, pull.status, { message: pull.message, documentation_url: DOCS });
    servePage(req, res, url, Number(match[1]), pull);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    close: () => closeServer(server),
  };
}

let nextCommentId = 1000;

/** Identity and issue comments, as far as a sticky comment needs them; false when not such a path. */
function serveIssues(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: string,
  prefix: string,
  repo: string,
  issues: FakeIssues,
): boolean {
  const login = issues.identity.rest ?? issues.identity.graphql ?? 'github-actions[bot]';
  const forbidden = { message: 'Resource not accessible by integration', documentation_url: DOCS };
  if (req.method === 'GET' && url.pathname === `${prefix}/user`) {
    if (issues.identity.rest) sendJson(res, 200, { login: issues.identity.rest, type: 'User' });
    else sendJson(res, 403, forbidden);
    return true;
  }
  // GitHub Enterprise serves GraphQL at /api/graphql beside the REST /api/v3.
  if (req.method === 'POST' && url.pathname.endsWith('/graphql')) {
    if (!issues.identity.graphql) sendJson(res, 403, forbidden);
    else sendJson(res, 200, { data: { viewer: { login: issues.identity.graphql } } });
    return true;
  }
  const list = new RegExp(`^${prefix}/repos/${repo}/issues/(\\d+)/comments$`).exec(url.pathname);
  if (list) {
    const comments = (issues.comments[Number(list[1])] ??= []);
    if (req.method === 'POST') {
      const created = {
        id: nextCommentId++,
        body: (JSON.parse(body) as { body: string }).body,
        user: { login },
      };
      comments.push(created);
      sendJson(res, 201, created);
      return true;
    }
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, 100);
    const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const last = Math.max(Math.ceil(comments.length / perPage), 1);
    const headers: Record<string, string> = {};
    if (page < last)
      headers['link'] =
        `<http://${req.headers.host}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
    sendJson(res, 200, comments.slice((page - 1) * perPage, page * perPage), headers);
    return true;
  }
  const one = new RegExp(`^${prefix}/repos/${repo}/issues/comments/(\\d+)$`).exec(url.pathname);
  if (one && req.method === 'PATCH') {
    // Like GitHub, a token that may write the repository may edit anyone's comment.
    const comment = Object.values(issues.comments)
      .flat()
      .find((c) => c.id === Number(one[1]));
    if (!comment) sendJson(res, 404, notFound());
    else {
      comment.body = (JSON.parse(body) as { body: string }).body;
      sendJson(res, 200, comment);
    }
    return true;
  }
  return false;
}

function servePage(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  number: number,
  pull: { files: FileEntry[]; omitLink?: boolean },
): void {
  const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page') ?? 30) || 30, 1), 100);
  const page = Math.min(Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1), MAX_PAGES + 1);
  const lastPage = Math.min(Math.max(Math.ceil(pull.files.length / perPage), 1), MAX_PAGES);
  const body = page > lastPage ? [] : pull.files.slice((page - 1) * perPage, page * perPage).map(entry);
  const headers: Record<string, string> = {};
  if (!pull.omitLink && lastPage > 1) headers['link'] = linkHeader(req, number, perPage, page, lastPage);
  sendJson(res, 200, body, headers);
}

/** GitHub's Link header: absolute URLs under /repositories/{id}/, next/last then prev/first. */
function linkHeader(
  req: IncomingMessage,
  number: number,
  perPage: number,
  page: number,
  last: number,
): string {
  const at = (p: number) =>
    `<http://${req.headers.host}/repositories/4242/pulls/${number}/files?per_page=${perPage}&page=${p}>`;
  const links: string[] = [];
  if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
  if (page > 1) links.push(`${at(page - 1)}; rel="prev"`, `${at(1)}; rel="first"`);
  return links.join(', ');
}

function entry(file: FileEntry, index: number): Record<string, unknown> {
  return { sha: index.toString(16).padStart(40, '0'), additions: 1, deletions: 0, changes: 1, ...file };
}

const DOCS = 'https://docs.github.com/rest/pulls/pulls#list-pull-requests-files';

function notFound(): Record<string, string> {
  return { message: 'Not Found', documentation_url: DOCS, status: '404' };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** n modified manifests, k8s/app-0000.yaml … */
export function manifests(n: number, status: FileEntry['status'] = 'modified'): FileEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    filename: `k8s/app-${String(i).padStart(4, '0')}.yaml`,
    status,
  }));
}
