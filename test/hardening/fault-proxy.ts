// A reverse proxy on 127.0.0.1 in front of one lab registry that injects deterministic faults.
// The fault of a request depends only on (seed, method, path, how many times that request was seen),
// never on arrival order, so a seed replays the same faults however the client schedules its requests.
import { createHash } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { seeded } from '../support/random.js';
import { readBody } from '../support/servers.js';

export type FaultKind = 'reset' | 'status5xx' | 'rateLimit' | 'stall' | 'truncate' | 'wrongType';

/** Probability of each fault per request; the rest pass through. `wrongType` only hits manifests/tags. */
export type FaultRates = Record<FaultKind, number>;

export const NO_FAULTS: FaultRates = {
  reset: 0,
  status5xx: 0,
  rateLimit: 0,
  stall: 0,
  truncate: 0,
  wrongType: 0,
};

export interface FaultProxyOptions {
  /** `http://127.0.0.1:PORT` of the registry behind the proxy. */
  target: string;
  /** `http://127.0.0.1:PORT` of its token server: realms naming it are rewritten to go through us. */
  tokenServer?: string;
  seed: number;
  rates: FaultRates;
  /** How long a stalled request is held before its socket is destroyed. */
  stallMs: number;
  /** Only requests whose path matches are faulted (default: all). */
  only?: RegExp;
  /** The Retry-After of every injected 429 (default: 0 or 1 at random). */
  retryAfterSeconds?: number;
}

