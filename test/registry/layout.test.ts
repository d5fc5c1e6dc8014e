import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The registry stage in containerd's parts: `client.ts` is the facade (caches, limits) over the
 * endpoint resolver, authorizer, fetcher, tag lister, error mapping and transport, which know
 * nothing of it. Within the stage, imports point down this order.
 */
const LAYERS = [
  ['types.ts', 'guard.ts', 'challenge.ts', 'media-types.ts', 'platforms.ts', 'limiter.ts'],
  ['transport.ts'],
  ['endpoint.ts', 'errors.ts'],
  ['authorizer.ts'],
  ['fetcher.ts', 'tags.ts'],
  ['client.ts'],
];

describe('src/registry layout', () => {
  it('every module has a layer, and imports only from its own layer or below', async () => {
    const dir = path.join('src', 'registry');
    const files = (await readdir(dir)).filter((name) => name.endsWith('.ts'));
    const layer = (file: string) => LAYERS.findIndex((names) => names.includes(file));
    expect(files.filter((file) => layer(file) === -1)).toEqual([]);
    const upward: string[] = [];
    for (const file of files) {
      const text = await readFile(path.join(dir, file), 'utf8');
      for (const [, target] of text.matchAll(/from '\.\/([^']+)\.js'/g)) {
        if (layer(`${target}.ts`) > layer(file)) upward.push(`${file} imports ${target}.ts`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('nothing outside the stage reaches the facade’s parts (fetcher, tags, endpoint, errors, transport, limits)', async () => {
    const reached: string[] = [];
    for (const entry of await readdir('src', { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const file = path.join(entry.parentPath, entry.name);
      if (file.startsWith(path.join('src', 'registry'))) continue;
      const text = await readFile(file, 'utf8');
      for (const [, target] of text.matchAll(/from '[./]*registry\/([^']+)\.js'/g)) {
        if (['fetcher', 'tags', 'endpoint', 'errors', 'transport', 'limiter'].includes(target!))
          reached.push(`${file} imports registry/${target}`);
      }
    }
    expect(reached).toEqual([]);
  });
});
