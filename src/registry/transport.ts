import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Pool, type Dispatcher } from 'undici';
import { isForbiddenAddress } from './guard.js';
import type { Gate, Report } from './limiter.js';

/**
 * HTTP for registries: a keep-alive pool per origin (or one injected dispatcher), timeouts, bounded
 * retries with back-off and jitter, bounded bodies, and redirects that never carry credentials to
 * another origin. Failures come back as data.
 *
 * Retry rules, compared with go-containerregistry (3 attempts, 1 s then 3 s; 408/429/5xx/499/522 and
 * resets/EOF) and containerd (5 attempts; 408/429 at once, 500/503/504 once, transport errors after
 * 50 ms): we send manifest checks, small latency-bound requests, so we make more attempts (7) with a
 * short capped back-off (full jitter, 100 ms doubling, at most 2 s), honour Retry-After up to a bound,
 * and never hold a registry slot while waiting. A stalled server does not hold a slot for the full
 * timeout: an attempt waits `firstByteTimeoutMs` for response headers, twice as long after each
 * attempt that timed out, up to `requestTimeoutMs`, so a slow-but-alive registry still gets its answer.
 */

export type RequestKind = 'ping' | 'token' | 'head' | 'get' | 'blob' | 'tags';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
  url: string;
}

/** What went wrong below HTTP, for callers to branch on (never on the wording of `failure`). */
export type NetworkCause =
  /** A guard refused a link-local/metadata address (directly, by DNS, or by redirect). */
  | 'forbidden-address'
  /** TLS failed: an untrusted or invalid certificate. */
  | 'tls'
  /** The server answered TLS with something else: it speaks plain HTTP. */
  | 'no-https'
  | 'dns'
  | 'refused'
  | 'reset'
  | 'timeout'
  /** Too many redirects, or one to a scheme we do not follow. */
  | 'redirect'
  /** The body exceeded the bound. */
  | 'too-large'
  | 'other';

export interface NetworkFailure {
  /** Plain-English reason, for people. */
  failure: string;
  cause: NetworkCause;
  /** Worth another attempt (a reset, a timeout), as opposed to a certain answer (TLS, DNS, a guard). */
  transient?: boolean;
}

export interface TransportOptions {
  /** Used for every origin when given (tests inject undici's MockAgent); else a Pool per origin. */
  dispatcher?: Dispatcher;
  /** Extra trusted CA certificates (PEM), added to Node's (which honours NODE_EXTRA_CA_CERTS). */
  ca?: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Response headers must arrive within this; each attempt that timed out doubles it (≤ requestTimeoutMs). */
  firstByteTimeoutMs: number;
  /** Extra attempts after the first for resets, timeouts, 5xx and 429. */
  retries: number;
  /** Back-off before retry n (0-based): random in [0, min(cap, base × 2^n)]. */
  backoffBaseMs: number;
  backoffCapMs: number;
  /**
   * No retry starts once the attempts themselves (waits between them aside, which hold no slot) took
   * this long in all: a stalled or trickling server gets a few timeouts, not seven (default: 2 ×
   * requestTimeoutMs).
   */
  retryBudgetMs: number;
  /** Longest Retry-After honoured; a longer one ends the retries. */
  maxRetryAfterMs: number;
  maxBodyBytes: number;
  /** Keep-alive connections per origin: as many as the registry may have requests in flight. */
  connectionsPerOrigin: number;
  /** The slot each attempt on a host holds (the facade's per-registry limits); none: unlimited. */
  gate?: (host: string) => Gate;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** The scan's deadline (max-duration): once aborted, nothing more is sent and requests in flight end. */
  signal?: AbortSignal;
}

/**
 * What the settings table decides (timeout, per-registry-concurrency): every caller passes them (the
 * scan from the settings), so this stage has no default of its own and never reads the settings.
 */
export type TransportLimits = Pick<TransportOptions, 'requestTimeoutMs' | 'connectionsPerOrigin'>;

export const DEFAULT_TRANSPORT_OPTIONS: Omit<TransportOptions, keyof TransportLimits> = {
  connectTimeoutMs: 5_000,
  firstByteTimeoutMs: 2_000,
  retries: 6,
  backoffBaseMs: 100,
  backoffCapMs: 2_000,
  retryBudgetMs: 30_000,
  maxRetryAfterMs: 10_000,
  maxBodyBytes: 4 * 1024 * 1024,
};

export interface RequestOptions {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Skip TLS verification: only for registries the user listed as insecure. */
  insecureTls?: boolean;
}

