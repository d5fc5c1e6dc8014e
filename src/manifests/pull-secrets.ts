import { decodePullSecretData, type PullSecretType } from './docker-config.js';
import { bytesToString, goBase64Decode } from '../go/base64.js';
import type { RegistryCredential } from './types.js';

export type { PullSecretType };

export const PULL_SECRET_KEYS: Record<PullSecretType, string> = {
  'kubernetes.io/dockerconfigjson': '.dockerconfigjson',
  'kubernetes.io/dockercfg': '.dockercfg',
};

/** The kubelet builds its keyring only from Secrets of these types (MakeDockerKeyring). */
export function isPullSecretType(type: string): type is PullSecretType {
  return Object.hasOwn(PULL_SECRET_KEYS, type);
}

/** A `data` value as the API server reads it: standard, padded base64. */
export function decodeDataValue(text: string): string | undefined {
  const bytes = goBase64Decode(text.replace(/\s+/g, ''), true);
  return bytes && bytesToString(bytes);
}

/**
 * The credentials the kubelet gets from a pull secret's docker config, or why it gets none. Messages
 * never quote the secret's content.
 */
export function pullSecretCredentials(
  type: PullSecretType,
  json: string,
): { credentials: RegistryCredential[] } | { problem: string } {
  const decoded = decodePullSecretData(type, json);
  if (decoded.ok === 'skipped')
    return { problem: `its ${PULL_SECRET_KEYS[type]} value is empty; the kubelet ignores it` };
  if (!decoded.ok) return { problem: decoded.reason };
  if (decoded.value.length === 0) return { problem: 'it lists no registries' };
  if (decoded.value.every((credential) => !credential.username && !credential.password)) {
    return {
      problem: 'no entry has a username/password or auth; the kubelet ignores identity and registry tokens',
    };
  }
  return { credentials: decoded.value };
}
