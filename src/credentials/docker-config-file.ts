/**
 * The Docker config file as docker/cli reads it (`cli/config/configfile`): `auths` (`auth` is base64
 * `user:password`, docker trims NULs from the password; `identitytoken`), `credsStore` and
 * `credHelpers`. One deliberate difference: a bad entry costs only that entry (docker refuses the
 * whole file). Warnings name keys and files, never a value.
 */
import { lstat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { decodeDockerConfigFieldAuth, isObject } from '../manifests/docker-config.js';
import { readRegularFile } from '../manifests/files.js';
import { isHelperName, stringField } from './credential-helper.js';
import { IDENTITY_TOKEN_USERNAME } from './lookup.js';
import { maskCredential } from './mask.js';
import type { BasicCredential } from './types.js';

/** The key `docker login` files Docker Hub under. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';

const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** A config key or image domain reduced to its registry host: scheme and path dropped, Hub aliases merged. */
export function registryHostKey(keyOrDomain: string): string {
  const withoutScheme = keyOrDomain.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split('/')[0]!.toLowerCase();
  return HUB_HOSTS.has(host) ? 'docker.io' : host;
}

/** The server URL docker would ask a helper about for this host. */
export function helperServerUrl(host: string): string {
  return host === 'docker.io' ? DOCKER_HUB_CONFIG_KEY : host;
}

/** Where the Docker config is: an explicit file, else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export interface DockerConfigLocation {
  dockerConfigPath?: string;
  env: NodeJS.ProcessEnv;
  mask: (secret: string) => void;
}

export interface AuthEntry {
  /** The key as written; an entry without credentials still tells which URL a helper files it under. */
  key: string;
  credential?: BasicCredential;
}

export interface ParsedConfig {
  /** Whether the document has an `auths` field at all. */
  hasAuths: boolean;
  auths: Map<string, AuthEntry>;
  credsStore?: string;
  credHelpers: Map<string, { key: string; helper: string }>;
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

function parseHelperName(
  value: unknown,
  what: string,
  where: string,
  warnings: string[],
): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && isHelperName(value)) return value;
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
export function parseRegistryAuthInput(
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

export async function loadDockerConfig(
  opts: DockerConfigLocation,
  warnings: string[],
): Promise<ParsedConfig | undefined> {
  const explicit = opts.dockerConfigPath !== undefined && opts.dockerConfigPath !== '';
  const path = explicit ? expandHome(opts.dockerConfigPath!, opts.env) : defaultConfigPath(opts.env);
  const where = `the Docker config at ${path}`;
  // Only a regular file, bounded: a link to /dev/zero or a FIFO is neither read without end nor
  // waited on (the default path sits in a home directory a workflow step may have written).
  const read = await readRegularFile(path, '/', MAX_CONFIG_BYTES);
  if (read.ok) return parseDockerConfig(read.bytes.toString('utf8'), where, opts.mask, warnings);
  const missing = await lstat(path).then(
    () => false,
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
  );
  // No config at the default place is normal: nobody logged in.
  if (missing && !explicit) return undefined;
  warnings.push(
    missing
      ? `There is no Docker config at ${path}; it was ignored.`
      : read.kind === 'too-large'
        ? `${where} is larger than 4 MiB; it was ignored.`
        : `${where} could not be read (${read.message.replace(/^cannot read this file: /, '')}); it was ignored.`,
  );
  return undefined;
}
