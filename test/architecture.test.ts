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

/** Leaf libraries every stage may use; they import no stage. */
const LIBRARIES = ['go', 'findings.ts'];

/** Folders beside the settings table (src/settings.ts), read by the entry points only. */
const SETTINGS_SIDE = ['config'];

/** Top-level modules the pipeline stages may import: shared types, never an entry point or the scan. */
const SHARED_TOP_LEVEL = ['findings.ts', 'scan-result.ts', 'settings.ts', 'version.ts'];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Every relative import in src: [importing file's first segment, imported file's first segment]. */
async function imports(): Promise<Array<{ file: string; specifier: string; from: string; to: string }>> {
  const found = [];
  for (const file of await sourceFiles('src')) {
    const from = path.relative('src', file).split(path.sep)[0]!;
    const text = await readFile(file, 'utf8');
    for (const [, specifier] of text.matchAll(/from '(\.[^']+)'/g)) {
      const target = path.relative('src', path.resolve(path.dirname(file), specifier!));
      found.push({
        file,
        specifier: specifier!,
        from,
        to: target.split(path.sep)[0]!.replace(/\.js$/, '.ts'),
      });
    }
  }
  return found;
}

describe('architecture', () => {
  it('imports point one way: changes → manifests → render → reference → credentials → registry → analysis → report', async () => {
    const backwards = (await imports())
      .filter(({ from, to }) => PIPELINE.includes(from) && PIPELINE.includes(to))
      .filter(({ from, to }) => PIPELINE.indexOf(to) > PIPELINE.indexOf(from))
      .map(({ file, specifier }) => `${file} imports ${specifier}`);
    expect(backwards).toEqual([]);
  });

  it('no stage imports the scan, an entry point or another top-level module but shared types', async () => {
    const upward = (await imports())
      .filter(({ from, to }) => PIPELINE.includes(from) && !PIPELINE.includes(to) && !LIBRARIES.includes(to))
      .filter(({ to }) => !SHARED_TOP_LEVEL.includes(to))
      .map(({ file, specifier }) => `${file} imports ${specifier}`);
    expect(upward).toEqual([]);
  });

  it('every folder of src is a stage, a library or the config file reader: none escapes these rules', async () => {
    const folders = (await readdir('src', { withFileTypes: true })).filter((e) => e.isDirectory());
    expect(
      folders
        .map((e) => e.name)
        .filter((name) => ![...PIPELINE, ...LIBRARIES, ...SETTINGS_SIDE].includes(name)),
    ).toEqual([]);
  });

  it('the config file reader feeds the settings table: no stage imports it, it imports no scan or entry point', async () => {
    const all = await imports();
    expect(all.filter(({ from }) => from === 'config').length).toBeGreaterThan(0);
    const intoConfig = all
      .filter(({ from, to }) => to === 'config' && from !== 'config' && PIPELINE.includes(from))
      .map(({ file, specifier }) => `${file} imports ${specifier}`);
    expect(intoConfig).toEqual([]);
    const upward = all
      .filter(({ from, to }) => from === 'config' && to.endsWith('.ts') && !SHARED_TOP_LEVEL.includes(to))
      .map(({ file, specifier }) => `${file} imports ${specifier}`);
    expect(upward).toEqual([]);
  });

  it('the Go ports and the shared finding type import no stage', async () => {
    const leaking = (await imports())
      .filter(({ from, to }) => LIBRARIES.includes(from) && PIPELINE.includes(to))
      .map(({ file, specifier }) => `${file} imports ${specifier}`);
    expect(leaking).toEqual([]);
  });

  it('the scan result imports only types, from the stages it summarises', async () => {
    const text = await readFile('src/scan-result.ts', 'utf8');
    const specifiers = [...text.matchAll(/^import (type )?.* from '([^']+)'/gm)];
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter(([, isType]) => !isType).map(([line]) => line)).toEqual([]);
    expect(
      specifiers.map(([, , from]) => from!.split('/')[1]).every((stage) => PIPELINE.includes(stage!)),
    ).toBe(true);
  });

  it('finding words are written in one place: only messages.ts words pull decisions', async () => {
    // PullChecker decides rules and facts; it neither builds findings nor writes messages.
    const checker = await readFile('src/analysis/pull-check.ts', 'utf8');
    expect(checker).not.toMatch(/imageFinding|message:|fix:/);
  });
});
