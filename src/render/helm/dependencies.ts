import { cp, mkdir, mkdtemp, readdir, realpath, rm, symlink } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SourceLocation } from '../../findings.js';
import { get, str } from '../../manifests/yaml-tree.js';
import { runTool } from '../process.js';
import type { SourceFiles } from '../sources.js';
import { fileDependencyPath, isInside, type Chart, type Dependency } from './chart.js';
import type { HelmRunner } from './runner.js';

/** Where helm renders a chart, and which of the files there are the user's. */
export interface ChartLayout {
  /** The chart itself, or a temporary copy with its dependencies built. */
  dir: string;
  /** The user's file that `file` (under `dir`) stands for; undefined for what a dependency build fetched. */
  userFile(file: string): string | undefined;
  dispose(): Promise<void>;
}

export type PreparedChart =
  | { ok: true; layout: ChartLayout }
  /** Dependencies that are not vendored and may not be fetched (helm-dependencies is off). */
  | { ok: false; missing: Dependency[] }
  | { ok: false; missing?: undefined; message: string; toolMissing: boolean; at?: SourceLocation };

export interface PrepareOptions {
  /** helm-dependencies: let `helm dependency build` fetch from repositories over the network. */
  network: boolean;
  /** The working directory: `file://` dependencies outside it are not read. */
  root: string;
  /** Addresses helm may not fetch from (link-local, metadata), injected by the scan. */
  mayNotFetch?: (address: string) => boolean;
  timeoutMs: number;
  runner: HelmRunner;
}

/**
 * Dependencies with nothing in `charts/` for them, as helm checks before it renders: a directory whose
 * Chart.yaml has the dependency's name, or an archive `<name>-<version>.tgz`.
 */
export async function missingDependencies(
  chart: Chart,
  dependencies: Dependency[],
  sources: SourceFiles,
): Promise<Dependency[]> {
  if (dependencies.length === 0) return [];
  const entries = await readdir(path.join(chart.dir, 'charts'), { withFileTypes: true }).catch(() => []);
  const vendored = new Set<string>();
  for (const entry of entries) {
    if (entry.isFile()) {
      for (const dependency of dependencies) {
        const rest = entry.name.startsWith(`${dependency.name}-`)
          ? entry.name.slice(dependency.name.length + 1)
          : '';
        if (/^\d.*\.tgz$/.test(rest)) vendored.add(dependency.name);
      }
    } else if (entry.isDirectory()) {
      const own = await sources.get(path.join(chart.dir, 'charts', entry.name, 'Chart.yaml'));
      const name = str(get(own?.documents[0]?.root, 'name'));
      if (name) vendored.add(name);
    }
  }
  return dependencies.filter((dependency) => !vendored.has(dependency.name));
}

/**
 * Where to render `chart`: in place when its dependencies are vendored; otherwise `helm dependency
 * build` in a temporary copy (never in the user's directory), which needs no network for `file://`
 * dependencies and is allowed it for the others only with helm-dependencies.
 */
export async function prepareChart(
  chart: Chart,
  dependencies: Dependency[],
  missing: Dependency[],
  options: PrepareOptions,
): Promise<PreparedChart> {
  const link = await linkOutside(chart.dir, options.root);
  if (link) {
    const message = `${link} is a symbolic link to outside the repository, which helm would read into the chart`;
    return { ok: false, toolMissing: false, message, at: chart.anchor };
  }
  if (missing.length === 0) return { ok: true, layout: inPlace(chart.dir) };
  const remote = missing.filter((dependency) => fileDependencyPath(dependency) === undefined);
  if (remote.length > 0 && !options.network) return { ok: false, missing: remote };
  const local = dependencies.flatMap((dependency) => {
    const written = fileDependencyPath(dependency);
    return written === undefined ? [] : [{ name: dependency.name, written }];
  });
  const refused = await refusal(dependencies, missing, chart, options);
  if (refused) return { ok: false, toolMissing: false, ...refused };
  const ups = Math.max(0, ...local.map((dependency) => leadingUps(dependency.written)));
  const scratch = await mkdtemp(path.join(tmpdir(), 'imagepull-preflight-chart-'));
  const dispose = () => rm(scratch, { recursive: true, force: true });
  try {
    // Deep enough that `file://../x` from the copy reaches a link to the user's ../x.
    const copy = path.join(
      scratch,
      ...Array.from({ length: ups }, (_, i) => `d${i}`),
      path.basename(chart.dir),
    );
    await cp(chart.dir, copy, { recursive: true, filter: (source) => path.basename(source) !== '.git' });
    const targets = new Map<string, string>();
    for (const { name, written } of local) {
      const user = path.resolve(chart.dir, written);
      targets.set(name, user);
      if (path.isAbsolute(written)) continue;
      const link = path.resolve(copy, written);
      if (isInside(copy, link)) continue; // inside the chart: copied with it
      await mkdir(path.dirname(link), { recursive: true });
      await symlink(user, link, process.platform === 'win32' ? 'junction' : 'dir').catch(() => undefined);
    }
    const built = await options.runner.dependencyBuild({
      chartDir: copy,
      network: options.network,
      timeoutMs: options.timeoutMs,
    });
    if (!built.ok) {
      await dispose();
      return { ok: false, message: built.message, toolMissing: built.missing };
    }
    const unpacked = await unpackArchives(path.join(copy, 'charts'), options.timeoutMs);
    return {
      ok: true,
      layout: {
        dir: copy,
        userFile(file) {
          const relative = path.relative(copy, file);
          if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
          const [top, name, ...rest] = relative.split(path.sep);
          if (top === 'charts' && name !== undefined && unpacked.has(name)) {
            const target = targets.get(name);
            return target ? path.join(target, ...rest) : undefined;
          }
          return path.join(chart.dir, relative);
        },
        dispose,
      },
    };
  } catch (error) {
    await dispose();
    return { ok: false, message: (error as Error).message, toolMissing: false };
  }
}

