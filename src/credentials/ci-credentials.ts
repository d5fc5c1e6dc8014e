/**
 * Credentials the CI run itself can use to LOOK at a registry when the pod's pull secret is not in the
 * repository. They never decide the kubelet's verdict (see pod-credentials.ts for that).
 *
 * Sources, in lookup order: the `registry-auth` input (`{"auths": …}`), the Docker config
 * (`credHelpers[host]`, then `credsStore`, then `auths`), then the workflow token for `ghcr.io`.
 *
 * Docker config semantics follow docker/cli `cli/config/configfile` and `cli/config/credentials`:
 * `auth` is base64 `user:password` (docker trims NULs from the password); a credential helper is
 * `docker-credential-<name> get` with the server URL on stdin and `{ServerURL, Username, Secret}` on
 * stdout; "credentials not found in native keychain" on a failing run means none. Two deliberate
 * differences: a bad entry costs only that entry (docker refuses the whole file), and when the helper
 * has nothing, the inline `auths` entry is still used (docker would go anonymous).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BasicCredential } from './types.js';
import { decodeDockerConfigFieldAuth } from '../manifests/docker-config.js';

export interface CiCredentialSource {
  lookup(domain: string): Promise<BasicCredential | undefined>;
}

export interface CiCredentialOptions {
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
 * The username docker's credential-helper protocol uses for an identity token (an OAuth2 refresh
 * token). A credential with this username must be exchanged at the token endpoint
 * (`grant_type=refresh_token`, as containerd and dockerd do), never sent as Basic auth.
 */
export const IDENTITY_TOKEN_USERNAME = '<token>';

/** The key `docker login` files Docker Hub under. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';

/**
 * GHCR does not check the username that goes with a token; GitHub's documentation passes
 * `github.actor`, so that is used when known.
 */
export const GHCR_FALLBACK_USERNAME = 'x-access-token';

export const DEFAULT_HELPER_TIMEOUT_MS = 5_000;

/** A credential helper is missing, failed or timed out; the message is plain English and secret-free. */
export class CredentialHelperError extends Error {
  override name = 'CredentialHelperError';
}

const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_HELPER_OUTPUT_BYTES = 1024 * 1024;
const HELPER_NOT_FOUND = 'credentials not found in native keychain';

/** A config key or image domain reduced to its registry host: scheme and path dropped, Hub aliases merged. */
export function registryHostKey(keyOrDomain: string): string {
  const withoutScheme = keyOrDomain.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split('/')[0]!.toLowerCase();
  return HUB_HOSTS.has(host) ? 'docker.io' : host;
}

/** The server URL docker would ask a helper about for this host. */
function helperServerUrl(host: string): string {
  return host === 'docker.io' ? DOCKER_HUB_CONFIG_KEY : host;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringField(obj: Record<string, unknown>, name: string): string {
  const v = obj[name];
  return typeof v === 'string' ? v : '';
}

interface AuthEntry {
  /** The key as written; an entry without credentials still tells which URL a helper files it under. */
  key: string;
  credential?: BasicCredential;
}

interface ParsedConfig {
  /** Whether the document has an `auths` field at all. */
  hasAuths: boolean;
  auths: Map<string, AuthEntry>;
  credsStore?: string;
  credHelpers: Map<string, { key: string; helper: string }>;
}

function maskCredential(credential: BasicCredential, mask: (s: string) => void): void {
  if (credential.password !== '') mask(credential.password);
  mask(Buffer.from(`${credential.username}:${credential.password}`).toString('base64'));
}

/** One `auths` entry as docker reads it; warnings name the key, never a value. */
function decodeAuthEntry(
  key: string,
  value: Record<string, unknown>,
  where: string,
  mask: (s: string) => void,
  warnings: string[],
): BasicCredential | undefined {
  const auth = stringField(value, 'auth');
  const identityToken = stringField(value, 'identitytoken');
  const registryToken = stringField(value, 'registrytoken');
  for (const secret of [auth, stringField(value, 'password'), identityToken, registryToken]) {
    if (secret !== '') mask(secret);
  }
  let credential: BasicCredential | undefined;
  if (identityToken !== '') {
    // dockerd and containerd use an identity token as an OAuth2 refresh token, ignoring the password.
    credential = { username: IDENTITY_TOKEN_USERNAME, password: identityToken };
  } else if (auth !== '') {
    const decoded = decodeDockerConfigFieldAuth(auth);
    if (!decoded.ok || decoded.value.username === '') {
      warnings.push(
        `The \`auth\` value for \`${key}\` in ${where} is not base64 of \`username:password\`; that entry was ignored.`,
      );
      return undefined;
    }
    credential = {
      username: decoded.value.username,
      password: decoded.value.password.replace(/^\0+|\0+$/g, ''),
    };
  } else if (stringField(value, 'username') !== '') {
    credential = { username: stringField(value, 'username'), password: stringField(value, 'password') };
  } else if (registryToken !== '') {
    warnings.push(
      `The entry for \`${key}\` in ${where} holds only a registry token, which cannot be used here; that registry is looked at anonymously.`,
    );
  }
  if (credential) maskCredential(credential, mask);
  return credential;
}

function parseAuths(
  value: unknown,
  where: string,
  mask: (s: string) => void,
  warnings: string[],
): Map<string, AuthEntry> {
  const auths = new Map<string, AuthEntry>();
  if (value === undefined || value === null) return auths;
  if (!isObject(value)) {
    warnings.push(`\`auths\` in ${where} is not a JSON object; it was ignored.`);
    return auths;
  }
  for (const [key, entry] of Object.entries(value)) {
    if (!isObject(entry)) {
      warnings.push(`The entry for \`${key}\` in ${where} is not a JSON object; it was ignored.`);
      continue;
    }
    const credential = decodeAuthEntry(key, entry, where, mask, warnings);
    const host = registryHostKey(key);
    const existing = auths.get(host);
    // Prefer an entry with credentials, then the key docker itself would look up.
    const better =
      !existing ||
      (credential !== undefined && existing.credential === undefined) ||
      ((credential === undefined) === (existing.credential === undefined) && key === helperServerUrl(host));
    if (better) auths.set(host, credential ? { key, credential } : { key });
  }
  return auths;
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function parseHelperName(
  value: unknown,
  what: string,
  where: string,
  warnings: string[],
): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && HELPER_NAME.test(value)) return value;
  // A name with a slash would make `docker-credential-<name>` a path: refuse it.
  warnings.push(`${what} in ${where} is not a valid credential helper name; it was ignored.`);
  return undefined;
}

