import { createHash } from 'node:crypto';
import {
  credentialKey,
  pingRegistry,
  RegistrySession,
  retryAfter,
  type AuthFailure,
  type EndpointPolicy,
  type PingResult,
} from './authorizer.js';
import { hostname, isLoopbackHost } from './guard.js';
import { Limiter } from './limiter.js';
import {
  configDigest,
  configPlatform,
  errorCode,
  indexEntries,
  isImageManifest,
  isIndex,
  MANIFEST_ACCEPT,
  manifestMediaType,
  parseJson,
} from './media-types.js';
import { matchPlatform } from './platforms.js';
import {
  isFailure,
  Transport,
  type HttpResponse,
  type NetworkFailure,
  type TransportOptions,
} from './transport.js';
import type { BasicCredential, ManifestProbe, Platform, ProbeOutcome, RateLimitInfo } from './types.js';

export interface RegistryClientOptions {
  transport?: Partial<TransportOptions>;
  /** Hosts (host[:port]) that may be plain HTTP or have unverifiable TLS. */
  insecureRegistries?: string[];
  concurrency?: number;
  perRegistryConcurrency?: number;
  /** Pages of `/tags/list` followed at most. */
  maxTagPages?: number;
}

export type TagListing =
  | { tags: string[]; truncated: boolean }
  /** 404 NAME_UNKNOWN: distribution 2.x says MANIFEST_UNKNOWN for a missing repository; this tells. */
  | { repositoryUnknown: true }
  | { failure: string };

const DOCKER_HUB = 'docker.io';
const TAGS_PAGE_SIZE = 1000;

/**
 * Asks registries what the kubelet would get: a resolver (ping, auth), a fetcher (manifest, index,
 * config) and a tag lister, sharing one transport. Every probe is deduplicated by (registry,
 * repository, reference, credential, platforms).
 */
