import { credentialKey, pingRegistry, RegistrySession, type PingResult } from './authorizer.js';
import { EndpointResolver } from './endpoint.js';
import { ManifestFetcher } from './fetcher.js';
import { Limiter, RegistryGate } from './limiter.js';
import { listTags, type TagListing } from './tags.js';
import { Transport, type TransportOptions } from './transport.js';
import type {
  BasicCredential,
  ChildManifestStatus,
  ManifestProbe,
  ProbeFailure,
  ProbeOutcome,
  RateLimitInfo,
} from './types.js';

export type { TagListing } from './tags.js';

/** The limits are the settings table's (timeout, concurrency, per-registry-concurrency): required, no default here. */
export interface RegistryClientOptions {
  transport: Partial<TransportOptions> & Pick<TransportOptions, 'requestTimeoutMs'>;
  /** Hosts (host[:port]) that may be plain HTTP or have unverifiable TLS. */
  insecureRegistries?: string[];
  /** Requests in flight at once, all registries together. */
  concurrency: number;
  /** Requests in flight at once per registry host (token services count as their own host). */
  perRegistryConcurrency: number;
  /** Pages of `/tags/list` followed at most. */
  maxTagPages?: number;
  /** A failed ping is asked again after this many ms (default 2 s), not remembered for the run. */
  failedPingTtlMs?: number;
}

/** A failed ping is asked again after this, not remembered for the whole run. */
const PING_FAILURE_TTL_MS = 2_000;

interface CachedPing {
  result: Promise<PingResult | ProbeFailure>;
  /** When it resolved to a failure (`performance.now()`); undefined while pending or on success. */
  failedAt?: number;
}

/**
 * Asks registries what the kubelet would get. A facade, like containerd's resolver: the endpoint
 * resolver says where requests go, the authorizer pings and fetches tokens, the fetcher reads
 * manifests, the tag lister pages tags. This class only adds what they share: caches (every probe
 * is deduplicated by registry, repository, reference, credential and platforms) and limits (a
 * global one and a polite one per registry host, taken per attempt by the transport).
 */
export class RegistryClient {
  readonly transport: Transport;
  readonly rateLimits = new Map<string, RateLimitInfo>();
  /** Registries contacted, for the summary. */
  readonly contacted = new Set<string>();
  private readonly endpoints: EndpointResolver;
  private readonly fetcher: ManifestFetcher;
  private readonly pings = new Map<string, CachedPing>();
  private readonly sessions = new Map<string, RegistrySession>();
  private readonly probes = new Map<string, Promise<ProbeOutcome>>();
  private readonly tagListings = new Map<string, Promise<TagListing>>();
  /** Child manifests checked, by registry, repository, digest and credential: shared by every image. */
  private readonly children = new Map<string, Promise<ChildManifestStatus>>();
  private readonly global: Limiter;
  private readonly gates = new Map<string, RegistryGate>();

  constructor(private readonly options: RegistryClientOptions) {
    this.transport = new Transport({
      connectionsPerOrigin: options.perRegistryConcurrency,
      ...options.transport,
      gate: (host) => this.gate(host),
    });
    this.global = new Limiter(options.concurrency);
    this.endpoints = new EndpointResolver(options.insecureRegistries);
    this.fetcher = new ManifestFetcher(this.transport, this.rateLimits);
  }

  /** One ping per registry; a failure other than a guard's refusal is asked again after a while. */
  private ping(apiHost: string): Promise<PingResult | ProbeFailure> {
    const cached = this.pings.get(apiHost);
    if (
      cached &&
      (cached.failedAt === undefined ||
        performance.now() - cached.failedAt < (this.options.failedPingTtlMs ?? PING_FAILURE_TTL_MS))
    )
      return cached.result;
    const entry: CachedPing = {
      result: pingRegistry(this.transport, apiHost, this.endpoints.resolve(apiHost)),
    };
    void entry.result.then((ping) => {
      if ('kind' in ping && ping.kind !== 'refused') entry.failedAt = performance.now();
    });
    this.pings.set(apiHost, entry);
    return entry.result;
  }

