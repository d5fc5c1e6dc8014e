/**
 * Small, exact ports of the Go standard library pieces the kubelet's keyring leans on: `net/url.Parse`
 * (host and path only), `net.SplitHostPort`, `path/filepath.Match` (Unix); `base64.ts` beside it ports `encoding/base64`.
 * Go compares and matches bytes, so matching works on UTF-8 bytes, not UTF-16 code units.
 */

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

export function utf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** Go's `<` on strings: bytewise. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(utf8(a), utf8(b));
}

// ---------------------------------------------------------------------------------------------------
// net/url

export interface GoUrl {
  /** `URL.Host`: host and port, brackets kept for IPv6, percent-escapes decoded. */
  host: string;
  /** `URL.Path`: decoded. */
  path: string;
}

const HOST_PUNCTUATION = new Set('!$&\'()*+,;=:[]<>"-_.~');
const USERINFO_PUNCTUATION = new Set("-._:~!$&'()*+,;=%@");

function isAlnum(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9A-Fa-f]$/.test(c);
}

/** `url.unescape` for the modes the keyring reaches; undefined where Go returns an error. */
function unescape(s: string, mode: 'host' | 'path' | 'other'): string | undefined {
  const bytes: number[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return undefined;
      const hex = s.slice(i + 1, i + 3);
      // RFC 3986 allows %-encoding in a host only for non-ASCII bytes, plus %25 (RFC 6874 zones).
      if (mode === 'host' && parseInt(hex[0]!, 16) < 8 && hex !== '25') return undefined;
      bytes.push(parseInt(hex, 16));
      i += 3;
      continue;
    }
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    if (mode === 'host' && ch < '\x80' && !isAlnum(ch) && !HOST_PUNCTUATION.has(ch)) return undefined;
    bytes.push(...utf8(ch));
    i += ch.length;
  }
  return utf8Decoder.decode(new Uint8Array(bytes));
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  if (port[0] !== ':') return false;
  return /^[0-9]*$/.test(port.slice(1));
}

function parseHost(host: string): string | undefined {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0 || !validOptionalPort(host.slice(i + 1))) return undefined;
  } else {
    const i = host.lastIndexOf(':');
    if (i !== -1 && !validOptionalPort(host.slice(i))) return undefined;
  }
  return unescape(host, 'host');
}

function parseAuthority(authority: string): string | undefined {
  const at = authority.lastIndexOf('@');
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if (host === undefined || at < 0) return host;
  const userinfo = authority.slice(0, at);
  if (![...userinfo].every((c) => isAlnum(c) || USERINFO_PUNCTUATION.has(c))) return undefined;
  return unescape(userinfo, 'other') === undefined ? undefined : host;
}

/**
 * `url.Parse(raw)` reduced to what the keyring reads (Host and Path); undefined where Go returns an
 * error. Only absolute URLs (`scheme://…`) are supported, which is all the keyring ever builds.
 */
export function parseGoUrl(raw: string): GoUrl | undefined {
  const hash = raw.indexOf('#');
  const beforeFragment = hash < 0 ? raw : raw.slice(0, hash);
  if (hash >= 0 && unescape(raw.slice(hash + 1), 'other') === undefined) return undefined;
  // Go refuses ASCII control characters anywhere before the fragment.
  if ([...beforeFragment].some((c) => c < ' ' || c === '\x7f')) return undefined;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(beforeFragment);
  if (!scheme) return undefined;
  let rest = beforeFragment.slice(scheme[0].length);
  const question = rest.indexOf('?');
  if (question >= 0) rest = rest.slice(0, question);
  if (!rest.startsWith('/')) return { host: '', path: '' }; // opaque: `scheme:opaque`
  let host = '';
  if (rest.startsWith('//')) {
    const authorityAndPath = rest.slice(2);
    const slash = authorityAndPath.indexOf('/');
    const authority = slash < 0 ? authorityAndPath : authorityAndPath.slice(0, slash);
    rest = slash < 0 ? '' : authorityAndPath.slice(slash);
    const parsedHost = parseAuthority(authority);
    if (parsedHost === undefined) return undefined;
    host = parsedHost;
  }
  const path = unescape(rest, 'path');
  return path === undefined ? undefined : { host, path };
}

// ---------------------------------------------------------------------------------------------------
// net

/** `net.SplitHostPort`; undefined where Go returns an error. */
export function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined; // missing port
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) return undefined;
    if (end + 1 !== i) return undefined; // missing port, or too many colons
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined; // too many colons
  }
  if (hostport.slice(j).includes('[') || hostport.slice(k).includes(']')) return undefined;
  return { host, port: hostport.slice(i + 1) };
}

// ---------------------------------------------------------------------------------------------------
// path/filepath.Match on Unix

const SEPARATOR = 0x2f; // '/'
const RUNE_ERROR = 0xfffd;

