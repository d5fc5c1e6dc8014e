import { createHash } from 'node:crypto';
import { validateDigest } from '../reference/digest.js';
import type { PingResult } from './authorizer.js';
import { manifestErrorOutcome, networkOutcome, rateLimitOf } from './errors.js';
import {
  configDigest,
  configPlatform,
  indexEntries,
  isImageManifest,
  isIndex,
  MANIFEST_ACCEPT,
  manifestMediaType,
  parseJson,
} from './media-types.js';
import { matchPlatform } from './platforms.js';
import { isFailure, type HttpResponse, type RequestOptions, type Transport } from './transport.js';
import type { ChildManifestStatus, ManifestProbe, Platform, ProbeOutcome, RateLimitInfo } from './types.js';

/**
 * Reads what the kubelet would: the manifest (HEAD or GET), an index's platforms, and when asked a
 * single-platform image's config. Like containerd's fetcher it is given an authorized origin and
 * knows nothing of pings, tokens, caches or limits.
 */

export interface Authorization {
  ping: PingResult;
  header?: string;
}

const DOCKER_HUB = 'docker.io';

export class ManifestFetcher {
  constructor(
    private readonly transport: Transport,
    /** Pull quotas seen, per registry domain; updated from every answer. */
    private readonly rateLimits: Map<string, RateLimitInfo>,
  ) {}

  async fetch(probe: ManifestProbe, auth: Authorization, ambiguous401: boolean): Promise<ProbeOutcome> {
    const base = `${auth.ping.origin}/v2/${probe.repository}`;
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    if (auth.header) headers.authorization = auth.header;
    const request = { headers, insecureTls: auth.ping.insecureTls };
    const url = `${base}/manifests/${probe.reference}`;
    const failed = (response: HttpResponse): ProbeOutcome =>
      manifestErrorOutcome(response, {
        withCredential: probe.credential !== undefined,
        challenged: auth.ping.challenge !== undefined,
        ambiguous401,
        ...(this.rateLimits.has(probe.domain) ? { rateLimit: this.rateLimits.get(probe.domain)! } : {}),
      });
    // Docker Hub counts a manifest GET as a pull; a HEAD is free. Elsewhere one GET says everything.
    const hub = probe.domain === DOCKER_HUB;
    let response = await this.transport.request(hub ? 'head' : 'get', url, {
      ...request,
      method: hub ? 'HEAD' : 'GET',
    });
    if (isFailure(response)) return networkOutcome(response);
    this.record(probe.domain, response);
    if (hub && response.status === 404) {
      // A HEAD has no error body; a GET of a missing manifest tells tag from repository.
      const detailed = await this.transport.request('get', url, { ...request, method: 'GET' });
      if (!isFailure(detailed)) response = detailed;
    }
    if (response.status !== 200) return failed(response);

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
      if (isFailure(full)) return networkOutcome(full);
      if (full.status !== 200) return failed(full);
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
      if (typeof platform === 'string') exists.imagePlatformUnknown = platform;
      else exists.imagePlatform = platform;
    }
    return exists;
  }

  /**
   * Whether the registry still serves an index's child manifest: containerd resolves the tag to the
   * index, then GETs the child for the node's platform, and the pull fails if it is gone. A HEAD
   * (free on Docker Hub) is enough.
   */
  async childManifest(
    probe: ManifestProbe,
    auth: Authorization,
    digest: string,
  ): Promise<ChildManifestStatus> {
    // The digest comes from the registry's own index: never let it shape the URL path.
    const invalid = validateDigest(digest);
    if (invalid) return { unknown: `the index lists a digest containerd refuses (${invalid})` };
    return this.head(probe, auth, digest);
  }

  /** Whether the probed manifest exists now: what a wait for a missing image re-checks, nothing more. */
  presence(probe: ManifestProbe, auth: Authorization): Promise<ChildManifestStatus> {
    return this.head(probe, auth, probe.reference);
  }

  /** One HEAD of a manifest (free on Docker Hub): there, gone (404), or unknown (why). */
  private async head(
    probe: ManifestProbe,
    auth: Authorization,
    reference: string,
  ): Promise<ChildManifestStatus> {
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    if (auth.header) headers.authorization = auth.header;
    const url = `${auth.ping.origin}/v2/${probe.repository}/manifests/${reference}`;
    const response = await this.transport.request('head', url, {
      headers,
      insecureTls: auth.ping.insecureTls,
      method: 'HEAD',
    });
    if (isFailure(response)) return { unknown: response.failure };
    this.record(probe.domain, response);
    if (response.status === 200) return 'present';
    if (response.status === 404) return 'missing';
    return { unknown: `the registry answered ${response.status}` };
  }

  /** Records the pull quota an answer carries, for the summary and for 429 findings. */
  record(domain: string, response: HttpResponse): void {
    const limit = rateLimitOf(response);
    if (limit) this.rateLimits.set(domain, limit);
  }

  /** The platform a config blob names, or why it is unknown. */
  private async imagePlatform(
    base: string,
    digest: string | undefined,
    request: RequestOptions,
  ): Promise<Platform | string> {
    if (!digest) return 'the manifest names no config blob';
    const response = await this.transport.request('blob', `${base}/blobs/${digest}`, {
      ...request,
      method: 'GET',
    });
    if (isFailure(response)) return response.failure;
    if (response.status !== 200) return `the config blob answered ${response.status}`;
    return configPlatform(parseJson(response.body)) ?? 'the config blob names no os/architecture';
  }
}

function sha256(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
