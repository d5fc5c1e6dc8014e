import { describe, expect, it } from 'vitest';
import { closestTags, editDistance } from '../../src/analysis/suggest.js';

describe('closest tags', () => {
  it.each<[string, string[], string[]]>([
    ['1.25.30', ['1.25.3', '1.25.2', '1.24.0', 'latest', '1.25.4-alpine'], ['1.25.3', '1.25.2', '1.24.0']],
    ['v1.2', ['v2.0', 'v1.3', 'v1.20'], ['v1.20', 'v1.3', 'v2.0']],
    ['lates', ['latest', 'stable'], ['latest']],
    ['3.20', ['3.19', '3.20.1', 'edge'], ['3.20.1', '3.19']],
    ['x', [], []],
    ['2024.10', ['completely', 'different'], []],
  ])('%s among %j → %j', (wanted, tags, expected) => {
    expect(closestTags(wanted, tags)).toEqual(expected);
  });

  it('measures edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
