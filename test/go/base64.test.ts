import { describe, expect, it } from 'vitest';
import { bytesToString, goBase64Decode } from '../../src/go/base64.js';

describe('goBase64Decode (Go encoding/base64)', () => {
  it.each([
    ['Zm9vOmJhcg==', true, 'foo:bar'],
    ['Zm9vOmJhcg', false, 'foo:bar'],
    ['Zm9vOmJhcg', true, undefined],
    ['Zm9vOmJhcg==', false, undefined],
    ['Zm9v\nOmJh\r\ncg==', true, 'foo:bar'],
    ['Zm9vOg==', true, 'foo:'],
    ['Zm9=', true, 'fo'],
    ['Zg=', true, undefined],
    ['Zg==Zg==', true, undefined],
    ['Z', false, undefined],
    ['pants', false, undefined],
    ['Zm9 v', false, undefined],
    ['', true, ''],
    // Go does not check the unused trailing bits.
    ['Zh==', true, 'f'],
  ])('%j (padded: %s) → %j', (input, padded, expected) => {
    const bytes = goBase64Decode(input, padded);
    expect(bytes === undefined ? undefined : bytesToString(bytes)).toBe(expected);
  });
});
