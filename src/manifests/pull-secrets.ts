import type { RegistryCredential } from './types.js';

export type PullSecretType = 'kubernetes.io/dockerconfigjson' | 'kubernetes.io/dockercfg';

export const PULL_SECRET_KEYS: Record<PullSecretType, string> = {
  'kubernetes.io/dockerconfigjson': '.dockerconfigjson',
  'kubernetes.io/dockercfg': '.dockercfg',
};

export type DecodeResult = { credentials: RegistryCredential[] } | { problem: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 as the API server checks `data` values; whitespace-free. */
export function decodeBase64(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/**
 * Decodes a pull secret's docker config the way the kubelet reads it: only `auth` or
 * `username`/`password` count; `identitytoken` and `registrytoken` are ignored. Messages never
 * quote the secret's content.
 */
export function decodeDockerConfig(type: PullSecretType, json: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { problem: `its ${PULL_SECRET_KEYS[type]} value is not valid JSON` };
  }
  const auths = type === 'kubernetes.io/dockerconfigjson' ? field(parsed, 'auths') : parsed;
  if (!isObject(auths)) {
    return {
      problem:
        type === 'kubernetes.io/dockerconfigjson'
          ? 'its .dockerconfigjson has no "auths" object'
          : 'its .dockercfg is not an object of registries',
    };
  }
  const credentials: RegistryCredential[] = [];
  const unusable: string[] = [];
  for (const [key, entry] of Object.entries(auths)) {
    const credential = entryCredential(key, entry);
    if (typeof credential === 'string') unusable.push(`${key} (${credential})`);
    else credentials.push(credential);
  }
  if (credentials.length === 0) {
    return {
      problem: unusable.length
        ? `no entry has credentials the kubelet can use: ${unusable.join(', ')}`
        : 'it lists no registries',
    };
  }
  return { credentials };
}

function entryCredential(key: string, entry: unknown): RegistryCredential | string {
  if (!isObject(entry)) return 'not an object';
  const auth = field(entry, 'auth');
  if (typeof auth === 'string' && auth !== '') {
    const decoded = decodeBase64(auth);
    if (decoded === undefined) return '"auth" is not base64';
    const colon = decoded.indexOf(':');
    if (colon === -1) return '"auth" is not base64 of user:password';
    return { key, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const username = field(entry, 'username');
  const password = field(entry, 'password');
  if (typeof username === 'string' && typeof password === 'string' && (username || password)) {
    return { key, username, password };
  }
  if (field(entry, 'identitytoken') !== undefined || field(entry, 'registrytoken') !== undefined) {
    return 'only an identity/registry token, which the kubelet ignores';
  }
  return 'no auth or username/password';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}
