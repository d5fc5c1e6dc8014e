import { glob, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLocation } from '../../findings.js';
import { reportPath } from '../../manifests/files.js';
import { get, items, str, type YamlScalar } from '../../manifests/yaml-tree.js';
import type { SourceFile, SourceFiles } from '../sources.js';

export interface Chart {
  /** The chart directory (absolute). */
  dir: string;
  source: SourceFile;
  name: string;
  appVersion?: YamlScalar;
  /** `name:` (else line 1): where findings about the whole chart go. */
  anchor: SourceLocation;
  /** Chart.yaml's `dependencies` (requirements.yaml's for apiVersion v1 charts). */
  dependencies: Dependency[];
}

/** One entry of Chart.yaml `dependencies` (requirements.yaml for apiVersion v1). */
export interface Dependency {
  name: string;
  repository: string;
  /** Its `name:` in Chart.yaml or requirements.yaml: where findings about it go. */
  location: SourceLocation;
}

const FILE_REPOSITORY = 'file://';

/** A `file://` dependency's directory as written (relative to the chart), else undefined. */
export function fileDependencyPath(dependency: Dependency): string | undefined {
  return dependency.repository.startsWith(FILE_REPOSITORY)
    ? dependency.repository.slice(FILE_REPOSITORY.length)
    : undefined;
}

/** One `helm template` of a chart: the values files layered over the chart's defaults. */
export interface ValuesSet {
  /** Absolute paths, lowest precedence first; empty for the chart's defaults alone. */
  files: string[];
  /** How the render is named: `charts/web` or `charts/web (values-prod.yaml)`. */
  label: string;
}

const VALUES_FILE = /^values[^/]*\.(ya?ml|json)$/;

/** Charts under the scanned paths, without the subcharts a parent vendors in its `charts/` directory. */
export async function findCharts(files: string[], sources: SourceFiles): Promise<Chart[]> {
  const dirs = files
    .filter((file) => path.basename(file) === 'Chart.yaml')
    .map((file) => path.dirname(file))
    .sort((a, b) => a.length - b.length || a.localeCompare(b));
  const charts: Chart[] = [];
  for (const dir of dirs) {
    if (charts.some((parent) => isInside(path.join(parent.dir, 'charts'), dir))) continue;
    const source = await sources.get(path.join(dir, 'Chart.yaml'));
    if (!source) continue;
    let dependencies = dependencyList(source);
    if (dependencies.length === 0) {
      const requirements = await sources.get(path.join(dir, 'requirements.yaml'));
      if (requirements) dependencies = dependencyList(requirements);
    }
    const root = source.documents[0]?.root;
    const nameNode = get(root, 'name');
    const appVersion = get(root, 'appVersion');
    charts.push({
      dir,
      source,
      name: str(nameNode) ?? path.basename(dir),
      ...(appVersion?.kind === 'scalar' && str(appVersion) !== undefined ? { appVersion } : {}),
      anchor:
        nameNode?.kind === 'scalar'
          ? source.locate(nameNode)
          : { file: source.file, line: 1, column: 1, endLine: 1, endColumn: 1 },
      dependencies,
    });
  }
  return charts;
}

/** Whether `file` is `dir` or under it. */
export function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Files helm reads to render the chart, which are therefore never scanned raw. */
export function belongsToChart(chart: Chart, file: string): boolean {
  if (!isInside(chart.dir, file)) return false;
  const relative = path.relative(chart.dir, file).split(path.sep).join('/');
  return (
    /^(templates|charts|crds)\//.test(relative) ||
    relative === 'Chart.yaml' ||
    relative === 'Chart.lock' ||
    VALUES_FILE.test(relative)
  );
}

function dependencyList(source: SourceFile): Dependency[] {
  const list: Dependency[] = [];
  for (const item of items(get(source.documents[0]?.root, 'dependencies'))) {
    const nameNode = get(item, 'name');
    const name = str(nameNode);
    if (!name || nameNode?.kind !== 'scalar') continue;
    list.push({ name, repository: str(get(item, 'repository')) ?? '', location: source.locate(nameNode) });
  }
  return list;
}

/**
 * Every file under the chart's directory or a `file://` dependency's, for `scan: changed`: a change to
 * a local subchart changes what the parent renders.
 */
export function chartContains(chart: Chart, file: string): boolean {
  if (isInside(chart.dir, file)) return true;
  return chart.dependencies.some((dependency) => {
    const local = fileDependencyPath(dependency);
    return local !== undefined && isInside(path.resolve(chart.dir, local), file);
  });
}

/** How many values sets one chart may have: each is a render. */
const MAX_SETS_PER_CHART = 32;

/** How a chart is named in messages: its directory, relative to the working directory. */
export function chartLabel(chart: Chart, cwd: string): string {
  return reportPath(chart.dir, cwd) || '.';
}

/**
 * The values sets to render for `patterns` (helm-values): each entry is a glob relative to the chart,
 * and each file it matches is rendered on its own over the chart's defaults; `a.yaml+b.yaml` layers
 * files in that order. Nothing matched, or no patterns: the chart's defaults alone.
 */
export async function valuesSets(chart: Chart, patterns: string[], cwd: string): Promise<ValuesSet[]> {
  const label = chartLabel(chart, cwd);
  const sets = new Map<string, ValuesSet>();
  const add = (files: string[]) => {
    const own = path.join(chart.dir, 'values.yaml');
    const layered = files.filter((file) => file !== own);
    const key = layered.join('\n');
    if (sets.has(key) || sets.size >= MAX_SETS_PER_CHART) return;
    const names = layered.map((file) => path.relative(chart.dir, file).split(path.sep).join('/'));
    sets.set(key, { files: layered, label: names.length ? `${label} (${names.join(' + ')})` : label });
  };
  for (const pattern of patterns) {
    if (pattern.includes('+')) {
      const files = pattern.split('+').map((part) => path.resolve(chart.dir, part.trim()));
      const present = await Promise.all(
        files.map((file) =>
          stat(file).then(
            (info) => info.isFile(),
            () => false,
          ),
        ),
      );
      if (present.every(Boolean)) add(files);
      continue;
    }
    const matches: string[] = [];
    for await (const match of glob(pattern, { cwd: chart.dir })) {
      const file = path.resolve(chart.dir, match);
      if ((await stat(file).catch(() => undefined))?.isFile()) matches.push(file);
      if (matches.length >= MAX_SETS_PER_CHART) break;
    }
    for (const file of matches.sort()) add([file]);
  }
  if (sets.size === 0) add([]);
  return [...sets.values()];
}