export interface FaultCounts extends Record<FaultKind, number> {
  pass: number;
  requests: number;
  /** Of which for the token server (through the rewritten realm). */
  tokenRequests: number;
  /** Retry-After seconds handed out with 429s, summed. */
  retryAfterSeconds: number;
  /** Stalls the proxy had to end itself: the client never gave up waiting. */
  stallsOutwaited: number;
  /** Longest time a client waited on a stalled request before hanging up, in ms. */
  longestStallWaitMs: number;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`, to put in image references. */
  host: string;
  counts: FaultCounts;
  /** Bearer tokens clients presented to the registry. */
  bearerTokens: Set<string>;
  /** Tokens the token service issued through the proxy (`token`, `access_token`, `refresh_token`). */
  issuedTokens: Set<string>;
  /** Starts a new run: a new seed and rates (for paths matching `only`), counters and memory cleared. */
  reset(seed: number, rates: FaultRates, only?: RegExp): void;
  close(): Promise<void>;
}

const TOKEN_PREFIX = '/_token';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);
const FAULT_ORDER: FaultKind[] = ['reset', 'status5xx', 'rateLimit', 'stall', 'truncate', 'wrongType'];
/** Nothing a registry answers in this lab is larger; bounds what the proxy buffers. */
const MAX_BUFFER = 8 * 1024 * 1024;

function requestRandom(seed: number, key: string, occurrence: number): () => number {
  const digest = createHash('sha256').update(`${seed}\n${key}\n${occurrence}`).digest();
  return seeded(digest.readUInt32LE(0));
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let seed = options.seed;
  let rates = options.rates;
  let only = options.only;
  const seen = new Map<string, number>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const bearerTokens = new Set<string>();
  const issuedTokens = new Set<string>();
  const counts = emptyCounts();
  let host = '';

  const server = createServer((req, res) => {
    counts.requests++;
    const path = req.url ?? '/';
    const toToken = options.tokenServer !== undefined && path.startsWith(`${TOKEN_PREFIX}/`);
    if (toToken) counts.tokenRequests++;
    const auth = req.headers.authorization;
    if (auth && /^bearer /i.test(auth)) bearerTokens.add(auth.slice(7).trim());

    const key = `${req.method} ${path}`;
    const occurrence = (seen.get(key) ?? 0) + 1;
    seen.set(key, occurrence);
    const random = requestRandom(seed, key, occurrence);
    const fault =
      only && !only.test(path) ? undefined : pickFault(random(), rates, isManifestOrTags(path) && !toToken);
    if (fault) counts[fault]++;
    else counts.pass++;

    switch (fault) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'stall': {
        // Hold the request past the client's timeout; the client aborts first, or we hang up.
        const started = performance.now();
        const timer = setTimeout(() => {
          timers.delete(timer);
          counts.stallsOutwaited++;
          req.socket.destroy();
        }, options.stallMs);
        timers.add(timer);
        req.socket.once('close', () => {
          if (!timers.delete(timer)) return;
          clearTimeout(timer);
          counts.longestStallWaitMs = Math.max(counts.longestStallWaitMs, performance.now() - started);
        });
        return;
      }
      case 'status5xx': {
        const status = [500, 502, 503][Math.floor(random() * 3)]!;
        sendPlain(res, status, `injected ${status}`);
        return;
      }
      case 'rateLimit': {
        const coin = random();
        const seconds = options.retryAfterSeconds ?? (coin < 0.5 ? 0 : 1);
        counts.retryAfterSeconds += seconds;
        sendPlain(res, 429, '{"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]}', {
          'retry-after': String(seconds),
          'content-type': 'application/json',
        });
        return;
      }
      default:
        void forward(req, res, toToken, fault);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    toToken: boolean,
    fault: 'truncate' | 'wrongType' | undefined,
  ): Promise<void> {
    const base = new URL(toToken ? options.tokenServer! : options.target);
    const path = toToken ? req.url!.slice(TOKEN_PREFIX.length) : req.url!;
    try {
      const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
        const outgoing = httpRequest(
          {
            host: base.hostname,
            port: base.port,
            method: req.method,
            path,
            headers: { ...withoutHopByHop(req.headers), host: base.host },
            timeout: 10_000,
          },
          resolve,
        );
        outgoing.on('error', reject);
        outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timeout')));
        req.pipe(outgoing);
      });
      const body = await readBody(upstream, MAX_BUFFER, 'upstream body for the fault proxy');
      if (toToken && upstream.statusCode === 200) collectTokens(body, issuedTokens);
      const headers = withoutHopByHop(upstream.headers);
      const challenge = headers['www-authenticate'];
      if (options.tokenServer && typeof challenge === 'string') {
        headers['www-authenticate'] = challenge
          .split(options.tokenServer)
          .join(`http://${host}${TOKEN_PREFIX}`);
      }
      if (fault === 'wrongType') headers['content-type'] = 'text/html; charset=utf-8';
      delete headers['content-length'];
      if (fault === 'truncate' && req.method !== 'HEAD') {
        // Promise more than is sent, send half, hang up.
        res.writeHead(upstream.statusCode ?? 502, {
          ...headers,
          'content-length': String(body.length + 1 + Math.floor(body.length / 2)),
        });
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
        return;
      }
      res.writeHead(upstream.statusCode ?? 502, { ...headers, 'content-length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      if (!res.headersSent) sendPlain(res, 599, `proxy: ${(error as Error).message}`);
      else res.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('fault proxy has no address');
  host = `127.0.0.1:${address.port}`;

  return {
    host,
    counts,
    bearerTokens,
    issuedTokens,
    reset(nextSeed, nextRates, nextOnly) {
      seed = nextSeed;
      rates = nextRates;
      only = nextOnly;
      seen.clear();
      Object.assign(counts, emptyCounts());
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function collectTokens(body: Buffer, into: Set<string>): void {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    for (const key of ['token', 'access_token', 'refresh_token']) {
      const value = parsed[key];
      if (typeof value === 'string' && value !== '') into.add(value);
    }
  } catch {
    // not JSON: nothing issued
  }
}

function emptyCounts(): FaultCounts {
  return {
    reset: 0,
    status5xx: 0,
    rateLimit: 0,
    stall: 0,
    truncate: 0,
    wrongType: 0,
    pass: 0,
    requests: 0,
    tokenRequests: 0,
    retryAfterSeconds: 0,
    stallsOutwaited: 0,
    longestStallWaitMs: 0,
  };
}

function pickFault(r: number, rates: FaultRates, wrongTypeApplies: boolean): FaultKind | undefined {
  let threshold = 0;
  for (const kind of FAULT_ORDER) {
    threshold += rates[kind];
    if (r < threshold) return kind === 'wrongType' && !wrongTypeApplies ? undefined : kind;
  }
  return undefined;
}

function isManifestOrTags(path: string): boolean {
  return /\/(manifests\/[^/]+|tags\/list)(\?|$)/.test(path);
}

function withoutHopByHop(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) kept[name] = value;
  }
  return kept;
}

function sendPlain(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'text/plain',
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}
