// A small Docker token server (distribution docs/spec/auth/token.md + oauth.md) for the `token` registry.
// Policy mimics Docker Hub: anonymous may pull public namespaces; anything else anonymous gets a token
// with no access, which the registry answers with 401 — so "private" and "missing" look the same.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { closeServer, readBody } from '../support/servers.js';

export interface TokenRequestLog {
  /** 1-based sequence number since the server started (not reset by `reset()`). */
  seq: number;
  method: string;
  path: string;
  /** Query parameters; repeated ones (`scope`) keep every value in order. */
  query: Record<string, string[]>;
  /** Whether an Authorization header was sent (its value is never stored). */
  authorization: boolean;
  /** Authorization scheme if one was sent, e.g. `Basic`. */
  authScheme?: string;
  /** For POST: the OAuth2 grant type from the form (credentials in the form are never stored). */
  grantType?: string;
  /** Scopes asked for, from the query (GET) or the form (POST). */
  scopes: string[];
  /** Authenticated user, if the credentials were valid. */
  user?: string;
  status: number;
}

export interface TokenServerOptions {
  service: string;
  issuer: string;
  signingKey: KeyObject;
  x5c: string;
  users: Record<string, string>;
  /** Repository prefixes anonymous users may pull. */
  publicPrefixes?: readonly string[];
}

export interface TokenServer {
  url: string;
  realm: string;
  requests: TokenRequestLog[];
  reset(): void;
  close(): Promise<void>;
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const EXPIRES_IN = 300;
const MAX_BODY = 64 * 1024;
const DEFAULT_PUBLIC = ['library/', 'public/'] as const;

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const requests: TokenRequestLog[] = [];
  const refreshTokens = new Map<string, string>();
  let seq = 0;
  const ctx: HandlerContext = { opts, refreshTokens };
  const server = createServer((req, res) => {
    void handle(ctx, req, res, requests, () => ++seq);
  });
  const url = await listen(server);
  return {
    url,
    realm: `${url}/token`,
    requests,
    // Keep the same array so callers holding a reference see the reset.
    reset: () => void (requests.length = 0),
    close: () => closeServer(server),
  };
}

interface HandlerContext {
  opts: TokenServerOptions;
  refreshTokens: Map<string, string>;
}

async function handle(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  requests: TokenRequestLog[],
  nextSeq: () => number,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/_log' || url.pathname === '/_log/reset') {
    send(res, logEndpoint(req.method, url.pathname, requests));
    return;
  }
  const entry = newEntry(req, url);
  let reply: Reply;
  try {
    reply = await route(ctx, req, url, entry);
  } catch (err) {
    reply = { status: 500, body: { details: String(err) } };
  }
  entry.status = reply.status;
  entry.seq = nextSeq();
  requests.push(entry);
  send(res, reply);
}

function logEndpoint(method: string | undefined, path: string, requests: TokenRequestLog[]): Reply {
  if (path === '/_log' && method === 'GET') return { status: 200, body: requests };
  if (path === '/_log/reset' && method === 'POST') {
    requests.length = 0;
    return { status: 200, body: { ok: true } };
  }
  return { status: 405, body: { details: 'method not allowed' } };
}

function newEntry(req: IncomingMessage, url: URL): TokenRequestLog {
  const query: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
  const auth = req.headers.authorization;
  const entry: TokenRequestLog = {
    seq: 0,
    method: req.method ?? '',
    path: url.pathname,
    query,
    authorization: auth !== undefined,
    scopes: [],
    status: 0,
  };
  if (auth !== undefined) entry.authScheme = auth.split(' ', 1)[0] ?? '';
  return entry;
}

async function route(
  ctx: HandlerContext,
  req: IncomingMessage,
  url: URL,
  entry: TokenRequestLog,
): Promise<Reply> {
  if (url.pathname !== '/token') return { status: 404, body: { details: 'not found' } };
  if (req.method === 'GET') return getToken(ctx, req, url, entry);
  if (req.method === 'POST') return postToken(ctx, await readForm(req), entry);
  return { status: 405, body: { details: 'method not allowed' } };
}

