import { glob, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { appendManifestSet, emptyManifestSet } from '../manifests/extract.js';
import { reportPath } from '../manifests/files.js';
import type { ManifestProblem, ManifestSet } from '../manifests/types.js';
import {
  belongsToChart,
  chartContains,
  findCharts,
  valuesSets,
  type Chart,
  type ValuesSet,
} from './helm/chart.js';
import { HelmRenderer } from './helm/render.js';
import { DEFAULT_HELM_RUNNER, type HelmRunner } from './helm/runner.js';
import { DEFAULT_KUSTOMIZE_RUNNER, type KustomizeRunner } from './kustomize/build.js';
import {
  buildGraph,
  closureFiles,
  isKustomizationFile,
  type Kustomization,
  type KustomizeGraph,
} from './kustomize/graph.js';
import { KustomizeRenderer, rootLabel } from './kustomize/render.js';
import { pastDeadline } from './deadline.js';
import { addProblem } from './remap.js';
import { deploysDir, planGitOps, renderGitOps } from './gitops/index.js';
import type { ImagePathSpec } from '../manifests/custom-resources.js';
import { SourceFiles } from './sources.js';

export type { HelmRunner } from './helm/runner.js';
export type { KustomizeRunner } from './kustomize/build.js';

export interface RenderSettings {
  /** At most this many kustomize roots and Helm renders (chart × values set) per scan. */
  maxRoots: number;
  /** Let kustomize fetch remote bases over the network (kustomize-remote). */
  kustomizeRemote: boolean;
  /** Values-file globs relative to each chart (helm-values); each match is rendered on its own. */
  helmValues: string[];
  /** Let `helm dependency build` fetch dependencies that are not vendored (helm-dependencies). */
  helmDependencies: boolean;
  /** Addresses helm may not fetch dependencies from (the registry's guard, injected by the scan). */
  helmMayNotFetch?: (address: string) => boolean;
  /** Per render. */
  timeoutMs: number;
  /**
   * With kustomizeRemote: addresses kustomize must never fetch from (the registry's address guard,
   * injected by the scan: render sits before registry in the pipeline). Without it nothing is fetched.
   */
  forbiddenAddress?: (address: string) => boolean;
  /** Renders run at once; by default one per core. */
  concurrency?: number;
  /** Tests substitute these; by default kubectl (or kustomize) and helm from PATH. */
  kustomizeRunner?: KustomizeRunner;
  helmRunner?: HelmRunner;
  /** URLs naming this repository besides the checkout's origin (Argo CD repoURL, Flux GitRepository url). */
  repositoryUrls?: string[];
}

/**
 * Defaults for what is not the settings table's to say. `maxRoots` (max-render-roots) has none here:
 * the scan passes the table's value, so this stage never reads the settings.
 */
export const DEFAULT_RENDER_SETTINGS: Omit<RenderSettings, 'maxRoots'> = {
  kustomizeRemote: false,
  helmValues: [],
  helmDependencies: false,
  timeoutMs: 120_000,
};

export interface RenderSummary {
  /** What was rendered and checked: kustomize roots and charts (with their values files). */
  roots: string[];
  /** True when max-render-roots left some out. */
  capped: boolean;
}

export interface RenderOptions {
  cwd: string;
  paths: string[];
  /** The manifest files found under `paths` (absolute). */
  files: string[];
  defaultNamespace: string;
  /** `scan: changed`: only roots and charts whose files include one of these (cwd-relative). */
  changedFiles?: string[];
  settings: RenderSettings;
  /** max-file-size: no source file is read past it. */
  maxFileSize?: number;
  /** The render stage's share of max-duration (epoch ms): no render starts after it. */
  deadline?: number;
  /** Configuration-file `imagePaths`: rendered custom resources are read with them too. */
  imagePaths?: readonly ImagePathSpec[];
  /** Called with every secret value rendering reads (Flux substitutions and values from Secrets). */
  mask?: (secret: string) => void;
}

export interface RenderOutcome {
  /** Files that belong to a kustomization or chart (absolute): checked only as rendered, never raw. */
  owned: Set<string>;
  manifests: ManifestSet;
  summary: RenderSummary;
  warnings: string[];
}

type Unit =
  | { label: string; kind: 'kustomize'; root: Kustomization }
  | { label: string; kind: 'helm'; chart: Chart; set: ValuesSet };

/**
 * Finds kustomizations and Helm charts under the scanned paths, renders the roots (those nothing
 * else references) and maps what they render back to the lines a person edits.
 */
export async function renderManifests(options: RenderOptions): Promise<RenderOutcome> {
  const { cwd, settings } = options;
  const sources = new SourceFiles(cwd, options.defaultNamespace, options.imagePaths, options.maxFileSize);
  const kustomizations = [
    ...options.files.filter(isKustomizationFile),
    ...(await extensionless(options.paths, cwd)),
  ];
  const graph = await buildGraph(kustomizations, sources);
  const charts = await findCharts(options.files, sources);

  const owned = new Set<string>();
  for (const node of graph.nodes.values()) for (const file of [node.file, ...node.files]) owned.add(file);
  for (const file of options.files) if (charts.some((chart) => belongsToChart(chart, file))) owned.add(file);

  // Paths an in-repository Argo CD Application or Flux Kustomization deploys are rendered as it does.
  const gitops = await planGitOps({
    cwd,
    paths: options.paths,
    files: options.files,
    sources,
    repositoryUrls: settings.repositoryUrls ?? [],
    ...(options.mask ? { mask: options.mask } : {}),
  });
  const deployed = (dir: string) => gitops.units.some((unit) => deploysDir(unit, dir));
  const units: Unit[] = [];
  for (const file of graph.roots) {
    const root = graph.nodes.get(file)!;
    if (deployed(root.dir)) continue;
    units.push({ label: rootLabel(root, cwd), kind: 'kustomize', root });
  }
  for (const chart of charts) {
    if (deployed(chart.dir)) continue;
    for (const set of await valuesSets(chart, settings.helmValues, cwd))
      units.push({ label: set.label, kind: 'helm', chart, set });
  }
  const touched = options.changedFiles
    ? units.filter((unit) => touches(unit, new Set(options.changedFiles), cwd, graph))
    : units;

  const manifests = emptyManifestSet();
  const kustomizeOptions = {
    cwd,
    defaultNamespace: options.defaultNamespace,
    runner: settings.kustomizeRunner ?? DEFAULT_KUSTOMIZE_RUNNER,
    network: settings.kustomizeRemote,
    timeoutMs: settings.timeoutMs,
    ...(options.imagePaths ? { imagePaths: options.imagePaths } : {}),
    ...(settings.forbiddenAddress ? { forbiddenAddress: settings.forbiddenAddress } : {}),
  };
  const kustomize = new KustomizeRenderer(graph, sources, kustomizeOptions);
  const helm = new HelmRenderer(sources, {
    cwd,
    defaultNamespace: options.defaultNamespace,
    runner: settings.helmRunner ?? DEFAULT_HELM_RUNNER,
    timeoutMs: settings.timeoutMs,
    dependencies: settings.helmDependencies,
    ...(settings.helmMayNotFetch ? { mayNotFetch: settings.helmMayNotFetch } : {}),
    ...(options.imagePaths ? { imagePaths: options.imagePaths } : {}),
  });
  // A root that cannot render (helm missing, dependencies not vendored, a remote base, a link out
  // of the tree) is a finding, not a render: it takes nothing from the budget.
  const selected: Unit[] = [];
  touched.sort((a, b) => a.label.localeCompare(b.label));
  for (const unit of touched) {
    const renderable =
      // Past the deadline nothing more starts (a dependency build neither): renderBounded reports it.
      pastDeadline(options.deadline) ||
      (unit.kind === 'kustomize'
        ? await kustomize.renderable(unit.root, manifests)
        : await helm.renderable(unit.chart, manifests));
    if (renderable) selected.push(unit);
  }
  const renderUnit = async (unit: Unit, into: ManifestSet): Promise<RenderResult> =>
    unit.kind === 'kustomize'
      ? kustomize.build(unit.root, into)
      : (await helm.render(unit.chart, unit.set, into))
        ? 'rendered'
        : 'failed';
  const rendered: string[] = [];
  const late: string[] = [];
  const gitopsCapped: string[] = [];
  let left: Unit[];
  try {
    const bounded = await renderBounded(selected, renderUnit, {
      budget: settings.maxRoots,
      concurrency: settings.concurrency ?? availableParallelism(),
      ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    });
    left = bounded.left;
    // Merged in label order, whichever finished first.
    for (const { unit, result, set } of bounded.run) {
      const { problems, ...rest } = set;
      appendManifestSet(manifests, { ...rest, problems: [] });
      for (const problem of problems) addProblem(manifests, problem);
      if (result === 'rendered') rendered.push(unit.label);
    }
    for (const unit of bounded.late) {
      late.push(unit.label);
      addProblem(manifests, {
        kind: 'max-duration',
        ...(unit.kind === 'kustomize' ? unit.root.anchor : unit.chart.anchor),
        message: `${unit.label} was not rendered and its images were not checked: rendering reached its share of max-duration.`,
      });
    }
    if (left.length > 0) addProblem(manifests, cappedProblem(left, bounded.run, settings.maxRoots));
    const spent = bounded.run.filter((item) => item.result !== 'skipped').length;
    const deployedBy = await renderGitOps(
      gitops,
      { sources, cwd, defaultNamespace: options.defaultNamespace, kustomize: kustomizeOptions, helm },
      { manifests, owned, ...(options.changedFiles ? { changedFiles: options.changedFiles } : {}) },
      {
        budget: Math.max(0, settings.maxRoots - spent - left.length),
        total: settings.maxRoots,
        ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
      },
    );
    rendered.push(...deployedBy.rendered);
    late.push(...deployedBy.late);
    gitopsCapped.push(...deployedBy.capped);
  } finally {
    await helm.close();
  }
  kustomize.reportUnused(manifests);
  // Comments in files the raw scan also reads (a values file outside the chart) are its to report.
  const discovered = new Set(options.files);
  const raw = new Set(options.files.filter((file) => !owned.has(file)).map((file) => reportPath(file, cwd)));
  manifests.suppressions.push(...sources.suppressions.filter((comment) => !raw.has(comment.file)));
  manifests.files.push(
    ...[...owned].filter((file) => discovered.has(file)).map((file) => reportPath(file, cwd)),
  );

  const warnings: string[] = [];
  if (late.length) {
    warnings.push(`rendering reached its share of max-duration; not rendered or checked: ${late.join(', ')}`);
  }
  if (graph.truncated) warnings.push('too many kustomizations to follow; some were not rendered');
  return {
    owned,
    manifests,
    summary: { roots: rendered, capped: left.length > 0 || gitopsCapped.length > 0 },
    warnings,
  };
}

/** What became of a render: `skipped` ones never ran (the tool is missing) and cost no budget. */
export type RenderResult = 'rendered' | 'failed' | 'skipped';

/**
 * Renders units in order, at most `concurrency` at once, until `budget` renders have run (skipped
 * ones give their slot back). None starts after `deadline` (epoch ms). Returns what ran, in the
 * units' order; what the budget left out; what the deadline left out.
 */
export async function renderBounded<T>(
  units: T[],
  render: (unit: T, into: ManifestSet) => Promise<RenderResult>,
  options: { budget: number; concurrency: number; deadline?: number },
): Promise<{ run: Array<{ unit: T; result: RenderResult; set: ManifestSet }>; left: T[]; late: T[] }> {
  const results: Array<{ unit: T; result: RenderResult; set: ManifestSet } | undefined> = [];
  const late: T[] = [];
  let next = 0;
  let spent = 0;
  let running = 0;
  const worker = async () => {
    while (next < units.length && spent + running < options.budget) {
      const index = next++;
      if (pastDeadline(options.deadline)) {
        late.push(units[index]!);
        continue;
      }
      running++;
      const set = emptyManifestSet();
      let result: RenderResult;
      try {
        result = await render(units[index]!, set);
      } finally {
        running--;
      }
      if (result !== 'skipped') spent++;
      results[index] = { unit: units[index]!, result, set };
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, units.length));
  await Promise.all(Array.from({ length: workers }, worker));
  const run = results.filter((item) => item !== undefined);
  const left = units.filter((unit, index) => results[index] === undefined && !late.includes(unit));
  return { run, left, late };
}

/** The render budget left roots out: a warning finding naming each of them. */
function cappedProblem(left: Unit[], run: Array<{ result: RenderResult }>, budget: number): ManifestProblem {
  const first = left[0]!;
  const anchor = first.kind === 'kustomize' ? first.root.anchor : first.chart.anchor;
  const ran = run.filter((item) => item.result !== 'skipped').length;
  return {
    kind: 'render-capped',
    ...anchor,
    message: `${ran} kustomize roots and Helm charts were rendered and ${left.length} were not (max-render-roots is ${budget}), so their images were not checked: ${left.map((unit) => unit.label).join(', ')}`,
  };
}

function touches(unit: Unit, changed: Set<string>, cwd: string, graph: KustomizeGraph): boolean {
  if (unit.kind === 'kustomize')
    return closureFiles(graph, unit.root.file).some((file) => changed.has(reportPath(file, cwd)));
  return [...changed].some((file) => chartContains(unit.chart, path.resolve(cwd, file)));
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

/** `Kustomization` files have no extension, so the manifest walk does not list them. */
async function extensionless(paths: string[], cwd: string): Promise<string[]> {
  const found: string[] = [];
  for (const pattern of paths) {
    const directory = path.resolve(cwd, pattern);
    if (!(await stat(directory).catch(() => undefined))?.isDirectory()) continue;
    for await (const match of glob('**/Kustomization', {
      cwd: directory,
      exclude: (name) => SKIPPED_DIRECTORIES.has(path.basename(name)),
    })) {
      found.push(path.join(directory, match));
    }
  }
  return found;
}
