/**
 * How the kubelet decodes the docker config inside a pull secret: a port of kubernetes
 * `pkg/credentialprovider/config.go` (DockerConfigJSON, DockerConfig, DockerConfigEntry.UnmarshalJSON,
 * decodeDockerConfigFieldAuth) and of `secrets.go` (which key each secret type is read from).
 *
 * Only `username`, `password`, `email` and `auth` exist for the kubelet: `identitytoken`,
 * `registrytoken` and `serveraddress` are unknown fields and ignored. Any decoding error fails the
 * whole keyring for the pod (MakeDockerKeyring returns the error), not just the entry.
 */
import { bytesToString, goBase64Decode } from '../go/base64.js';
import type { RegistryCredential } from './types.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

function fail<T>(reason: string): Decoded<T> {
  return { ok: false, reason };
}

/**
 * `decodeDockerConfigFieldAuth`: base64 of `user:password`. Padded input (ending in `=` once trimmed)
 * is decoded as StdEncoding, anything else as RawStdEncoding. The password may contain `:`.
 */
export function decodeDockerConfigFieldAuth(field: string): Decoded<{ username: string; password: string }> {
  const bytes = goBase64Decode(field, field.trim().endsWith('='));
  if (!bytes) return fail('the `auth` value is not valid base64');
  const decoded = bytesToString(bytes);
  const colon = decoded.indexOf(':');
  if (colon < 0) return fail('the `auth` value must be base64 of `username:password` and has no colon');
  return { ok: true, value: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's encoding/json matches struct fields case-insensitively; the last matching key wins. */
function field(obj: Record<string, unknown>, name: string): unknown {
  let found: unknown = undefined;
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === name) found = v;
  return found;
}

const ENTRY_FIELDS = ['username', 'password', 'email', 'auth'] as const;

/** `DockerConfigEntry.UnmarshalJSON`: `auth`, when non-empty, overrides username and password. */
export function decodeDockerConfigEntry(value: unknown): Decoded<{ username: string; password: string }> {
  // JSON null decodes to an empty entry without error.
  if (value === null) return { ok: true, value: { username: '', password: '' } };
  if (!isObject(value)) return fail('an entry is not a JSON object');
  const fields: Partial<Record<(typeof ENTRY_FIELDS)[number], string>> = {};
  for (const name of ENTRY_FIELDS) {
    const v = field(value, name);
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return fail(`the \`${name}\` field of an entry is not a string`);
    fields[name] = v;
  }
  if (!fields.auth)
    return { ok: true, value: { username: fields.username ?? '', password: fields.password ?? '' } };
  return decodeDockerConfigFieldAuth(fields.auth);
}

/** `DockerConfig`: the map of registry key → entry (the `.dockercfg` format). */
export function decodeDockerConfig(value: unknown): Decoded<RegistryCredential[]> {
  if (value === null) return { ok: true, value: [] };
  if (!isObject(value)) return fail('the registry map is not a JSON object');
  const credentials: RegistryCredential[] = [];
  for (const [key, entry] of Object.entries(value)) {
    const decoded = decodeDockerConfigEntry(entry);
    if (!decoded.ok) return fail(`entry \`${key}\`: ${decoded.reason}`);
    credentials.push({ key, ...decoded.value });
  }
  return { ok: true, value: credentials };
}

/** `DockerConfigJSON`: `{"auths": {...}}` (the `.dockerconfigjson` format); other fields ignored. */
export function decodeDockerConfigJson(value: unknown): Decoded<RegistryCredential[]> {
  if (value === null) return { ok: true, value: [] };
  if (!isObject(value)) return fail('the document is not a JSON object');
  return decodeDockerConfig(field(value, 'auths') ?? null);
}

export type PullSecretType = 'kubernetes.io/dockerconfigjson' | 'kubernetes.io/dockercfg';

/**
 * What MakeDockerKeyring makes of one secret's decoded data value (`.dockerconfigjson` or
 * `.dockercfg`, already base64-decoded from `data` or taken from `stringData`). `skipped`: the kubelet
 * silently ignores the secret (empty value). An error is fatal for every pull of the pod.
 */
export function decodePullSecretData(
  type: PullSecretType,
  text: string,
): Decoded<RegistryCredential[]> | { ok: 'skipped' } {
  if (text.length === 0) return { ok: 'skipped' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('the value is not valid JSON');
  }
  return type === 'kubernetes.io/dockerconfigjson'
    ? decodeDockerConfigJson(parsed)
    : decodeDockerConfig(parsed);
}
