// A small fake of GitHub's "list pull request files" endpoint on loopback, recording every request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  options: { prefix?: string; repo?: string } = {},
): Promise<FakeGitHub> {
  const prefix = options.prefix ?? '';
  const repo = options.repo ?? 'octo/app';
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      page: url.searchParams.get('page'),
      perPage: url.searchParams.get('per_page'),
      authorization: req.headers.authorization,
    });
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
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