function parseDockerConfig(
  text: string,
  where: string,
  mask: (s: string) => void,
  warnings: string[],
): ParsedConfig | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    warnings.push(`${where} is not valid JSON; it was ignored.`);
    return undefined;
  }
  if (!isObject(doc)) {
    warnings.push(`${where} is not a JSON object; it was ignored.`);
    return undefined;
  }
  const parsed: ParsedConfig = {
    hasAuths: doc.auths !== undefined,
    auths: parseAuths(doc.auths, where, mask, warnings),
    credHelpers: new Map(),
  };
  const credsStore = parseHelperName(doc.credsStore, '`credsStore`', where, warnings);
  if (credsStore) parsed.credsStore = credsStore;
  if (isObject(doc.credHelpers)) {
    for (const [key, value] of Object.entries(doc.credHelpers)) {
      const helper = parseHelperName(value, `The credential helper for \`${key}\``, where, warnings);
      if (helper) parsed.credHelpers.set(registryHostKey(key), { key, helper });
    }
  } else if (doc.credHelpers !== undefined && doc.credHelpers !== null) {
    warnings.push(`\`credHelpers\` in ${where} is not a JSON object; it was ignored.`);
  }
  return parsed;
}

/** The `registry-auth` input: a Docker config document, or the base64 of one (a secret's data). */
function parseRegistryAuthInput(
  input: string,
  mask: (s: string) => void,
  warnings: string[],
): Map<string, AuthEntry> {
  const where = 'the `registry-auth` input';
  let text = input.trim();
  if (text === '') return new Map();
  if (!text.startsWith('{')) {
    const decoded = Buffer.from(text, 'base64').toString('utf8').trim();
    if (decoded.startsWith('{')) text = decoded;
  }
  const parsed = parseDockerConfig(text, where, mask, warnings);
  if (!parsed) return new Map();
  if (parsed.credsStore || parsed.credHelpers.size > 0) {
    warnings.push(`${where} names credential helpers, which it cannot use; only its \`auths\` are read.`);
  }
  if (!parsed.hasAuths) {
    warnings.push(`${where} has no \`auths\` object, so it provides no credentials.`);
  }
  return parsed.auths;
}

function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(env.HOME || homedir(), '.docker', 'config.json');
}

function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  return path === '~' || path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(1)) : path;
}

