import { describe, expect, it } from 'vitest';
import { compareGoStrings, goFilepathMatch, parseGoUrl, splitHostPort } from '../../src/go/compat.js';

describe('goFilepathMatch (Go path/filepath match_test.go matchTests)', () => {
  const bad = 'bad-pattern' as const;
  it.each([
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', false],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[\\-x]', '-', true],
    ['[\\-x]', 'a', false],
    ['[]a]', ']', bad],
    ['[-]', '-', bad],
    ['[x-]', 'x', bad],
    ['[x-]', '-', bad],
    ['[x-]', 'z', bad],
    ['[-x]', 'x', bad],
    ['[-x]', '-', bad],
    ['[-x]', 'a', bad],
    ['\\', 'a', bad],
    ['[a-b-c]', 'a', bad],
    ['[', 'a', bad],
    ['[^', 'a', bad],
    ['[^bc', 'a', bad],
    ['a[', 'a', bad],
    ['a[', 'ab', bad],
    ['a[', 'x', bad],
    ['a/b[', 'x', bad],
    ['*x', 'xxx', true],
  ])('Match(%s, %s) = %s', (pattern, name, expected) => {
    expect(goFilepathMatch(pattern, name)).toBe(expected);
  });
});

describe('splitHostPort (Go net.SplitHostPort)', () => {
  it.each([
    ['localhost:5000', { host: 'localhost', port: '5000' }],
    ['[::1]:5000', { host: '::1', port: '5000' }],
    ['host:', { host: 'host', port: '' }],
    [':80', { host: '', port: '80' }],
    ['host', undefined],
    ['[::1]', undefined],
    ['a:b:c', undefined],
    ['[::1]x:5000', undefined],
    ['', undefined],
  ])('%s → %j', (input, expected) => {
    expect(splitHostPort(input)).toEqual(expected);
  });
});

describe('parseGoUrl (Go net/url.Parse, Host and Path)', () => {
  it.each([
    ['https://quay.io/v1/', { host: 'quay.io', path: '/v1/' }],
    ['https://quay.io', { host: 'quay.io', path: '' }],
    ['https://quay.io:443/a?x=1#frag', { host: 'quay.io:443', path: '/a' }],
    ['https:///foo', { host: '', path: '/foo' }],
    ['https://user:pw@host/p', { host: 'host', path: '/p' }],
    ['https://host/a%20b', { host: 'host', path: '/a b' }],
    ['https://*.example.com', { host: '*.example.com', path: '' }],
    ['https://[::1]:5000/x', { host: '[::1]:5000', path: '/x' }],
    ['https://h%C3%A9.com', { host: 'hé.com', path: '' }],
    ['https://host:80x', undefined],
    ['https://ho st', undefined],
    ['https://host/%2', undefined],
    ['https://h%41.com', undefined],
    ['https://host/\u0001', undefined],
    ['https://host#%zz', undefined],
    ['https://[::1', undefined],
    ['https://us er@host', undefined],
  ])('%s → %j', (input, expected) => {
    expect(parseGoUrl(input)).toEqual(expected);
  });
});

describe('compareGoStrings (bytewise, as Go sorts)', () => {
  it.each([
    ['quay.io', 'quay.io/coreos', -1],
    ['*.io', 'docker.io', -1],
    // UTF-16 code units would put U+FFFF after U+1F600; UTF-8 bytes do not.
    ['\uffff', '\u{1f600}', -1],
    ['a', 'a', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareGoStrings(a, b))).toBe(sign);
  });
});