/** `utf8.DecodeRune`: [rune, width]; RuneError with width 1 for invalid input, width 0 for none. */
function decodeRune(b: Uint8Array, at: number): [number, number] {
  const b0 = b[at];
  if (b0 === undefined) return [RUNE_ERROR, 0];
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number): number | undefined => {
    const x = b[at + k];
    return x !== undefined && (x & 0xc0) === 0x80 ? x & 0x3f : undefined;
  };
  const c1 = cont(1);
  if (b0 >= 0xc2 && b0 <= 0xdf && c1 !== undefined) return [((b0 & 0x1f) << 6) | c1, 2];
  const c2 = cont(2);
  if (b0 >= 0xe0 && b0 <= 0xef && c1 !== undefined && c2 !== undefined) {
    const r = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    if (r >= 0x800 && (r < 0xd800 || r > 0xdfff)) return [r, 3];
  }
  const c3 = cont(3);
  if (b0 >= 0xf0 && b0 <= 0xf4 && c1 !== undefined && c2 !== undefined && c3 !== undefined) {
    const r = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    if (r >= 0x10000 && r <= 0x10ffff) return [r, 4];
  }
  return [RUNE_ERROR, 1];
}

class BadPattern extends Error {}

function scanChunk(pattern: Uint8Array): { star: boolean; chunk: Uint8Array; rest: Uint8Array } {
  let p = pattern;
  let star = false;
  while (p.length > 0 && p[0] === 0x2a) {
    p = p.subarray(1);
    star = true;
  }
  let inrange = false;
  let i = 0;
  scan: for (; i < p.length; i++) {
    switch (p[i]) {
      case 0x5c: // '\\'
        if (i + 1 < p.length) i++;
        break;
      case 0x5b: // '['
        inrange = true;
        break;
      case 0x5d: // ']'
        inrange = false;
        break;
      case 0x2a: // '*'
        if (!inrange) break scan;
        break;
    }
  }
  return { star, chunk: p.subarray(0, i), rest: p.subarray(i) };
}

function getEsc(chunk: Uint8Array): [number, Uint8Array] {
  let c = chunk;
  if (c.length === 0 || c[0] === 0x2d || c[0] === 0x5d) throw new BadPattern();
  if (c[0] === 0x5c) {
    c = c.subarray(1);
    if (c.length === 0) throw new BadPattern();
  }
  const [r, n] = decodeRune(c, 0);
  if (r === RUNE_ERROR && n === 1) throw new BadPattern();
  const next = c.subarray(n);
  if (next.length === 0) throw new BadPattern();
  return [r, next];
}

/** Go's matchChunk: the rest of `s` after the chunk, or undefined; throws BadPattern. */
function matchChunk(chunkIn: Uint8Array, sIn: Uint8Array): Uint8Array | undefined {
  let chunk = chunkIn;
  let s = sIn;
  // After a mismatch Go keeps reading the chunk, only to report a malformed pattern.
  let failed = false;
  while (chunk.length > 0) {
    if (!failed && s.length === 0) failed = true;
    const c = chunk[0]!;
    if (c === 0x5b) {
      let r = 0;
      if (!failed) {
        const [rune, n] = decodeRune(s, 0);
        r = rune;
        s = s.subarray(n);
      }
      chunk = chunk.subarray(1);
      let negated = false;
      if (chunk.length > 0 && chunk[0] === 0x5e) {
        negated = true;
        chunk = chunk.subarray(1);
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (chunk.length > 0 && chunk[0] === 0x5d && nrange > 0) {
          chunk = chunk.subarray(1);
          break;
        }
        const [lo, afterLo] = getEsc(chunk);
        chunk = afterLo;
        let hi = lo;
        if (chunk[0] === 0x2d) {
          const [h, afterHi] = getEsc(chunk.subarray(1));
          hi = h;
          chunk = afterHi;
        }
        if (lo <= r && r <= hi) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (c === 0x3f) {
      if (!failed) {
        if (s[0] === SEPARATOR) failed = true;
        s = s.subarray(decodeRune(s, 0)[1]);
      }
      chunk = chunk.subarray(1);
    } else {
      if (c === 0x5c) {
        chunk = chunk.subarray(1);
        if (chunk.length === 0) throw new BadPattern();
      }
      if (!failed) {
        if (chunk[0] !== s[0]) failed = true;
        s = s.subarray(1);
      }
      chunk = chunk.subarray(1);
    }
  }
  return failed ? undefined : s;
}

function matchBytes(patternIn: Uint8Array, nameIn: Uint8Array): boolean {
  let pattern = patternIn;
  let name = nameIn;
  patternLoop: while (pattern.length > 0) {
    const { star, chunk, rest } = scanChunk(pattern);
    pattern = rest;
    if (star && chunk.length === 0) return !name.includes(SEPARATOR);
    const t = matchChunk(chunk, name);
    if (t !== undefined && (t.length === 0 || pattern.length > 0)) {
      name = t;
      continue;
    }
    if (star) {
      for (let i = 0; i < name.length && name[i] !== SEPARATOR; i++) {
        const t2 = matchChunk(chunk, name.subarray(i + 1));
        if (t2 !== undefined) {
          if (pattern.length === 0 && t2.length > 0) continue;
          name = t2;
          continue patternLoop;
        }
      }
    }
    // Go checks the rest of the pattern is well formed before answering false.
    while (pattern.length > 0) {
      const next = scanChunk(pattern);
      pattern = next.rest;
      matchChunk(next.chunk, new Uint8Array(0));
    }
    return false;
  }
  return name.length === 0;
}

/** `filepath.Match(pattern, name)` on Unix: true/false, or 'bad-pattern' for ErrBadPattern. */
export function goFilepathMatch(pattern: string, name: string): boolean | 'bad-pattern' {
  try {
    return matchBytes(utf8(pattern), utf8(name));
  } catch (e) {
    if (e instanceof BadPattern) return 'bad-pattern';
    throw e;
  }
}
