import { isObject } from '../manifests/docker-config.js';
import type { HttpResponse, NetworkFailure } from './transport.js';
import type { ProbeFailure, RateLimitInfo } from './types.js';

/**
 * What a registry's answer means for a pull: HTTP statuses, error bodies and network failures become
 * outcomes here, and only here, so callers branch on data (a status, a `cause`), never on wording.
 */

/** The registry's error code from an error body (`{"errors":[{"code":"MANIFEST_UNKNOWN",…}]}`). */
export function errorCode(body: Buffer): { code?: string; message?: string } {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const first = isObject(parsed) && Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
    if (isObject(first)) {
      return {
        ...(typeof first.code === 'string' ? { code: first.code } : {}),
        ...(typeof first.message === 'string' ? { message: first.message } : {}),
      };
    }
  } catch {
    // not JSON: no code
  }
  return {};
}

export function retryAfter(header: string | undefined): { retryAfterSeconds?: number } {
  const seconds = Number(header);
  return header !== undefined && Number.isFinite(seconds) ? { retryAfterSeconds: seconds } : {};
}

/** Docker Hub style pull quota from the `ratelimit-*` headers, when both are there. */
export function rateLimitOf(response: HttpResponse): RateLimitInfo | undefined {
  const limit = response.headers['ratelimit-limit'];
  const remaining = response.headers['ratelimit-remaining'];
  return limit !== undefined && remaining !== undefined ? { limit, remaining } : undefined;
}

/**
 * A network failure as an outcome: a guard's refusal is `refused` (never retried, never a reachability
 * problem), anything else `unreachable`. `context` prefixes the reason (`token service host`).
 */
export function networkOutcome(failure: NetworkFailure, context?: string): ProbeFailure {
  if (failure.cause === 'forbidden-address') return { kind: 'refused', reason: failure.failure };
  return { kind: 'unreachable', reason: context ? `${context}: ${failure.failure}` : failure.failure };
}

export interface ManifestErrorContext {
  /** Whether a credential was sent with the request. */
  withCredential: boolean;
  /** Whether the ping offered a challenge we answered; without one a 401 is the registry misbehaving. */
  challenged: boolean;
  /** The registry answers 401 both for a missing repository and a private one (bearer registries). */
  ambiguous401: boolean;
  rateLimit?: RateLimitInfo;
}

/** A manifest request's non-200 answer as an outcome. */
export function manifestErrorOutcome(response: HttpResponse, context: ManifestErrorContext): ProbeFailure {
  const { code, message } = errorCode(response.body);
  switch (response.status) {
    case 404:
      return code === 'NAME_UNKNOWN' ? { kind: 'name-unknown' } : { kind: 'manifest-unknown' };
    case 401:
      // A 401 that offered no challenge we can answer says nothing about the credentials, which
      // were never sent: the registry is misbehaving.
      if (!context.challenged) {
        const offered = response.headers['www-authenticate'];
        return {
          kind: 'server-error',
          status: 401,
          reason: `401 without a usable WWW-Authenticate challenge (${offered ? `got "${offered.slice(0, 80)}"` : 'none'})`,
        };
      }
      return {
        kind: 'unauthorized',
        withCredential: context.withCredential,
        ambiguous: context.ambiguous401,
        ...(message ? { detail: message } : {}),
      };
    case 403:
      return { kind: 'denied', ...(message ? { detail: message } : {}) };
    case 429: {
      const limits = context.rateLimit;
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

/** The ping's (`GET /v2/`) non-200/401 answer as an outcome. */
export function pingErrorOutcome(response: HttpResponse, host: string): ProbeFailure {
  if (response.status === 429)
    return { kind: 'rate-limited', ...retryAfter(response.headers['retry-after']) };
  if (response.status === 404) {
    return {
      kind: 'server-error',
      status: 404,
      reason: `${host} does not serve the registry API (GET /v2/ is 404)`,
    };
  }
  return { kind: 'server-error', status: response.status, reason: `GET /v2/ answered ${response.status}` };
}
