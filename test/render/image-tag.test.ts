import { describe, expect, it } from 'vitest';
import { applyOverride, isImageMatched, splitImage } from '../../src/render/kustomize/image-tag.js';

/** kustomize's `images:` matching and rewriting, case by case (sigs.k8s.io/kustomize/api v5.5). */

describe('isImageMatched: the name as written, then an optional tag and digest', () => {
  it.each<[string, string, boolean]>([
    ['nginx', 'nginx', true],
    ['nginx:1.27', 'nginx', true],
    ['nginx@sha256:abc', 'nginx', true],
    ['nginx:1.27@sha256:abc', 'nginx', true],
    ['my-nginx:1', 'nginx', false],
    ['nginx-alpine:1', 'nginx', false],
    ['docker.io/library/nginx:1', 'nginx', false],
    ['localhost:5000/app:1', 'localhost:5000/app', true],
    // The name is used as a regular expression, unescaped: "." matches any character.
    ['regxtest/app:1', 'reg.test/app', true],
    ['app:1', '(', false],
  ])('%s against name %s → %s', (image, name, matched) => {
    expect(isImageMatched(image, name)).toBe(matched);
  });
});

describe('splitImage: a colon before the first slash is a port', () => {
  it.each<[string, string, string, string]>([
    ['app', 'app', '', ''],
    ['app:1', 'app', '1', ''],
    ['localhost:5000/app', 'localhost:5000/app', '', ''],
    ['localhost:5000/app:2', 'localhost:5000/app', '2', ''],
    ['app@sha256:abc', 'app', '', 'sha256:abc'],
    ['reg:5000/app:3@sha256:abc', 'reg:5000/app', '3', 'sha256:abc'],
  ])('%s → %s | %s | %s', (image, name, tag, digest) => {
    expect(splitImage(image)).toEqual({ name, tag, digest });
  });
});

describe('applyOverride: what one images entry makes of an image', () => {
  it.each<[string, Record<string, string>, string | undefined]>([
    ['app:1', { name: 'app', newTag: '2' }, 'app:2'],
    ['app:1@sha256:abc', { name: 'app', newTag: '2' }, 'app:2'],
    ['app:1@sha256:abc', { name: 'app', digest: 'sha256:def' }, 'app@sha256:def'],
    ['app:1', { name: 'app', newTag: '2', digest: 'sha256:def' }, 'app:2@sha256:def'],
    ['app:1', { name: 'app', newName: 'reg.test/team/app' }, 'reg.test/team/app:1'],
    ['app', { name: 'app', newName: 'other', newTag: '5' }, 'other:5'],
    ['app:1', { name: 'web', newTag: '2' }, undefined],
  ])('%s with %j → %s', (image, entry, expected) => {
    expect(applyOverride(image, { name: entry.name!, ...entry })).toBe(expected);
  });
});
