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
const LIBRARIES = ['go', 'findings.ts', 'duration.ts', 'input-error.ts', 'patterns.ts'];

/** Folders beside the settings table (src/settings.ts), read by the entry points only. */
const SETTINGS_SIDE = ['config'];

/**
 * Top-level modules the pipeline stages may import: shared types, never the settings table, the scan
 * or an entry point (the scan passes the stages what the settings say).
 */
const SHARED_TOP_LEVEL = ['findings.ts', 'scan-result.ts', 'version.ts'];

/** What no stage may reach, directly or through any chain of imports (besides later stages). */
const NEVER_FROM_A_STAGE = [
  'settings.ts',
  'scan.ts',
  'action.ts',
  'cli.ts',
  'main-action.ts',
  'main-cli.ts',
  'config',
];

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

/** Every module's relative imports (type-only ones too), as src-relative paths: `registry/client.ts`. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles('src')) {
    const text = await readFile(file, 'utf8');
    const targets = [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*'(\.[^']+)'/g)].map(([, specifier]) =>
      path.relative('src', path.resolve(path.dirname(file), specifier!)).replace(/\.js$/, '.ts'),
    );
    graph.set(path.relative('src', file), targets);
  }
  return graph;
}

/** Every module `start` loads, directly or through a chain, each with the chain that reaches it. */
function reachable(graph: Map<string, string[]>, start: string): Map<string, string[]> {
  const chains = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
    for (const target of graph.get(module) ?? []) {
      if (chains.has(target)) continue;
      chains.set(target, [...chains.get(module)!, target]);
      queue.push(target);
    }
  }
  chains.delete(start);
  return chains;
}

const firstSegment = (module: string) => module.split(path.sep)[0]!;

/** May a module of `stage` load `module`? Earlier or the same stage, a library or a shared type. */
function allowedFromStage(stage: string, module: string): boolean {
  const segment = firstSegment(module);
  if (PIPELINE.includes(segment)) return PIPELINE.indexOf(segment) <= PIPELINE.indexOf(stage);
  return LIBRARIES.includes(segment) || SHARED_TOP_LEVEL.includes(segment);
}

/** Every chain by which a stage module reaches what it may not, as `a.ts → b.ts → settings.ts`. */
function stageViolations(graph: Map<string, string[]>): string[] {
  return [...graph.keys()]
    .filter((module) => PIPELINE.includes(firstSegment(module)))
    .flatMap((module) =>
      [...reachable(graph, module)]
        .filter(([target]) => !allowedFromStage(firstSegment(module), target))
        // The first forbidden module on a chain is the one to name; what it loads in turn is its business.
        .filter(([, chain]) =>
          chain.slice(1, -1).every((step) => allowedFromStage(firstSegment(module), step)),
        )
        .map(([, chain]) => chain.join(' → ')),
    );
}

describe('architecture', () => {
  it('imports point one way: changes → manifests → render → reference → credentials → registry → analysis → report', async () => {
    const backwards = (await imports())
      .filter(({ from, to }) => PIPELINE.includes(from) && PIPELINE.includes(to))
      .filter(({ from, to }) => PIPELINE.indexOf(to) > PIPELINE.indexOf(from))
      .map(({ file, specifier }) => `${file} imports ${specifier}`);
    expect(backwards).toEqual([]);
  });

  it('no stage reaches, through any chain of imports, a later stage, the settings, the scan, config/ or an entry point', async () => {
    const graph = await importGraph();
    const unknown = [...graph.values()].flat().filter((target) => !graph.has(target));
    expect(unknown).toEqual([]);
    expect(NEVER_FROM_A_STAGE.filter((name) => allowedFromStage('report', name))).toEqual([]);
    expect(stageViolations(graph)).toEqual([]);
  });

  it('the closure walk follows chains: the entry points reach every stage, an indirect upward import is caught', async () => {
    const graph = await importGraph();
    const fromEntryPoints = ['main-cli.ts', 'main-action.ts']
      .flatMap((entry) => [...reachable(graph, entry).keys()])
      .map(firstSegment);
    expect(PIPELINE.filter((stage) => !fromEntryPoints.includes(stage))).toEqual([]);
    const upwardThroughSettings = new Map([
      ['render/index.ts', ['render/sources.ts']],
      ['render/sources.ts', ['manifests/files.ts', 'settings.ts']],
      ['manifests/files.ts', []],
      ['settings.ts', ['analysis/rules.ts']],
      ['analysis/rules.ts', []],
    ]);
    expect(stageViolations(upwardThroughSettings)).toEqual([
      'render/index.ts → render/sources.ts → settings.ts',
      'render/sources.ts → settings.ts',
    ]);
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
      .filter(({ from, to }) => from === 'config' && to.endsWith('.ts'))
      .filter(({ to }) => ![...SHARED_TOP_LEVEL, ...LIBRARIES, 'settings.ts'].includes(to))
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