/** go-containerregistry's list: timeouts, rate limits, server errors, nginx 499, Cloudflare 522. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504, 499, 522]);
const MAX_REDIRECTS = 3;

export function isFailure(value: HttpResponse | NetworkFailure): value is NetworkFailure {
  return 'failure' in value;
}

/** Refuses to connect to link-local / metadata addresses, whatever name resolved to them. */
function guardedLookup(
  hostname: string,
  options: object,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const list = addresses as LookupAddress[];
    const forbidden = list.find((entry) => isForbiddenAddress(entry.address));
    if (forbidden) {
      const refusal: NodeJS.ErrnoException = new Error(
        `${hostname} resolves to ${forbidden.address}, a link-local/metadata address`,
      );
      refusal.code = 'EFORBIDDENADDRESS';
      return callback(refusal, []);
    }
    if ((options as { all?: boolean }).all) return callback(null, list);
    return callback(null, list[0]!.address, list[0]!.family);
  });
}

export class Transport {
  readonly counts: Record<RequestKind, number> = { ping: 0, token: 0, head: 0, get: 0, blob: 0, tags: 0 };
  private readonly pools = new Map<string, Dispatcher>();
  private readonly options: TransportOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(options: Partial<TransportOptions> & TransportLimits) {
    // Two full timeouts: a stalled or trickling server cannot hold one request for seven of them.
    this.options = { ...DEFAULT_TRANSPORT_OPTIONS, retryBudgetMs: 2 * options.requestTimeoutMs, ...options };
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  private dispatcherFor(origin: string, insecureTls: boolean): Dispatcher {
    if (this.options.dispatcher) return this.options.dispatcher;
    const key = `${insecureTls ? 'insecure ' : ''}${origin}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const connect: Record<string, unknown> = {
        timeout: this.options.connectTimeoutMs,
        lookup: guardedLookup,
      };
      if (this.options.ca) connect.ca = this.options.ca;
      if (insecureTls) connect.rejectUnauthorized = false;
      pool = new Pool(origin, {
        connections: this.options.connectionsPerOrigin,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        headersTimeout: this.options.requestTimeoutMs,
        bodyTimeout: this.options.requestTimeoutMs,
        connect,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** One logical request: retried, redirected and bounded. */
  async request(
    kind: RequestKind,
    url: string,
    options: RequestOptions = {},
  ): Promise<HttpResponse | NetworkFailure> {
    this.counts[kind]++;
    let busyMs = 0;
    const gate = this.options.gate?.(new URL(url).host);
    let last: HttpResponse | NetworkFailure = { failure: 'no attempt made', cause: 'other' };
    let timeouts = 0;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (this.options.signal?.aborted) return pastDeadline();
      // Only a server that was too slow gets longer: after resets or 5xx it is not slow, it is failing.
      const headersTimeoutMs = Math.min(
        this.options.requestTimeoutMs,
        this.options.firstByteTimeoutMs * 2 ** timeouts,
      );
      const send = async (report?: Report) => {
        // A request that waited for its slot past the deadline is not sent.
        if (this.options.signal?.aborted) return pastDeadline();
        const began = performance.now();
        try {
          const result = await this.followRedirects(url, options, headersTimeoutMs);
          if (!isFailure(result)) report?.(result.status === 429);
          return result;
        } finally {
          busyMs += performance.now() - began;
        }
      };
      last = gate ? await gate.run(send) : await send();
      if (isFailure(last) && last.cause === 'timeout') timeouts++;
      const retryable = isFailure(last) ? last.transient === true : RETRY_STATUSES.has(last.status);
      if (!retryable || attempt === this.options.retries) break;
      const wait = this.backoff(attempt, isFailure(last) ? undefined : last.headers['retry-after']);
      if (wait === undefined || busyMs >= this.options.retryBudgetMs) break;
      if (this.options.signal?.aborted) return pastDeadline();
      await this.sleep(wait); // holding no slot
    }
    return last;
  }

  /** Exponential back-off with full jitter, capped; Retry-After wins when it is short enough. */
  private backoff(attempt: number, retryAfter: string | undefined): number | undefined {
    if (retryAfter !== undefined) {
      const seconds = Number(retryAfter);
      const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
      if (Number.isFinite(ms)) return ms > this.options.maxRetryAfterMs ? undefined : Math.max(0, ms);
    }
    const ceiling = Math.min(this.options.backoffCapMs, this.options.backoffBaseMs * 2 ** attempt);
    return Math.round(this.random() * ceiling);
  }

  private async followRedirects(
    url: string,
    options: RequestOptions,
    headersTimeoutMs: number,
  ): Promise<HttpResponse | NetworkFailure> {
    let current = url;
    let headers = { ...options.headers };
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const response = await this.once(current, { ...options, headers }, headersTimeoutMs);
      if (
        isFailure(response) ||
        response.status < 300 ||
        response.status >= 400 ||
        !response.headers.location
      ) {
        return response;
      }
      const next = new URL(response.headers.location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        return { failure: `redirected to an unsupported scheme ${next.protocol}`, cause: 'redirect' };
      }
      if (isForbiddenAddress(next.hostname)) {
        return {
          failure: `redirected to ${next.hostname}, a link-local/metadata address`,
          cause: 'forbidden-address',
        };
      }
      // Credentials are for the registry's origin only (as Docker and containerd do).
      if (next.origin !== new URL(current).origin) {
        headers = Object.fromEntries(
          Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'),
        );
      }
      current = next.href;
    }
    return { failure: `more than ${MAX_REDIRECTS} redirects`, cause: 'redirect' };
  }

  private async once(
    url: string,
    options: RequestOptions,
    headersTimeoutMs: number,
  ): Promise<HttpResponse | NetworkFailure> {
    const target = new URL(url);
    if (isForbiddenAddress(target.hostname)) {
      return { failure: `${target.hostname} is a link-local/metadata address`, cause: 'forbidden-address' };
    }
    const dispatcher = this.dispatcherFor(target.origin, options.insecureTls === true);
    const method = options.method ?? 'GET';
    // A stalled server is given up on at the headers deadline; a slow body at the request deadline.
    const headersDeadline = new AbortController();
    const timer = setTimeout(() => headersDeadline.abort(timeoutError()), headersTimeoutMs);
    try {
      const response = await dispatcher.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method,
        headers: { 'user-agent': 'imagepull-preflight', ...options.headers },
        body: options.body ?? null,
        signal: AbortSignal.any([
          AbortSignal.timeout(this.options.requestTimeoutMs),
          headersDeadline.signal,
          ...(this.options.signal ? [this.options.signal] : []),
        ]),
      });
      clearTimeout(timer);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      const body =
        method === 'HEAD' ? Buffer.alloc(0) : await readBounded(response.body, this.options.maxBodyBytes);
      if (method === 'HEAD') await response.body.dump().catch(() => undefined);
      if (body === undefined) {
        return {
          failure: `response body larger than ${this.options.maxBodyBytes} bytes`,
          cause: 'too-large',
        };
      }
      return { status: response.statusCode, headers, body, url };
    } catch (error) {
      return describeNetworkError(error, target);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close().catch(() => undefined)));
    this.pools.clear();
  }
}

function pastDeadline(): NetworkFailure {
  return { failure: 'the scan reached max-duration', cause: 'timeout' };
}

function timeoutError(): Error {
  const error = new Error('no response headers in time');
  error.name = 'TimeoutError';
  return error;
}

async function readBounded(
  body: AsyncIterable<Buffer> & { destroy(): void },
  max: number,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Plain-English reasons, naming the cause the kubelet would also hit (DNS, refused, TLS, timeout). */
export function describeNetworkError(error: unknown, target: URL): NetworkFailure {
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const cause = err?.cause ?? err;
  const code = cause?.code ?? err?.code ?? '';
  const message = cause?.message ?? '';
  const host = target.host;
  const certain = (cause: NetworkCause, failure: string): NetworkFailure => ({
    failure,
    cause,
    transient: false,
  });
  const transient = (cause: NetworkCause, failure: string): NetworkFailure => ({
    failure,
    cause,
    transient: true,
  });
  if (cause?.code === 'EFORBIDDENADDRESS') return certain('forbidden-address', cause.message);
  if (code === 'ENOTFOUND') return certain('dns', `DNS lookup of ${target.hostname} failed (${code})`);
  if (code === 'EAI_AGAIN') return transient('dns', `DNS lookup of ${target.hostname} failed (${code})`);
  if (code === 'ECONNREFUSED') return transient('refused', `connection to ${host} refused`);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return transient('reset', `connection to ${host} was reset`);
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return transient('timeout', `connecting to ${host} timed out`);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || err?.name === 'TimeoutError') {
    return transient('timeout', `${host} did not answer in time`);
  }
  if (code === 'UND_ERR_HEADERS_OVERFLOW') return certain('other', `${host} sent response headers too large`);
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(message)) {
    return certain('no-https', `TLS to ${host} failed: the server does not speak HTTPS`);
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code) || /certificate|ssl|tls/i.test(message)) {
    return certain('tls', `TLS to ${host} failed: ${message || code}`);
  }
  return transient(
    'other',
    `request to ${host} failed: ${message || err?.message || String(error)}${code ? ` (${code})` : ''}`,
  );
}