async function loadDockerConfig(
  opts: CiCredentialOptions,
  warnings: string[],
): Promise<ParsedConfig | undefined> {
  const explicit = opts.dockerConfigPath !== undefined && opts.dockerConfigPath !== '';
  const path = explicit ? expandHome(opts.dockerConfigPath!, opts.env) : defaultConfigPath(opts.env);
  const where = `the Docker config at ${path}`;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // No config at the default place is normal: nobody logged in.
    if (code === 'ENOENT' && !explicit) return undefined;
    warnings.push(
      code === 'ENOENT'
        ? `There is no Docker config at ${path}; it was ignored.`
        : `${where} could not be read (${code ?? 'unknown error'}); it was ignored.`,
    );
    return undefined;
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    warnings.push(`${where} is larger than 4 MiB; it was ignored.`);
    return undefined;
  }
  return parseDockerConfig(bytes.toString('utf8'), where, opts.mask, warnings);
}

/**
 * Runs `docker-credential-<helper> get` with `serverUrl` on stdin. Resolves undefined when the helper
 * has no credentials; rejects with CredentialHelperError when it is missing, fails or times out.
 */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number = DEFAULT_HELPER_TIMEOUT_MS,
): Promise<{ username: string; secret: string } | undefined> {
  const program = `docker-credential-${helper}`;
  const failed = (what: string) =>
    new CredentialHelperError(
      `The Docker credential helper \`${program}\` ${what} when asked about ${serverUrl}.`,
    );
  if (!HELPER_NAME.test(helper)) return Promise.reject(failed('has an invalid name'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      ['get'],
      // The lookup of `program` uses env.PATH; SIGKILL so a helper ignoring SIGTERM cannot outlive the bound.
      {
        env,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_HELPER_OUTPUT_BYTES,
        windowsHide: true,
      },
      (error, stdout) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return reject(failed('was not found on PATH'));
          if (code === 'EACCES') return reject(failed('is not executable'));
          if ((error as { killed?: boolean }).killed) {
            return reject(
              code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
                ? failed('wrote more than 1 MiB')
                : failed(`did not answer within ${timeoutMs} ms`),
            );
          }
          if (stdout.trim() === HELPER_NOT_FOUND) return resolve(undefined);
          return reject(failed(`failed (exit code ${typeof code === 'number' ? code : 'unknown'})`));
        }
        let doc: unknown;
        try {
          doc = JSON.parse(stdout);
        } catch {
          return reject(failed('did not print JSON'));
        }
        if (!isObject(doc)) return reject(failed('did not print a JSON object'));
        const username = stringField(doc, 'Username');
        const secret = stringField(doc, 'Secret');
        resolve(username === '' && secret === '' ? undefined : { username, secret });
      },
    );
    // A helper that exits without reading stdin must not crash us with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(serverUrl);
  });
}

/** Reads the CI's credentials once; helpers run lazily, once per registry, at lookup time. */
export async function loadCiCredentials(
  opts: CiCredentialOptions,
): Promise<{ source: CiCredentialSource; warnings: string[] }> {
  const warnings: string[] = [];
  const { env, mask } = opts;
  const timeoutMs = opts.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const inputAuths = opts.registryAuthJson
    ? parseRegistryAuthInput(opts.registryAuthJson, mask, warnings)
    : new Map();
  const config = await loadDockerConfig(opts, warnings);
  const githubToken = opts.githubToken?.trim() || undefined;
  if (githubToken) mask(githubToken);
  const ghcrCredential = githubToken && {
    username: env.GITHUB_ACTOR || GHCR_FALLBACK_USERNAME,
    password: githubToken,
  };
  if (ghcrCredential) maskCredential(ghcrCredential, mask);

  async function fromHelper(host: string): Promise<BasicCredential | undefined> {
    if (!config) return undefined;
    const specific = config.credHelpers.get(host);
    const helper = specific?.helper ?? config.credsStore;
    if (!helper) return undefined;
    const serverUrl = specific?.key ?? config.auths.get(host)?.key ?? helperServerUrl(host);
    const found = await runCredentialHelper(helper, serverUrl, env, timeoutMs);
    if (!found) return undefined;
    const credential = { username: found.username, password: found.secret };
    if (found.secret !== '') mask(found.secret);
    maskCredential(credential, mask);
    return credential;
  }

  async function resolveHost(host: string): Promise<BasicCredential | undefined> {
    const fromInput = inputAuths.get(host)?.credential;
    if (fromInput) return fromInput;
    const helped = await fromHelper(host);
    if (helped) return helped;
    const inline = config?.auths.get(host)?.credential;
    if (inline) return inline;
    return host === 'ghcr.io' && ghcrCredential ? ghcrCredential : undefined;
  }

  const cache = new Map<string, Promise<BasicCredential | undefined>>();
  const source: CiCredentialSource = {
    lookup(domain: string) {
      const host = registryHostKey(domain);
      let pending = cache.get(host);
      if (!pending) {
        pending = resolveHost(host);
        cache.set(host, pending);
      }
      return pending;
    },
  };
  return { source, warnings };
}
