import { describe, expect, it } from 'vitest';
import {
  decodeDockerConfig,
  decodeDockerConfigEntry,
  decodeDockerConfigFieldAuth,
  decodeDockerConfigJson,
  decodePullSecretData,
} from '../../src/manifests/docker-config.js';

describe('decodeDockerConfigEntry (upstream config_test.go TestDockerConfigEntryJSONDecode)', () => {
  it.each([
    // simple case, just decode the fields
    [
      { username: 'foo', password: 'bar', email: 'foo@example.com' },
      { username: 'foo', password: 'bar' },
    ],
    // auth field decodes to username & password
    [
      { auth: 'Zm9vOmJhcg==', email: 'foo@example.com' },
      { username: 'foo', password: 'bar' },
    ],
    // auth field overrides username & password
    [
      { username: 'foo', password: 'bar', auth: 'cGluZzpwb25n', email: 'foo@example.com' },
      { username: 'ping', password: 'pong' },
    ],
    // poorly-formatted auth causes failure
    [{ auth: 'pants', email: 'foo@example.com' }, undefined],
    // invalid JSON (a non-string field) causes failure
    [{ email: false }, undefined],
    // Not upstream: Go matches field names case-insensitively and ignores unknown fields.
    [
      { Username: 'foo', PASSWORD: 'bar', identitytoken: 'x', registrytoken: 'y' },
      { username: 'foo', password: 'bar' },
    ],
    [{ identitytoken: 'only-a-token' }, { username: '', password: '' }],
    [
      { auth: '', username: 'foo', password: 'bar' },
      { username: 'foo', password: 'bar' },
    ],
    [{ username: null }, { username: '', password: '' }],
    [null, { username: '', password: '' }],
    ['a string', undefined],
    [[], undefined],
  ])('%j → %j', (input, expected) => {
    const decoded = decodeDockerConfigEntry(input);
    expect(decoded.ok ? decoded.value : undefined).toEqual(expected);
  });
});

describe('decodeDockerConfigFieldAuth (upstream config_test.go TestDecodeDockerConfigFieldAuth)', () => {
  it.each([
    // auth field decodes to username & password
    ['Zm9vOmJhcg==', { username: 'foo', password: 'bar' }],
    // good base64 data, but no colon separating username & password
    ['cGFudHM=', undefined],
    // bad base64 data
    ['pants', undefined],
    // Not upstream: unpadded base64 is decoded with RawStdEncoding; a password may hold colons.
    ['Zm9vOmJhcg', { username: 'foo', password: 'bar' }],
    [Buffer.from('user:pa:ss').toString('base64'), { username: 'user', password: 'pa:ss' }],
    [Buffer.from(':secret').toString('base64'), { username: '', password: 'secret' }],
  ])('%s → %j', (input, expected) => {
    const decoded = decodeDockerConfigFieldAuth(input);
    expect(decoded.ok ? decoded.value : undefined).toEqual(expected);
  });
});

describe('whole configs (upstream config_test.go TestDockerConfigJSONDecode, TestDockerConfigJsonJSONDecode)', () => {
  const map = {
    'http://foo.example.com': { username: 'foo', password: 'bar', email: 'foo@example.com' },
    'http://bar.example.com': { username: 'bar', password: 'baz', email: 'bar@example.com' },
  };
  const expected = [
    { key: 'http://foo.example.com', username: 'foo', password: 'bar' },
    { key: 'http://bar.example.com', username: 'bar', password: 'baz' },
  ];

  it('decodes the .dockercfg map', () => {
    expect(decodeDockerConfig(map)).toEqual({ ok: true, value: expected });
  });

  it('decodes the .dockerconfigjson document', () => {
    expect(decodeDockerConfigJson({ auths: map, HttpHeaders: { a: 'b' } })).toEqual({
      ok: true,
      value: expected,
    });
  });

  it.each([
    [{}, true],
    [{ auths: null }, true],
    [{ Auths: {} }, true],
    [{ auths: [] }, false],
    [{ auths: 'x' }, false],
    [[], false],
    [{ auths: { 'a.io': { auth: 'pants' }, 'b.io': { username: 'u', password: 'p' } } }, false],
  ])('%j decodes: %s', (doc, ok) => {
    expect(decodeDockerConfigJson(doc).ok).toBe(ok);
  });
});

describe('decodePullSecretData (secrets.go MakeDockerKeyring)', () => {
  it.each([
    ['kubernetes.io/dockerconfigjson', '', 'skipped'],
    ['kubernetes.io/dockerconfigjson', '{"auths":{"ghcr.io":{"auth":"Zm9vOmJhcg=="}}}', true],
    ['kubernetes.io/dockercfg', '{"ghcr.io":{"auth":"Zm9vOmJhcg=="}}', true],
    // A dockerconfigjson read as dockercfg: `auths` becomes a registry key whose entry has no credentials.
    ['kubernetes.io/dockercfg', '{"auths":{"ghcr.io":{"auth":"Zm9vOmJhcg=="}}}', true],
    ['kubernetes.io/dockerconfigjson', '{not json', false],
  ] as const)('%s %s → %s', (type, text, ok) => {
    expect(decodePullSecretData(type, text).ok).toBe(ok);
  });

  it('reads dockercfg-shaped data under dockerconfigjson as having no credentials', () => {
    expect(
      decodePullSecretData('kubernetes.io/dockerconfigjson', '{"ghcr.io":{"auth":"Zm9vOmJhcg=="}}'),
    ).toEqual({
      ok: true,
      value: [],
    });
  });
});
