import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The folders follow the pipeline; a stage may import from earlier stages only. */
const PIPELINE = [
  'changes',
  'manifests',
  'render',
  'reference',
  'credentials',
  'registry',
  'analysis',
  'report',
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('architecture', () => {
  it('imports point one way: changes → manifests → render → reference → credentials → registry → analysis → report', async () => {
    const backwards: string[] = [];
    for (const file of await sourceFiles('src')) {
      const stage = path.relative('src', file).split(path.sep)[0]!;
      if (!PIPELINE.includes(stage)) continue;
      const text = await readFile(file, 'utf8');
      for (const [, specifier] of text.matchAll(/from '(\.[^']+)'/g)) {
        const target = path.relative('src', path.resolve(path.dirname(file), specifier!)).split(path.sep)[0]!;
        if (PIPELINE.includes(target) && PIPELINE.indexOf(target) > PIPELINE.indexOf(stage)) {
          backwards.push(`${file} imports ${specifier}`);
        }
      }
    }
    expect(backwards).toEqual([]);
  });
});
