import type { ManifestSet } from '../manifests/types.js';
import type { BasicCredential } from './types.js';

/** A credential is a secret in the log in both forms it travels in: the password and `auth`'s base64. */
export function maskCredential(credential: BasicCredential, mask: (secret: string) => void): void {
  const { username, password } = credential;
  if (password) mask(password);
  if (username || password) mask(Buffer.from(`${username}:${password}`).toString('base64'));
}

/** Pull secrets read from the repository are secrets in the log too: mask them before anything prints. */
export function maskPullSecrets(manifests: ManifestSet, mask: (secret: string) => void): void {
  for (const secret of manifests.pullSecrets) {
    for (const credential of secret.credentials) maskCredential(credential, mask);
  }
}
