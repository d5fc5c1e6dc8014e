import { isIP } from 'node:net';

/**
 * Where credentials and requests may go. A registry names its token realm, so a hostile or
 * misconfigured one could point us (and the pull secret) at a cloud metadata service.
 */

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Host without its port: `[::1]:5000` → `::1`, `localhost:5000` → `localhost`. */
export function hostname(hostAndPort: string): string {
  if (hostAndPort.startsWith('[')) return hostAndPort.slice(1, hostAndPort.indexOf(']'));
  const colon = hostAndPort.lastIndexOf(':');
  return colon === -1 || hostAndPort.indexOf(':') !== colon ? hostAndPort : hostAndPort.slice(0, colon);
}

/** The 16 bytes of an IPv6 address in any spelling (`::`, embedded dotted IPv4), or undefined. */
export function ipv6Bytes(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((group) => {
    const value = parseInt(group || '0', 16);
    return [value >> 8, value & 0xff];
  });
}

/** The IPv4 address an IPv6 one stands for: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64. */
function embeddedIpv4(bytes: number[]): string | undefined {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  const mapped = zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff;
  const compatible = zeros(0, 12) && !zeros(12, 16);
  const nat64 =
    bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12);
  return mapped || compatible || nat64 ? bytes.slice(12).join('.') : undefined;
}

export function isLoopbackHost(host: string): boolean {
  const name = stripBrackets(host).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  const bytes = ipv6Bytes(name);
  if (!bytes) return false;
  const ipv4 = embeddedIpv4(bytes);
  return ipv4 ? ipv4.startsWith('127.') : bytes.slice(0, 15).every((byte) => byte === 0) && bytes[15] === 1;
}

/**
 * Link-local and metadata addresses: 169.254.0.0/16, fe80::/10, fd00:ec2::254, Alibaba's
 * 100.100.100.200, and the same IPv4 addresses spelt as IPv6 (mapped, compatible, NAT64).
 */
export function isForbiddenAddress(address: string): boolean {
  const name = stripBrackets(address).toLowerCase();
  if (METADATA_HOSTS.has(name)) return true;
  const bytes = ipv6Bytes(name);
  const ip = bytes ? (embeddedIpv4(bytes) ?? name) : name;
  if (isIP(ip) === 4) return ip.startsWith('169.254.') || ip === '100.100.100.200';
  if (!bytes) return false;
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80) return true; // fe80::/10
  const ec2 = [0xfd, 0x00, 0x0e, 0xc2, ...Array(10).fill(0), 0x02, 0x54];
  return bytes.every((byte, i) => byte === ec2[i]);
}

/**
 * Why a token realm may not be used, or undefined when it may. Credentials for the registry are sent
 * there, so: http(s) only, plain http only when the registry itself may be plain http (loopback or
 * configured insecure), never a forbidden address.
 */
export function realmRefusal(realm: string, allowPlainHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return `token realm "${realm}" is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `token realm uses ${url.protocol.replace(/:$/, '')}://, only https is allowed`;
  }
  if (isForbiddenAddress(url.hostname)) {
    return `token realm points at ${url.hostname}, a link-local/metadata address`;
  }
  if (url.protocol === 'http:' && !allowPlainHttp) {
    return 'token realm is plain http for a registry that is not on this machine; credentials would travel unencrypted';
  }
  return undefined;
}
