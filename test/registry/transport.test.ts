import { describe, expect, it } from 'vitest';
import { describeNetworkError, type NetworkCause } from '../../src/registry/transport.js';

const target = new URL('https://registry.example:5000/v2/');
const error = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('network failures: plain-English reason, and whether another attempt can help', () => {
  it.each<[string, Error, string, NetworkCause, boolean]>([
    ['DNS', error('ENOTFOUND'), 'DNS lookup of registry.example failed (ENOTFOUND)', 'dns', false],
    ['DNS, temporary', error('EAI_AGAIN'), 'DNS lookup of registry.example failed (EAI_AGAIN)', 'dns', true],
    ['refused', error('ECONNREFUSED'), 'connection to registry.example:5000 refused', 'refused', true],
    ['reset', error('ECONNRESET'), 'connection to registry.example:5000 was reset', 'reset', true],
    [
      'connect timeout',
      error('UND_ERR_CONNECT_TIMEOUT'),
      'connecting to registry.example:5000 timed out',
      'timeout',
      true,
    ],
    [
      'headers timeout',
      error('UND_ERR_HEADERS_TIMEOUT'),
      'registry.example:5000 did not answer in time',
      'timeout',
      true,
    ],
    [
      'plain HTTP server',
      error('EPROTO', 'ssl3_get_record:wrong version number'),
      'TLS to registry.example:5000 failed: the server does not speak HTTPS',
      'no-https',
      false,
    ],
    [
      'untrusted certificate',
      error('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      'TLS to registry.example:5000 failed: self-signed certificate in certificate chain',
      'tls',
      false,
    ],
    [
      'wrapped cause',
      Object.assign(new Error('fetch failed'), { cause: error('ECONNRESET') }),
      'connection to registry.example:5000 was reset',
      'reset',
      true,
    ],
  ])('%s', (_name, failure, reason, cause, transient) => {
    expect(describeNetworkError(failure, target)).toEqual({ failure: reason, cause, transient });
  });
});
