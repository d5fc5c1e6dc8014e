import { describe, expect, it } from 'vitest';
import { closestTags, editDistance, MAX_SUGGESTION_CELLS } from '../../src/analysis/suggest.js';

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

  it('bounds its work per image: tags past the budget are not compared', () => {
    const wanted = 'w'.repeat(128);
    const near = `${'w'.repeat(127)}x`;
    // 128-character tags nothing like the wanted one: each costs a full comparison.
    const hostile = Array.from({ length: 50_000 }, (_, i) => String(i).padStart(128, 'q'));
    expect(129 * 129 * hostile.length).toBeGreaterThan(MAX_SUGGESTION_CELLS);
    expect(closestTags(wanted, [near, ...hostile])).toEqual([near]);
    expect(closestTags(wanted, [...hostile, near])).toEqual([]);
  });

  it('skips tags whose length alone rules them out, with the same answer', () => {
    const tags = ['1.25.3', 'x'.repeat(120), '1.25.2', 'latest'];
    expect(closestTags('1.25.30', tags)).toEqual(['1.25.3', '1.25.2']);
  });
});
