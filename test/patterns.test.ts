import { describe, expect, it } from 'vitest';
import { globMatch } from '../src/analysis/glob.js';
import { isImageMatched } from '../src/render/kustomize/image-tag.js';
import { mayBacktrack, wildcardMatch } from '../src/patterns.js';

/**
 * Patterns from the pull request (config-file ignoreImages and pendingImages, kustomize image names,
 * Argo CD globs, patch targets) are matched without a backtracking regular expression. The hostile
 * rows below run for ever in the regex each replaced.
 */

describe('globMatch (ignore-images, pending-images, node-credentials, path suppressions)', () => {
  it.each<[string, string, boolean]>([
    ['registry.internal/*', 'registry.internal/team/app:1.0', true],
    ['registry.internal/*', 'registry.internalx/app', false],
    ['*.example.com/app', 'eu.example.com/app', true],
    ['ghcr.io/acme/ap?', 'ghcr.io/acme/app', true],
    ['ghcr.io/acme/ap?', 'ghcr.io/acme/ap', false],
    ['docker.io/library/nginx:1.2[5]', 'docker.io/library/nginx:1.2[5]', true],
    ['a.b', 'axb', false],
    ['**', 'anything/at/all', true],
    ['', '', true],
    [`${'*a'.repeat(40)}*b`, 'a'.repeat(250), false],
    ['x'.repeat(1025), 'x'.repeat(1025), false],
  ])('%s ~ %s: %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });
});

describe('wildcardMatch with a separator (path globs)', () => {
  it.each<[string, string, boolean]>([
    ['*.yaml', 'a.yaml', true],
    ['*.yaml', 'dir/a.yaml', false],
    ['**/*.yaml', 'dir/a.yaml', true],
    ['?/a', '//a', false],
    [`${'**a'.repeat(30)}**b`, `${'a/'.repeat(120)}c`, false],
  ])('%s ~ %s: %s', (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text, '/')).toBe(expected);
  });
});

describe('mayBacktrack', () => {
  it.each<[string, boolean]>([
    ['web', false],
    ['w.*', false],
    ['(web|api)-v1', false],
    ['registry.example.com/app', false],
    ['(a+)+$', true],
    ['(a|a)*b', true],
    ['(ab){2,}', true],
    ['.*.*.*.*x', true],
    ['a\\*b\\*c\\*d\\*e', false],
  ])('%s: %s', (pattern, expected) => {
    expect(mayBacktrack(pattern)).toBe(expected);
  });
});

describe('kustomize images: name from the pull request', () => {
  it.each<[string, string, boolean]>([
    ['nginx', 'nginx:1.25', true],
    ['ngin.', 'nginx:1.25', true],
    // Could backtrack without end: matched as the literal name (with a tag or digest), never run.
    ['(a+)+', `${'a'.repeat(40)}!`, false],
    ['(a+)+', '(a+)+:1.0', true],
  ])('%s ~ %s: %s', (name, image, expected) => {
    expect(isImageMatched(image, name)).toBe(expected);
  });
});
