import { isGoDigestFormat, isLowerHexOfLength } from './grammar.js';

/** Error strings of go-digest v1.0.0, which distribution/reference returns unchanged. */
export const DIGEST_ERRORS = {
  invalidFormat: 'invalid checksum digest format',
  invalidLength: 'invalid checksum digest length',
  unsupported: 'unsupported digest algorithm',
} as const;

/**
 * Hex length per algorithm available in the kubelet. go-digest v1.0.0 knows sha256, sha384 and sha512,
 * and treats them as available when the binary links crypto/sha256 and crypto/sha512, which the kubelet
 * does. (Unreleased go-digest drops sha384 from the defaults; no kubelet ships that yet.)
 */
const HEX_LENGTH: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

/** go-digest v1.0.0 `Digest.Validate`: undefined when valid, else its error string. */
export function validateDigest(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon <= 0 || colon === digest.length - 1) return DIGEST_ERRORS.invalidFormat;
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const hexLength = HEX_LENGTH.get(algorithm);
  if (hexLength === undefined) {
    // Unknown algorithms are "unsupported" only when they are at least well-formed.
    return isGoDigestFormat(digest) ? DIGEST_ERRORS.unsupported : DIGEST_ERRORS.invalidFormat;
  }
  // Length is checked before content, so a short non-hex value reports the length.
  if (encoded.length !== hexLength) return DIGEST_ERRORS.invalidLength;
  return isLowerHexOfLength(encoded, hexLength) ? undefined : DIGEST_ERRORS.invalidFormat;
}
