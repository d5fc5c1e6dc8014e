import { describe, expect, it } from 'vitest';
import {
  compatiblePlatforms,
  formatPlatform,
  matchPlatform,
  normalizePlatform,
  parsePlatform,
} from '../../src/registry/platforms.js';
import type { Platform } from '../../src/registry/types.js';

const p = (text: string) => parsePlatform(text)!;
const entries = (...texts: string[]) => texts.map((text, i) => ({ ...p(text), digest: `sha256:${i}` }));

describe('containerd platform matching', () => {
  it.each([
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/arm/6', 'linux/arm/v6'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/i386', 'linux/386'],
  ])('normalises %s to %s', (input, expected) => {
    expect(formatPlatform(normalizePlatform(p(input)))).toBe(expected);
  });

  it.each<[string, string[], string | undefined]>([
    ['linux/amd64', ['linux/arm64', 'linux/amd64'], 'linux/amd64'],
    ['linux/arm64', ['linux/arm/v7', 'linux/arm64'], 'linux/arm64'],
    ['linux/arm64', ['linux/arm/v7', 'linux/arm/v6'], 'linux/arm/v7'],
    ['linux/arm64', ['linux/arm/v8', 'linux/arm/v7'], 'linux/arm/v8'],
    ['linux/arm/v7', ['linux/arm/v6', 'linux/arm/v5'], 'linux/arm/v6'],
    ['linux/arm/v6', ['linux/arm/v7'], undefined],
    ['linux/amd64', ['linux/386'], 'linux/386'],
    ['linux/amd64', ['linux/arm64', 'windows/amd64'], undefined],
    ['linux/arm64', ['unknown/unknown', 'linux/amd64'], undefined],
  ])('%s on an index of %j picks %s', (wanted, available, expected) => {
    const match = matchPlatform(p(wanted), entries(...available));
    expect(match.matched ? formatPlatform(match.matched) : undefined).toBe(expected);
  });

  it('lists what arm64 can run, best first', () => {
    expect(compatiblePlatforms(p('linux/arm64')).map((x: Platform) => formatPlatform(x))).toEqual([
      'linux/arm64',
      'linux/arm/v8',
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/arm/v5',
    ]);
  });

  it.each(['linux', 'linux/', 'a/b/c/d', 'linux/am d64'])('refuses %j', (text) => {
    expect(parsePlatform(text)).toBeUndefined();
  });
});