/** `GET /token` — the classic Docker token flow with optional Basic auth. */
function getToken(ctx: HandlerContext, req: IncomingMessage, url: URL, entry: TokenRequestLog): Reply {
  entry.scopes = splitScopes(url.searchParams.getAll('scope'));
  const service = url.searchParams.get('service');
  if (service !== null && service !== ctx.opts.service) return badService(service);
  const basic = parseBasic(req.headers.authorization);
  let user: string | undefined;
  if (req.headers.authorization !== undefined) {
    if (basic === undefined || !checkPassword(ctx.opts.users, basic.username, basic.password)) {
      return unauthorized();
    }
    user = basic.username;
    entry.user = user;
  }
  const token = issue(ctx.opts, user, entry.scopes);
  const body: Record<string, unknown> = {
    token,
    access_token: token,
    expires_in: EXPIRES_IN,
    issued_at: new Date().toISOString(),
  };
  if (user !== undefined && url.searchParams.get('offline_token') === 'true') {
    body['refresh_token'] = newRefreshToken(ctx, user);
  }
  return { status: 200, body };
}

/** `POST /token` — the OAuth2 flow containerd tries first when it has credentials. */
function postToken(ctx: HandlerContext, form: URLSearchParams, entry: TokenRequestLog): Reply {
  const grantType = form.get('grant_type') ?? '';
  entry.grantType = grantType;
  entry.scopes = splitScopes(form.getAll('scope'));
  const service = form.get('service');
  if (service !== null && service !== ctx.opts.service) return badService(service);
  let user: string | undefined;
  if (grantType === 'password') {
    const username = form.get('username') ?? '';
    if (!checkPassword(ctx.opts.users, username, form.get('password') ?? '')) return unauthorized();
    user = username;
  } else if (grantType === 'refresh_token') {
    user = ctx.refreshTokens.get(form.get('refresh_token') ?? '');
    if (user === undefined) return unauthorized();
  } else {
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  }
  entry.user = user;
  const body: Record<string, unknown> = {
    access_token: issue(ctx.opts, user, entry.scopes),
    scope: entry.scopes.join(' '),
    expires_in: EXPIRES_IN,
    issued_at: new Date().toISOString(),
  };
  if (form.get('access_type') === 'offline') body['refresh_token'] = newRefreshToken(ctx, user);
  return { status: 200, body };
}

function unauthorized(): Reply {
  return { status: 401, body: { details: 'incorrect username or password' } };
}

function badService(service: string): Reply {
  return { status: 400, body: { details: `unknown service ${JSON.stringify(service)}` } };
}

function newRefreshToken(ctx: HandlerContext, user: string): string {
  const token = randomBytes(24).toString('base64url');
  ctx.refreshTokens.set(token, user);
  return token;
}

/** Each scope param may itself hold several space-separated scopes (OAuth2 style). */
function splitScopes(values: string[]): string[] {
  return values.flatMap((v) => v.split(' ')).filter((s) => s.length > 0);
}

/** `repository:team/app:pull,push` → {type, name, actions}; names never contain ':' but be lenient. */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((a) => a.length > 0);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

function grantedAccess(opts: TokenServerOptions, user: string | undefined, scopes: string[]): Access[] {
  const publicPrefixes = opts.publicPrefixes ?? DEFAULT_PUBLIC;
  const out: Access[] = [];
  for (const scope of scopes) {
    const asked = parseScope(scope);
    if (asked === undefined) continue;
    const isPublic =
      asked.type === 'repository' && publicPrefixes.some((prefix) => asked.name.startsWith(prefix));
    const actions =
      user !== undefined ? asked.actions : isPublic ? asked.actions.filter((a) => a === 'pull') : [];
    // Like Docker Hub: nothing granted means the entry is dropped, not an error.
    if (actions.length > 0) out.push({ ...asked, actions });
  }
  return out;
}

function issue(opts: TokenServerOptions, user: string | undefined, scopes: string[]): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', x5c: [opts.x5c] };
  const claims = {
    iss: opts.issuer,
    sub: user ?? '',
    aud: opts.service,
    exp: now + EXPIRES_IN,
    nbf: now - 10,
    iat: now,
    jti: randomUUID(),
    access: grantedAccess(opts, user, scopes),
  };
  const signingInput = `${b64url(header)}.${b64url(claims)}`;
  const signature = sign('sha256', Buffer.from(signingInput), opts.signingKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  if (header === undefined || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function checkPassword(users: Record<string, string>, username: string, password: string): boolean {
  const expected = Object.hasOwn(users, username) ? users[username] : undefined;
  if (expected === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(password);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The form is tiny: anything larger is a bug in the client under test. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req, MAX_BODY, 'request body')).toString('utf8'));
}

function send(res: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...reply.headers,
  });
  res.end(body);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const addr = server.address();
      if (typeof addr !== 'object' || addr === null) reject(new Error('token server has no address'));
      else resolve(`http://127.0.0.1:${addr.port}`);
    });
  });
}
