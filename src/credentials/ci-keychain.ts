/**
 * The CI run's keychain: where it finds credentials to LOOK at a registry when the pod's pull secret
 * is not in the repository, as a chain of sources tried in order (go-containerregistry's
 * `authn.NewMultiKeychain`): the `registry-auth` input, the Docker config's credential helper
 * (`credHelpers[host]`, then `credsStore`), the Docker config's inline `auths`, then the workflow
 * token for `ghcr.io`. One deliberate difference from docker: when the helper has nothing, the inline
 * `auths` entry is still used (docker would go anonymous).
 */
import { DEFAULT_HELPER_TIMEOUT_MS, runCredentialHelper } from './credential-helper.js';
import {
  helperServerUrl,
  loadDockerConfig,
  parseRegistryAuthInput,
  registryHostKey,
  type AuthEntry,
  type DockerConfigLocation,
  type ParsedConfig,
} from './docker-config-file.js';
import type { CredentialLookup } from './lookup.js';
import { maskCredential } from './mask.js';
import type { BasicCredential } from './types.js';

export interface CiCredentialOptions extends DockerConfigLocation {
  /** Explicit Docker config file; default `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
  dockerConfigPath?: string;
  /** The `registry-auth` input: a Docker config JSON document with `auths` (or its base64). */
  registryAuthJson?: string;
  /** The workflow token, used for `ghcr.io` only. */
  githubToken?: string;
  /** Used for HOME, DOCKER_CONFIG, GITHUB_ACTOR and as the credential helpers' environment (PATH). */
  env: NodeJS.ProcessEnv;
  /** Called with every secret read (the action passes `core.setSecret`). */
  mask: (secret: string) => void;
  /** Bound on one credential-helper run; default 5 s. */
  helperTimeoutMs?: number;
}

/**
 * GHCR does not check the username that goes with a token; GitHub's documentation passes
 * `github.actor`, so that is used when known.
 */
export const GHCR_FALLBACK_USERNAME = 'x-access-token';

/** One source of the chain, asked about a registry host (`registryHostKey` form). */
type Keychain = (host: string) => Promise<BasicCredential | undefined> | BasicCredential | undefined;

/** The first source that has credentials for the host wins; later ones are not asked. */
function multiKeychain(sources: Keychain[]): (host: string) => Promise<BasicCredential | undefined> {
  return async (host) => {
    for (const source of sources) {
      const credential = await source(host);
      if (credential) return credential;
    }
    return undefined;
  };
}

function authsKeychain(auths: Map<string, AuthEntry> | undefined): Keychain {
  return (host) => auths?.get(host)?.credential;
}

/** Helpers run lazily, at lookup time, asked about the URL docker itself would ask about. */
function helperKeychain(
  config: ParsedConfig | undefined,
  opts: CiCredentialOptions,
  timeoutMs: number,
): Keychain {
  return async (host) => {
    if (!config) return undefined;
    const specific = config.credHelpers.get(host);
    const helper = specific?.helper ?? config.credsStore;
    if (!helper) return undefined;
    const serverUrl = specific?.key ?? config.auths.get(host)?.key ?? helperServerUrl(host);
    const found = await runCredentialHelper(helper, serverUrl, opts.env, timeoutMs);
    if (!found) return undefined;
    const credential = { username: found.username, password: found.secret };
    if (found.secret !== '') opts.mask(found.secret);
    maskCredential(credential, opts.mask);
    return credential;
  };
}

function githubTokenKeychain(opts: CiCredentialOptions): Keychain {
  const token = opts.githubToken?.trim() || undefined;
  if (!token) return () => undefined;
  opts.mask(token);
  const credential = { username: opts.env.GITHUB_ACTOR || GHCR_FALLBACK_USERNAME, password: token };
  maskCredential(credential, opts.mask);
  return (host) => (host === 'ghcr.io' ? credential : undefined);
}

/** Reads the CI's credentials once; each registry host is resolved once, on first lookup. */
export async function loadCiCredentials(
  opts: CiCredentialOptions,
): Promise<{ source: CredentialLookup; warnings: string[] }> {
  const warnings: string[] = [];
  const inputAuths = opts.registryAuthJson
    ? parseRegistryAuthInput(opts.registryAuthJson, opts.mask, warnings)
    : undefined;
  const config = await loadDockerConfig(opts, warnings);
  const chain = multiKeychain([
    authsKeychain(inputAuths),
    helperKeychain(config, opts, opts.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS),
    authsKeychain(config?.auths),
    githubTokenKeychain(opts),
  ]);
  const cache = new Map<string, Promise<BasicCredential | undefined>>();
  const source: CredentialLookup = {
    lookup(domain: string) {
      const host = registryHostKey(domain);
      let pending = cache.get(host);
      if (!pending) {
        pending = chain(host);
        cache.set(host, pending);
      }
      return pending;
    },
  };
  return { source, warnings };
}