export class RegistryClient {
  readonly transport: Transport;
  readonly rateLimits = new Map<string, RateLimitInfo>();
  /** Registries contacted, for the summary. */
  readonly contacted = new Set<string>();
  private readonly pings = new Map<string, Promise<PingResult | AuthFailure>>();
  private readonly sessions = new Map<string, RegistrySession>();
  private readonly probes = new Map<string, Promise<ProbeOutcome>>();
  private readonly tagListings = new Map<string, Promise<TagListing>>();
  private readonly global: Limiter;
  private readonly perRegistry = new Map<string, Limiter>();
  private readonly insecure: Set<string>;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.transport = new Transport(options.transport);
    this.global = new Limiter(options.concurrency ?? 16);
    this.insecure = new Set((options.insecureRegistries ?? []).map((host) => host.toLowerCase()));
  }

  private policy(apiHost: string): EndpointPolicy {
    const insecure =
      this.insecure.has(apiHost.toLowerCase()) || this.insecure.has(hostname(apiHost).toLowerCase());
    const plainHttpAllowed = insecure || isLoopbackHost(hostname(apiHost));
    return {
      origins: plainHttpAllowed ? [`https://${apiHost}`, `http://${apiHost}`] : [`https://${apiHost}`],
      insecureTls: insecure,
      allowPlainHttpRealm: plainHttpAllowed,
    };
  }

  private ping(apiHost: string): Promise<PingResult | AuthFailure> {
    let ping = this.pings.get(apiHost);
    if (!ping) {
      ping = pingRegistry(this.transport, apiHost, this.policy(apiHost));
      this.pings.set(apiHost, ping);
    }
    return ping;
  }

  private session(apiHost: string, credential: BasicCredential | undefined): RegistrySession {
    const key = `${apiHost} ${credentialKey(credential)}`;
    let session = this.sessions.get(key);
    if (!session) {
      const allowPlainHttpRealm = this.policy(apiHost).allowPlainHttpRealm;
      session = new RegistrySession(
        this.transport,
        () => this.ping(apiHost),
        allowPlainHttpRealm,
        credential,
      );
      this.sessions.set(key, session);
    }
    return session;
  }

  private limiter(apiHost: string): Limiter {
    let limiter = this.perRegistry.get(apiHost);
    if (!limiter) {
      limiter = new Limiter(this.options.perRegistryConcurrency ?? 6);
      this.perRegistry.set(apiHost, limiter);
    }
    return limiter;
  }

  private limited<T>(apiHost: string, work: () => Promise<T>): Promise<T> {
    // The registry's own slot first, so a busy registry does not hold global slots while it waits.
    return this.limiter(apiHost).run(() => this.global.run(work));
  }

  /**
   * Starts one ping and one token request per registry and credential for all these probes, and
   * returns at once: each probe waits only for its own registry's token, never for another's.
   */
  prepare(probes: ManifestProbe[]): void {
    const groups = new Map<RegistrySession, { apiHost: string; repositories: string[] }>();
    for (const probe of probes) {
      const session = this.session(probe.apiHost, probe.credential);
      const group = groups.get(session);
      if (group) group.repositories.push(probe.repository);
      else groups.set(session, { apiHost: probe.apiHost, repositories: [probe.repository] });
    }
    for (const [session, { apiHost, repositories }] of groups) {
      // Failures surface again, as findings, when the probes ask for their tokens.
      void this.limited(apiHost, () => session.prefetch(repositories)).catch(() => undefined);
    }
  }

  probe(probe: ManifestProbe): Promise<ProbeOutcome> {
    const key = [
      probe.apiHost,
      probe.repository,
      probe.reference,
      credentialKey(probe.credential),
      probe.platforms.map((p) => `${p.os}/${p.architecture}/${p.variant ?? ''}`).join(','),
      probe.inspectConfig ? 'config' : '',
    ].join(' ');
    let outcome = this.probes.get(key);
    if (!outcome) {
      outcome = this.limited(probe.apiHost, () => this.doProbe(probe));
      this.probes.set(key, outcome);
    }
    return outcome;
  }

  private async doProbe(probe: ManifestProbe): Promise<ProbeOutcome> {
    this.contacted.add(probe.domain);
    const session = this.session(probe.apiHost, probe.credential);
    const auth = await session.authorization(probe.repository);
    if ('kind' in auth) return authFailureOutcome(auth);
    const base = `${auth.ping.origin}/v2/${probe.repository}`;
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    if (auth.header) headers.authorization = auth.header;
    const request = { headers, insecureTls: auth.ping.insecureTls };
    const url = `${base}/manifests/${probe.reference}`;
    // Docker Hub counts a manifest GET as a pull; a HEAD is free. Elsewhere one GET says everything.
    const hub = probe.domain === DOCKER_HUB;
    let response = await this.transport.request(hub ? 'head' : 'get', url, {
      ...request,
      method: hub ? 'HEAD' : 'GET',
    });
    if (isFailure(response)) return unreachable(response);
    this.recordRateLimit(probe.domain, response);
    if (hub && response.status === 404) {
      // A HEAD has no error body; a GET of a missing manifest tells tag from repository.
      const detailed = await this.transport.request('get', url, { ...request, method: 'GET' });
      if (!isFailure(detailed)) response = detailed;
    }
    if (response.status !== 200) return this.errorOutcome(response, probe, session, auth.ping);

    let body = response.body.length ? parseJson(response.body) : undefined;
    const mediaType = manifestMediaType(response.headers['content-type'], body) ?? 'unknown';
    const digest =
      response.headers['docker-content-digest'] || (response.body.length ? sha256(response.body) : undefined);
    const exists: Extract<ProbeOutcome, { kind: 'exists' }> = {
      kind: 'exists',
      mediaType,
      ...(digest ? { digest } : {}),
    };
    const wantsBody =
      probe.platforms.length > 0 &&
      (isIndex(mediaType) || (isImageManifest(mediaType) && probe.inspectConfig === true));
    if (wantsBody && body === undefined) {
      const full = await this.transport.request('get', url, { ...request, method: 'GET' });
      if (isFailure(full)) return unreachable(full);
      if (full.status !== 200) return this.errorOutcome(full, probe, session, auth.ping);
      body = parseJson(full.body);
    }
    if (isIndex(mediaType) && probe.platforms.length > 0) {
      const entries = indexEntries(body);
      exists.index = {
        available: entries.map(({ digest: _digest, ...platform }) => platform),
        matches: probe.platforms.map((wanted) => matchPlatform(wanted, entries)),
      };
    } else if (wantsBody && isImageManifest(mediaType)) {
      const platform = await this.imagePlatform(base, configDigest(body), request);
      if ('failure' in platform) exists.imagePlatformUnknown = platform.failure;
      else exists.imagePlatform = platform;
    }
    return exists;
  }

  private async imagePlatform(
    base: string,
    digest: string | undefined,
    request: object,
  ): Promise<Platform | NetworkFailure> {
    if (!digest) return { failure: 'the manifest names no config blob' };
    const response = await this.transport.request('blob', `${base}/blobs/${digest}`, {
      ...request,
      method: 'GET',
    });
    if (isFailure(response)) return response;
    if (response.status !== 200) return { failure: `the config blob answered ${response.status}` };
    return (
      configPlatform(parseJson(response.body)) ?? { failure: 'the config blob names no os/architecture' }
    );
  }

  private errorOutcome(
    response: HttpResponse,
    probe: ManifestProbe,
    session: RegistrySession,
    ping: PingResult,
  ): ProbeOutcome {
    const { code, message } = errorCode(response.body);
    switch (response.status) {
      case 404:
        return code === 'NAME_UNKNOWN' ? { kind: 'name-unknown' } : { kind: 'manifest-unknown' };
      case 401:
        // A 401 that offered no challenge we can answer says nothing about the credentials, which
        // were never sent: the registry is misbehaving.
        if (!ping.challenge) {
          const offered = response.headers['www-authenticate'];
          return {
            kind: 'server-error',
            status: 401,
            reason: `401 without a usable WWW-Authenticate challenge (${offered ? `got "${offered.slice(0, 80)}"` : 'none'})`,
          };
        }
        return {
          kind: 'unauthorized',
          withCredential: probe.credential !== undefined,
          ambiguous: session.isAmbiguous401(ping),
          ...(message ? { detail: message } : {}),
        };
      case 403:
        return { kind: 'denied', ...(message ? { detail: message } : {}) };
      case 429: {
        const limits = this.rateLimits.get(probe.domain);
        return {
          kind: 'rate-limited',
          ...retryAfter(response.headers['retry-after']),
          ...(limits ? { limit: limits.limit, remaining: limits.remaining } : {}),
        };
      }
      default:
        return {
          kind: 'server-error',
          status: response.status,
          reason: `${response.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
        };
    }
  }

  private recordRateLimit(domain: string, response: HttpResponse): void {
    const limit = response.headers['ratelimit-limit'];
    const remaining = response.headers['ratelimit-remaining'];
    if (limit !== undefined && remaining !== undefined) this.rateLimits.set(domain, { limit, remaining });
  }

  /** Every tag of a repository, following `Link` pagination up to a bound; once per repository and credential. */
  listTags(
    domain: string,
    apiHost: string,
    repository: string,
    credential?: BasicCredential,
  ): Promise<TagListing> {
    const key = `${apiHost} ${repository} ${credentialKey(credential)}`;
    let listing = this.tagListings.get(key);
    if (!listing) {
      listing = this.fetchTags(domain, apiHost, repository, credential);
      this.tagListings.set(key, listing);
    }
    return listing;
  }

  private fetchTags(
    domain: string,
    apiHost: string,
    repository: string,
    credential: BasicCredential | undefined,
  ): Promise<TagListing> {
    return this.limited(apiHost, async () => {
      const session = this.session(apiHost, credential);
      const auth = await session.authorization(repository);
      if ('kind' in auth) return { failure: auth.kind };
      const headers: Record<string, string> = auth.header ? { authorization: auth.header } : {};
      const tags: string[] = [];
      let url: string | undefined = `${auth.ping.origin}/v2/${repository}/tags/list?n=${TAGS_PAGE_SIZE}`;
      const maxPages = this.options.maxTagPages ?? 10;
      for (let page = 0; url && page < maxPages; page++) {
        const response: HttpResponse | NetworkFailure = await this.transport.request('tags', url, {
          headers,
          insecureTls: auth.ping.insecureTls,
        });
        if (isFailure(response)) return response;
        this.recordRateLimit(domain, response);
        if (response.status === 404 && errorCode(response.body).code === 'NAME_UNKNOWN')
          return { repositoryUnknown: true };
        if (response.status !== 200) return { failure: `tags list answered ${response.status}` };
        const body = parseJson(response.body) as { tags?: unknown } | undefined;
        if (Array.isArray(body?.tags))
          tags.push(...body.tags.filter((tag): tag is string => typeof tag === 'string'));
        url = nextPage(response.headers.link, url);
      }
      return { tags, truncated: url !== undefined };
    });
  }

  requestCounts(): Record<string, number> {
    return { ...this.transport.counts };
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** The `rel="next"` target of a Link header, only on the same origin. */
export function nextPage(link: string | undefined, current: string): string | undefined {
  const match = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (!match) return undefined;
  const next = new URL(match[1]!, current);
  return next.origin === new URL(current).origin ? next.href : undefined;
}

function sha256(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

function unreachable(failure: NetworkFailure): ProbeOutcome {
  return failure.failure.includes('link-local')
    ? { kind: 'refused', reason: failure.failure }
    : { kind: 'unreachable', reason: failure.failure };
}

function authFailureOutcome(failure: AuthFailure): ProbeOutcome {
  return failure;
}
