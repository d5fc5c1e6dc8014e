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

export function isLoopbackHost(host: string): boolean {
  const name = stripBrackets(host).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(name);
  return false;
}

/** Link-local and metadata addresses: 169.254.0.0/16, fe80::/10, fd00:ec2::254, and their mapped forms. */
export function isForbiddenAddress(address: string): boolean {
  const name = stripBrackets(address).toLowerCase();
  if (METADATA_HOSTS.has(name)) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name);
  const ip = mapped ? mapped[1]! : name;
  if (isIP(ip) === 4) return ip.startsWith('169.254.') || ip === '100.100.100.200'; // Alibaba's metadata
  if (isIP(ip) === 6) {
    if (/^fe[89ab][0-9a-f]:/.test(ip)) return true;
    return /^fd00:0?ec2:(0+:)*:?0*254$/.test(ip) || ip === 'fd00:ec2::254';
  }
  return false;
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
