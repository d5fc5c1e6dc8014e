import { describe, expect, it } from 'vitest';
import { isSha, isZeroSha, planEvent } from '../../src/changes/event.js';
import { normalisePaths } from '../../src/changes/paths.js';
import { isTruncated, keptNames } from '../../src/changes/pull-files.js';

describe('normalisePaths', () => {
  it.each([
    [['b.yaml', 'a.yaml', 'b.yaml'], '/', ['a.yaml', 'b.yaml']],
    [['./k8s/a.yaml', 'k8s/a.yaml', ''], '/', ['k8s/a.yaml']],
    [['k8s\\a.yaml', 'k8s/a.yaml'], '\\', ['k8s/a.yaml']],
    // On POSIX a backslash is part of the name.
    [['k8s\\a.yaml'], '/', ['k8s\\a.yaml']],
    // Code-unit order: uppercase before lowercase, ASCII before accented letters.
    [
      ['ü.yaml', 'b.yaml', 'B.yaml', 'a/z.yaml', 'a.yaml'],
      '/',
      ['B.yaml', 'a.yaml', 'a/z.yaml', 'b.yaml', 'ü.yaml'],
    ],
  ])('%j with sep %j → %j', (input, sep, expected) => {
    expect(normalisePaths(input, sep)).toEqual(expected);
  });
});

describe('keptNames', () => {
  it('keeps every status but removed, renames under the new name, ignores junk entries', () => {
    const entries = [
      { filename: 'a', status: 'added' },
      { filename: 'm', status: 'modified' },
      { filename: 'r', status: 'removed' },
      { filename: 'new', previous_filename: 'old', status: 'renamed' },
      { filename: 'c', status: 'copied' },
      { filename: 't', status: 'changed' },
      { status: 'added' },
      null,
      'x',
    ];
    expect(keptNames(entries)).toEqual(['a', 'm', 'new', 'c', 't']);
  });
});

describe('isTruncated', () => {
  it.each([
    [2999, false, undefined, false],
    [3000, false, 3000, false],
    [3000, true, 3000, true],
    [3000, false, 3001, true],
    [3000, false, undefined, true],
  ])('%i entries, next page %s, changed_files %s → %s', (entries, hasNext, changed, expected) => {
    expect(isTruncated(entries, hasNext, changed)).toBe(expected);
  });
});

describe('planEvent', () => {
  const sha = 'a'.repeat(40);
  it.each([
    [
      'pull_request',
      { number: 3, pull_request: { number: 3, changed_files: 0, base: { sha }, head: { sha } } },
      { kind: 'pull', number: 3, base: sha, head: sha, changedFiles: 0 },
    ],
    ['pull_request', { number: 3 }, { kind: 'pull', number: 3 }],
    ['pull_request_target', 'not an object', { kind: 'pull' }],
    [
      'push',
      { before: sha, after: sha },
      { kind: 'push', before: sha, after: sha, created: false, deleted: false },
    ],
    ['push', { created: 'yes' }, { kind: 'push', created: false, deleted: false }],
    [
      'merge_group',
      { merge_group: { base_sha: sha, head_sha: sha } },
      { kind: 'merge_group', base: sha, head: sha },
    ],
    ['workflow_dispatch', {}, { kind: 'other' }],
  ])('%s %j', (eventName, payload, expected) => {
    // toEqual ignores undefined-valued keys, so absent fields read as absent.
    expect(planEvent(eventName, payload)).toEqual(expected);
  });
});

describe('isSha / isZeroSha', () => {
  it.each([
    ['a'.repeat(40), true, false],
    ['A'.repeat(40), true, false],
    ['b'.repeat(64), true, false],
    ['0'.repeat(40), true, true],
    ['a'.repeat(39), false, false],
    ['HEAD', false, false],
    ['--output=x', false, false],
    [undefined, false, false],
  ])('%j → sha %s, zero %s', (value, sha, zero) => {
    expect(isSha(value)).toBe(sha);
    expect(isZeroSha(value)).toBe(zero);
  });
});