/**
 * Why a dependency build may not run: a `file://` dependency outside the working directory (a pull
 * request must not make the check read the runner's other files), or a repository whose host is or
 * resolves to a link-local/metadata address.
 */
async function refusal(
  dependencies: Dependency[],
  missing: Dependency[],
  chart: Chart,
  options: PrepareOptions,
): Promise<{ message: string; at: SourceLocation } | undefined> {
  for (const dependency of dependencies) {
    const written = fileDependencyPath(dependency);
    if (written === undefined || isInside(options.root, path.resolve(chart.dir, written))) continue;
    return {
      message: `the file:// dependency ${dependency.name} (${dependency.repository}) is outside the repository, so it is not read`,
      at: dependency.location,
    };
  }
  if (!options.mayNotFetch) return undefined;
  for (const dependency of missing) {
    const host = repositoryHost(dependency.repository);
    if (host === undefined) continue;
    const addresses = await lookup(host, { all: true }).catch(() => []);
    const forbidden = [host, ...addresses.map((entry) => entry.address)].find(options.mayNotFetch);
    if (forbidden === undefined) continue;
    return {
      message: `the repository of ${dependency.name} (${dependency.repository}) is${forbidden === host ? '' : ` ${host}, which resolves to`} ${forbidden}, a link-local/metadata address, so it is not fetched`,
      at: dependency.location,
    };
  }
  return undefined;
}

/**
 * Whether `file` (a values file helm is given) sits in `root` but links out of it. Files outside
 * `root` as named (the temporary files GitOps inline values are written to) are the check's own.
 */
export async function linksOutOfRoot(file: string, root: string): Promise<boolean> {
  if (!isInside(root, file)) return false;
  const [realRoot, target] = await Promise.all([
    realpath(root).catch(() => root),
    realpath(file).catch(() => undefined),
  ]);
  return target !== undefined && !isInside(realRoot, target);
}

/** How many entries of a chart are looked at for links: charts are small; a bound keeps it so. */
const MAX_CHART_ENTRIES = 10_000;

/**
 * A symbolic link in the chart whose target is outside `root`, as the chart names it: helm follows
 * links, so a pull request could make it read (and print) the runner's files, `/proc/self/environ` say.
 */
async function linkOutside(dir: string, root: string): Promise<string | undefined> {
  const realRoot = await realpath(root).catch(() => root);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries.slice(0, MAX_CHART_ENTRIES)) {
    if (!entry.isSymbolicLink()) continue;
    const link = path.join(entry.parentPath, entry.name);
    const target = await realpath(link).catch(() => undefined);
    if (target === undefined || !isInside(realRoot, target))
      return path.relative(root, link).split(path.sep).join('/');
  }
  return undefined;
}

/** The host of `oci://` and `http(s)://` repositories; undefined for `@name`/`alias:` repository names. */
function repositoryHost(repository: string): string | undefined {
  try {
    const url = new URL(repository);
    return ['oci:', 'http:', 'https:'].includes(url.protocol)
      ? url.hostname.replace(/^\[|\]$/g, '')
      : undefined;
  } catch {
    return undefined;
  }
}

function inPlace(dir: string): ChartLayout {
  return { dir, userFile: (file) => file, dispose: async () => {} };
}

function leadingUps(relative: string): number {
  if (path.isAbsolute(relative)) return 0;
  const parts = path.normalize(relative).split(/[\\/]/);
  let ups = 0;
  while (parts[ups] === '..') ups++;
  return ups;
}

/**
 * The archives a dependency build wrote, unpacked in place (helm renders a directory the same way),
 * so the subcharts' templates and values can be read for tracing. Names of the unpacked directories.
 */
async function unpackArchives(chartsDir: string, timeoutMs: number): Promise<Set<string>> {
  const names = new Set<string>();
  for (const entry of await readdir(chartsDir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isFile() || !entry.name.endsWith('.tgz')) continue;
    const archive = path.join(chartsDir, entry.name);
    const before = new Set(await readdir(chartsDir));
    const unpacked = await runTool('tar', ['-xzf', entry.name], {
      network: false,
      timeoutMs,
      cwd: chartsDir,
    });
    if (!unpacked.ok) continue; // helm still renders the archive; it is only not traced into
    await rm(archive, { force: true });
    for (const name of await readdir(chartsDir)) if (!before.has(name)) names.add(name);
  }
  return names;
}
