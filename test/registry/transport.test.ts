import { describe, expect, it } from 'vitest';
import { describeNetworkError } from '../../src/registry/transport.js';

const target = new URL('https://registry.example:5000/v2/');
const error = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('network failures: plain-English reason, and whether another attempt can help', () => {
  it.each<[string, Error, string, boolean]>([
    ['DNS', error('ENOTFOUND'), 'DNS lookup of registry.example failed (ENOTFOUND)', false],
    ['DNS, temporary', error('EAI_AGAIN'), 'DNS lookup of registry.example failed (EAI_AGAIN)', true],
    ['refused', error('ECONNREFUSED'), 'connection to registry.example:5000 refused', true],
    ['reset', error('ECONNRESET'), 'connection to registry.example:5000 was reset', true],
    [
      'connect timeout',
      error('UND_ERR_CONNECT_TIMEOUT'),
      'connecting to registry.example:5000 timed out',
      true,
    ],
    [
      'headers timeout',
      error('UND_ERR_HEADERS_TIMEOUT'),
      'registry.example:5000 did not answer in time',
      true,
    ],
    [
      'plain HTTP server',
      error('EPROTO', 'ssl3_get_record:wrong version number'),
      'TLS to registry.example:5000 failed: the server does not speak HTTPS',
      false,
    ],
    [
      'untrusted certificate',
      error('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      'TLS to registry.example:5000 failed: self-signed certificate in certificate chain',
      false,
    ],
    [
      'wrapped cause',
      Object.assign(new Error('fetch failed'), { cause: error('ECONNRESET') }),
      'connection to registry.example:5000 was reset',
      true,
    ],
  ])('%s', (_name, failure, reason, transient) => {
    expect(describeNetworkError(failure, target)).toEqual({ failure: reason, transient });
  });
});
