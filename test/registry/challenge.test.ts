import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../src/registry/challenge.js';

describe('WWW-Authenticate', () => {
  it.each([
    [
      'Docker Hub bearer',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
      [
        {
          scheme: 'bearer',
          params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' },
        },
      ],
    ],
    [
      'bearer with scope and error',
      'Bearer realm="https://a/token",service="s",scope="repository:x/y:pull",error="insufficient_scope"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://a/token',
            service: 's',
            scope: 'repository:x/y:pull',
            error: 'insufficient_scope',
          },
        },
      ],
    ],
    ['basic', 'Basic realm="basic-realm"', [{ scheme: 'basic', params: { realm: 'basic-realm' } }]],
    [
      'two challenges',
      'Basic realm="r", Bearer realm="https://t", service=reg',
      [
        { scheme: 'basic', params: { realm: 'r' } },
        { scheme: 'bearer', params: { realm: 'https://t', service: 'reg' } },
      ],
    ],
    [
      'escapes and spaces',
      'Bearer  realm = "a\\"b" , service="c,d"',
      [{ scheme: 'bearer', params: { realm: 'a"b', service: 'c,d' } }],
    ],
    ['empty', '', []],
  ])('%s', (_name, header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });
});
