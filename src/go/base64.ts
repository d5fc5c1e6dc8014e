/**
 * Go's encoding/base64 as the kubelet and API server use it, so a pull secret decodes here exactly
 * as it does there (non-strict: trailing bits are not checked).
 */

const utf8Decoder = new TextDecoder('utf-8');

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * `base64.StdEncoding.DecodeString` (padded) or `RawStdEncoding` (unpadded); undefined where Go
 * returns a CorruptInputError. Go skips `\r` and `\n` anywhere in the input.
 */
export function goBase64Decode(input: string, padded: boolean): Uint8Array | undefined {
  const s = input.replace(/[\r\n]/g, '');
  let body = s;
  if (padded) {
    if (s.length % 4 !== 0) return undefined;
    body = s.endsWith('==') ? s.slice(0, -2) : s.endsWith('=') ? s.slice(0, -1) : s;
    // Padding only completes a final quantum of two or three characters.
    if (body.length !== s.length && body.length % 4 < 2) return undefined;
  }
  if (body.length % 4 === 1) return undefined;
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of body) {
    const v = BASE64_ALPHABET.indexOf(c);
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return new Uint8Array(out);
}

/** Go's `string(bytes)` as JavaScript sees it (invalid UTF-8 becomes U+FFFD). */
export function bytesToString(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}