  private session(apiHost: string, credential: BasicCredential | undefined): RegistrySession {
    const key = `${apiHost} ${credentialKey(credential)}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = new RegistrySession(
        this.transport,
        () => this.ping(apiHost),
        this.endpoints.resolve(apiHost).allowPlainHttpRealm,
        credential,
      );
      this.sessions.set(key, session);
    }
    return session;
  }

  private gate(host: string): RegistryGate {
    let gate = this.gates.get(host);
    if (!gate) {
      gate = new RegistryGate(this.options.perRegistryConcurrency, this.global);
      this.gates.set(host, gate);
    }
    return gate;
  }

  /**
   * Starts one ping and one token request per registry and credential for all these probes, and
   * returns at once: each probe waits only for its own registry's token, never for another's.
   */
  prepare(probes: ManifestProbe[]): void {
    const groups = new Map<RegistrySession, string[]>();
    for (const probe of probes) {
      const session = this.session(probe.apiHost, probe.credential);
      const group = groups.get(session);
      if (group) group.push(probe.repository);
      else groups.set(session, [probe.repository]);
    }
    for (const [session, repositories] of groups) {
      // Failures surface again, as findings, when the probes ask for their tokens.
      void session.prefetch(repositories).catch(() => undefined);
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
    return once(this.probes, key, () => this.doProbe(probe));
  }

  /**
   * One uncached HEAD of the manifest, with the registry's cached ping and token: what a wait for a
   * missing image repeats, and nothing more.
   */
  async recheck(probe: ManifestProbe): Promise<ChildManifestStatus> {
    const auth = await this.session(probe.apiHost, probe.credential).authorization(probe.repository);
    return 'kind' in auth ? { unknown: auth.kind } : this.fetcher.presence(probe, auth);
  }

  /** Forgets the probes of one manifest (it has appeared), so the next probe asks the registry again. */
  forget(probe: ManifestProbe): void {
    const prefix = `${probe.apiHost} ${probe.repository} ${probe.reference} `;
    for (const key of this.probes.keys()) if (key.startsWith(prefix)) this.probes.delete(key);
  }

  private async doProbe(probe: ManifestProbe): Promise<ProbeOutcome> {
    this.contacted.add(probe.domain);
    const session = this.session(probe.apiHost, probe.credential);
    const auth = await session.authorization(probe.repository);
    if ('kind' in auth) return auth;
    const outcome = await this.fetcher.fetch(probe, auth, session.isAmbiguous401(auth.ping));
    if (outcome.kind === 'exists' && outcome.index) {
      // The child containerd would GET next: once per digest and credential, whichever image asks.
      await Promise.all(
        outcome.index.matches.map(async (match) => {
          if (!match.matched) return;
          const { digest } = match.matched;
          const key = [probe.apiHost, probe.repository, digest, credentialKey(probe.credential)].join(' ');
          match.child = await once(this.children, key, () => this.fetcher.childManifest(probe, auth, digest));
        }),
      );
    }
    return outcome;
  }

  /** Every tag of a repository, following `Link` pagination up to a bound; once per repository and credential. */
  listTags(
    domain: string,
    apiHost: string,
    repository: string,
    credential?: BasicCredential,
  ): Promise<TagListing> {
    const key = `${apiHost} ${repository} ${credentialKey(credential)}`;
    return once(this.tagListings, key, async (): Promise<TagListing> => {
      const auth = await this.session(apiHost, credential).authorization(repository);
      if ('kind' in auth) return { failure: auth.kind };
      return listTags(this.transport, repository, auth, this.options.maxTagPages ?? 10, (response) =>
        this.fetcher.record(domain, response),
      );
    });
  }

  requestCounts(): Record<string, number> {
    return { ...this.transport.counts };
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** The promise cached under `key`, started by `start` the first time: concurrent askers share one request. */
function once<V>(cache: Map<string, Promise<V>>, key: string, start: () => Promise<V>): Promise<V> {
  let value = cache.get(key);
  if (!value) {
    value = start();
    cache.set(key, value);
  }
  return value;
}
