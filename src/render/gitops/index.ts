import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { appendManifestSet } from '../../manifests/extract.js';
import type { ManifestSet } from '../../manifests/types.js';
import { pastDeadline } from '../deadline.js';
import { isInside } from '../helm/chart.js';
import { kustomizationIn } from '../kustomize/graph.js';
import { addProblem } from '../remap.js';
import type { SourceFiles } from '../sources.js';
import { planArgoCd } from './argocd.js';
import { planFlux } from './flux.js';
import { findGitOpsObjects } from './objects.js';
import { thisRepository } from './repository.js';
import type { GitOpsPlan } from './units.js';

import { renderUnit, type GitOpsRenderContext } from './render.js';

export type { GitOpsRenderContext } from './render.js';
export type { GitOpsUnit } from './units.js';
import type { GitOpsUnit } from './units.js';

export interface GitOpsPlanOptions {
  cwd: string;
  /** The scanned paths, as given. */
  paths: string[];
  /** The manifest files under them (absolute). */
  files: string[];
  sources: SourceFiles;
  /** URLs that name this repository besides the checkout's `origin` (the workflow's repository). */
  repositoryUrls: readonly string[];
  /** Called with every value read from a Secret (Flux `substituteFrom`, `valuesFrom`). */
  mask?: (secret: string) => void;
}

/**
 * The Argo CD Applications and Flux Kustomizations under the scanned paths that deploy a path of this
 * repository inside them, as units to render; sources elsewhere and broken objects as problems.
 */
export async function planGitOps(options: GitOpsPlanOptions): Promise<GitOpsPlan> {
  const objects = await findGitOpsObjects(options.files, options.sources);
  if (objects.controllers.length === 0) return { units: [], problems: [] };
  const repository = await thisRepository(options.cwd, options.repositoryUrls);
  const argo = await planArgoCd(objects, repository, options.sources);
  const flux = planFlux(objects, repository, options.mask);
  const scanned = options.paths.map((written) => path.resolve(options.cwd, written));
  const problems = [...argo.problems, ...flux.problems];
  const units = [];
  for (const unit of [...argo.units, ...flux.units]) {
    if (!scanned.some((dir) => isInside(dir, unit.dir))) {
      // Never a silent skip: the object is this repository's, but what it deploys is not scanned here.
      problems.push({
        kind: 'gitops-path-not-scanned',
        ...unit.anchor,
        message: `${unit.label} deploys "${path.relative(repository.root, unit.dir).split(path.sep).join('/') || '.'}" of this repository, which is outside the scanned paths (${options.paths.join(', ')}): not rendered or checked here; add it to paths to check what it deploys (Argo CD and Flux paths count from the repository's top folder).`,
      });
      continue;
    }
    if (!(await stat(unit.dir).catch(() => undefined))?.isDirectory()) {
      problems.push({
        kind: 'gitops-render-error',
        ...unit.anchor,
        message: `${unit.label}: path "${path.relative(repository.root, unit.dir) || '.'}" does not exist in this repository; the controller fails to build it.`,
      });
      continue;
    }
    const kustomization = unit.layout.kind === 'helm' ? undefined : await kustomizationIn(unit.dir);
    units.push(kustomization ? { ...unit, kustomization } : unit);
  }
  // One object name per cluster directory is common (flux bootstrap): name the file where they collide.
  const files = new Map<string, Set<string>>();
  for (const unit of units) files.set(unit.label, (files.get(unit.label) ?? new Set()).add(unit.objectFile));
  for (const unit of units)
    if (files.get(unit.label)!.size > 1)
      unit.label = `${unit.label} (${path.relative(options.cwd, unit.objectFile).split(path.sep).join('/')})`;
  return { units, problems };
}

/**
 * Whether the unit renders the kustomize root or chart in `dir` itself, so it is not rendered on its
 * own: its own root or chart; any kustomization below a Flux path (kustomize-controller takes them as
 * they are); anything below an Argo CD directory read recursively. A non-recursive Argo CD directory
 * (an app of apps pointing at the repository's top, say) leaves the roots below it to the scan.
 */
export function deploysDir(unit: GitOpsUnit, dir: string): boolean {
  if (unit.layout.kind === 'helm' || unit.kustomization) return path.resolve(dir) === path.resolve(unit.dir);
  if (unit.layout.kind === 'flux' || unit.layout.recurse) return isInside(unit.dir, dir);
  return path.resolve(dir) === path.resolve(unit.dir);
}

export interface GitOpsRenderLimits {
  /** Renders left of max-render-roots. */
  budget: number;
  /** max-render-roots itself, for the message. */
  total: number;
  /** No render starts after this (epoch ms): max-duration. */
  deadline?: number;
}

/** What rendering the units came to: labels rendered, and those max-render-roots or max-duration left out. */
export interface GitOpsRenderOutcome {
  rendered: string[];
  capped: string[];
  late: string[];
}

/**
 * Renders the units into `into.manifests` within the limits, marking the files each read as owned.
 * A unit left out still owns every file under its path: those are never checked raw.
 */
export async function renderGitOps(
  plan: GitOpsPlan,
  context: GitOpsRenderContext,
  into: { manifests: ManifestSet; owned: Set<string>; changedFiles?: string[] },
  limits: GitOpsRenderLimits,
): Promise<GitOpsRenderOutcome> {
  for (const problem of plan.problems) addProblem(into.manifests, problem);
  const changed =
    into.changedFiles && new Set(into.changedFiles.map((file) => path.resolve(context.cwd, file)));
  const result: GitOpsRenderOutcome = { rendered: [], capped: [], late: [] };
  let used = 0;
  for (const unit of plan.units) {
    const late = pastDeadline(limits.deadline);
    if (late || used >= limits.budget) {
      (late ? result.late : result.capped).push(unit.label);
      addProblem(into.manifests, {
        kind: late ? 'max-duration' : 'render-capped',
        ...unit.anchor,
        message: late
          ? `${unit.label} was not rendered and its images were not checked: rendering reached its share of max-duration.`
          : `${unit.label} was not rendered and its images were not checked: max-render-roots is ${limits.total} and the renders before it used it up.`,
      });
      const recursive = unit.layout.kind === 'flux' || (unit.layout.kind === 'argocd' && unit.layout.recurse);
      for (const file of await filesUnder(unit.dir, recursive)) into.owned.add(file);
      continue;
    }
    const outcome = await renderUnit(unit, context);
    for (const file of outcome.files) into.owned.add(file);
    // scan: changed — a unit counts when the object, an input or any file it read changed. The
    // object's own file and its inputs are still read raw: they may hold workloads of their own.
    const decisive = [...outcome.files, unit.objectFile, ...unit.inputs];
    if (changed && !decisive.some((file) => changed.has(file))) continue;
    used++;
    for (const problem of outcome.manifests.problems) addProblem(into.manifests, problem);
    appendManifestSet(into.manifests, { ...outcome.manifests, problems: [] });
    if (outcome.ok) result.rendered.push(unit.label);
  }
  return result;
}

async function filesUnder(dir: string, recursive: boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}
