import { createHash } from 'node:crypto';
import { parseChallenges, type Challenge } from './challenge.js';
import { tryNextOrigin, type Endpoint } from './endpoint.js';
import { networkOutcome, pingErrorOutcome, retryAfter } from './errors.js';
import { realmRefusal } from './guard.js';
import { isFailure, type Transport } from './transport.js';
import type { BasicCredential, ProbeFailure } from './types.js';

/**
 * The conversation before a manifest request, for one registry and one credential: ping `/v2/` once,
 * then Basic credentials or bearer tokens, cached per scope until they expire. Like containerd's
 * authorizer, credentials go only to the registry's origin and to the realm it names.
 */

export interface PingResult {
  /** `https://host` or, for loopback/insecure registries that do not speak TLS, `http://host`. */
  origin: string;
  challenge?: Challenge;
  insecureTls: boolean;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** How many scopes go in one token request; keeps URLs well under common limits. */
const SCOPES_PER_TOKEN_REQUEST = 40;
const DEFAULT_TOKEN_LIFETIME_S = 60;

export function basicHeader(credential: BasicCredential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}

/** A key that tells credentials apart without holding the secret in plain text. */
export function credentialKey(credential: BasicCredential | undefined): string {
  if (!credential) return 'anonymous';
  return `${credential.username}:${createHash('sha256').update(credential.password).digest('hex').slice(0, 16)}`;
}

/**
 * Pings `/v2/` to learn the scheme that works and the challenge. One per registry, shared by every
 * credential: the challenge does not depend on who asks.
 */
export async function pingRegistry(
  transport: Transport,
  host: string,
  endpoint: Endpoint,
): Promise<PingResult | ProbeFailure> {
  let lastFailure: ProbeFailure = { kind: 'unreachable', reason: '' };
  for (const origin of endpoint.origins) {
    const insecureTls = endpoint.insecureTls && origin.startsWith('https:');
    const response = await transport.request('ping', `${origin}/v2/`, { insecureTls });
    if (isFailure(response)) {
      lastFailure = networkOutcome(response);
      if (!tryNextOrigin(response)) break;
      continue;
    }
    if (response.status === 200) return { origin, insecureTls };
    if (response.status === 401) {
      const challenges = parseChallenges(response.headers['www-authenticate']);
      const challenge =
        challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
      return challenge ? { origin, challenge, insecureTls } : { origin, insecureTls };
    }
    return pingErrorOutcome(response, host);
  }
  return lastFailure;
}

export class RegistrySession {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pendingTokens = new Map<string, Promise<CachedToken | ProbeFailure>>();

  constructor(
    private readonly transport: Transport,
    readonly ping: () => Promise<PingResult | ProbeFailure>,
    private readonly allowPlainHttpRealm: boolean,
    readonly credential: BasicCredential | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Fetches one token for many repositories at once (one request per registry and credential). */
  async prefetch(repositories: string[]): Promise<void> {
    const ping = await this.ping();
    if ('kind' in ping || ping.challenge?.scheme !== 'bearer') return;
    const scopes = [...new Set(repositories)].map(pullScope).filter((scope) => !this.tokens.has(scope));
    for (let i = 0; i < scopes.length; i += SCOPES_PER_TOKEN_REQUEST) {
      await this.token(ping, scopes.slice(i, i + SCOPES_PER_TOKEN_REQUEST));
    }
  }

  /** The Authorization header for pulling `repository`, nothing when anonymous, or why not. */
  async authorization(repository: string): Promise<{ ping: PingResult; header?: string } | ProbeFailure> {
    const ping = await this.ping();
    if ('kind' in ping) return ping;
    if (!ping.challenge) return { ping };
    if (ping.challenge.scheme === 'basic') {
      return this.credential ? { ping, header: basicHeader(this.credential) } : { ping };
    }
    const token = await this.token(ping, [pullScope(repository)]);
    if ('kind' in token) return token;
    return { ping, header: `Bearer ${token.value}` };
  }

  /** Whether a 401 on this registry cannot tell a missing repository from a private one. */
  isAmbiguous401(ping: PingResult): boolean {
    return ping.challenge?.scheme === 'bearer';
  }

  /** A cached token, the one a request already under way will bring (a batch counts), or a new one. */
  private async token(ping: PingResult, scopes: string[]): Promise<CachedToken | ProbeFailure> {
    const cached = scopes.map((scope) => this.tokens.get(scope));
    if (cached.every((token) => token && token.expiresAt > this.now())) return cached[0]!;
    if (scopes.length === 1 && this.pendingTokens.has(scopes[0]!)) return this.pendingTokens.get(scopes[0]!)!;
    const pending = this.fetchToken(ping, scopes);
    for (const scope of scopes) this.pendingTokens.set(scope, pending);
    void pending.finally(() => {
      for (const scope of scopes)
        if (this.pendingTokens.get(scope) === pending) this.pendingTokens.delete(scope);
    });
    return pending;
  }

  private async fetchToken(ping: PingResult, scopes: string[]): Promise<CachedToken | ProbeFailure> {
    const realm = ping.challenge!.params.realm ?? '';
    const refusal = realmRefusal(realm, this.allowPlainHttpRealm);
    if (refusal) return { kind: 'refused', reason: refusal };
    const url = new URL(realm);
    if (ping.challenge!.params.service) url.searchParams.set('service', ping.challenge!.params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    if (this.credential) headers.authorization = basicHeader(this.credential);
    const response = await this.transport.request('token', url.href, { headers });
    if (isFailure(response)) return networkOutcome(response, `token service ${url.host}`);
    if (response.status === 401 || response.status === 403) {
      return {
        kind: 'unauthorized',
        withCredential: this.credential !== undefined,
        ambiguous: false,
        detail: this.credential
          ? `the token service at ${url.host} rejected the credentials (${response.status})`
          : `the token service at ${url.host} refused anonymous access (${response.status})`,
      };
    }
    if (response.status === 429)
      return { kind: 'rate-limited', ...retryAfter(response.headers['retry-after']) };
    if (response.status !== 200) {
      return {
        kind: 'server-error',
        status: response.status,
        reason: `token service answered ${response.status}`,
      };
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(response.body.toString('utf8')) as typeof parsed;
    } catch {
      return {
        kind: 'server-error',
        status: 200,
        reason: 'token service answered with something that is not JSON',
      };
    }
    const value = typeof parsed.token === 'string' ? parsed.token : parsed.access_token;
    if (typeof value !== 'string' || value === '') {
      return { kind: 'server-error', status: 200, reason: 'token service answered without a token' };
    }
    const lifetime =
      typeof parsed.expires_in === 'number' && parsed.expires_in > 0
        ? parsed.expires_in
        : DEFAULT_TOKEN_LIFETIME_S;
    // Renew a little early so a token does not expire between our check and the registry's.
    const token = { value, expiresAt: this.now() + Math.max(lifetime - 5, 1) * 1000 };
    for (const scope of scopes) this.tokens.set(scope, token);
    return token;
  }
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}
