import { hostname, isLoopbackHost } from './guard.js';
import type { NetworkFailure } from './transport.js';

/**
 * Where a registry's requests go: which origins (scheme and host) to try, in order, and with what
 * TLS rules. Like containerd's `RegistryHosts`, this is the one place that decides it, so mirrors and
 * per-host TLS settings plug in here.
 */

export interface Endpoint {
  /** `https://…` first; then `http://…` when the registry may be plain HTTP. */
  origins: string[];
  /** Skip TLS verification (registries the user listed as insecure). */
  insecureTls: boolean;
  /** Whether a token realm may be plain http (credentials would otherwise travel unencrypted). */
  allowPlainHttpRealm: boolean;
}

export class EndpointResolver {
  private readonly insecure: Set<string>;

  /** `insecureRegistries`: hosts (host[:port]) that may be plain HTTP or have unverifiable TLS. */
  constructor(insecureRegistries: string[] = []) {
    this.insecure = new Set(insecureRegistries.map((host) => host.toLowerCase()));
  }

  resolve(apiHost: string): Endpoint {
    const insecure =
      this.insecure.has(apiHost.toLowerCase()) || this.insecure.has(hostname(apiHost).toLowerCase());
    const plainHttpAllowed = insecure || isLoopbackHost(hostname(apiHost));
    return {
      origins: plainHttpAllowed ? [`https://${apiHost}`, `http://${apiHost}`] : [`https://${apiHost}`],
      insecureTls: insecure,
      allowPlainHttpRealm: plainHttpAllowed,
    };
  }
}

/**
 * Whether, after this failure on one origin, the next origin may be tried. A certificate problem is
 * the answer (the kubelet would hit it too) and a guard's refusal is final; plain HTTP is tried when
 * the server does not speak TLS at all, or could not be reached over HTTPS.
 */
export function tryNextOrigin(failure: NetworkFailure): boolean {
  return failure.cause !== 'tls' && failure.cause !== 'forbidden-address';
}
