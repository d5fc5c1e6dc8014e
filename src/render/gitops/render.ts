import { mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dump } from 'js-yaml';
import path from 'node:path';
import type { RelatedLocation, SourceLocation } from '../../findings.js';
import { appendManifestSet, emptyManifestSet, extractFromText } from '../../manifests/extract.js';
import { MANIFEST_EXTENSIONS } from '../../manifests/files.js';
import type { ContainerImage, ManifestSet, PodContext } from '../../manifests/types.js';
import { getPath, str } from '../../manifests/yaml-tree.js';
import { findCharts } from '../helm/chart.js';
import type { HelmRenderer } from '../helm/render.js';
import { applyOverride } from '../kustomize/image-tag.js';
import { buildGraph, closureFiles, kustomizationIn } from '../kustomize/graph.js';
import { KustomizeRenderer, type KustomizeRenderOptions } from '../kustomize/render.js';
import type { SourceFiles } from '../sources.js';
import { directoryGlob } from './argocd.js';
import { hasReference, substitute } from './substitute.js';
import type { GitOpsUnit } from './units.js';
import { patchApplies } from './patches.js';
import { siteFor } from './values.js';

export interface GitOpsRenderContext {
  sources: SourceFiles;
  cwd: string;
  defaultNamespace: string;
  kustomize: KustomizeRenderOptions;
  helm: HelmRenderer;
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
/** A bound on the files one plain directory contributes. */
const MAX_DIRECTORY_FILES = 5_000;
const SUBSTITUTE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/substitute';

/** What rendering a unit produced, and the files it read (absolute): those are never checked raw. */
export interface UnitOutcome {
  ok: boolean;
  manifests: ManifestSet;
  files: string[];
}

/**
 * Renders one unit as its controller would: a kustomization with kustomize (src/render/kustomize), a
 * chart with helm, plain files as written; then applies what the Argo CD or Flux object sets (images,
 * namespace, name prefix and suffix, Flux substitution), moving each image it changes onto the line
 * that changed it, with the `image:` line related.
 */
export async function renderUnit(unit: GitOpsUnit, context: GitOpsRenderContext): Promise<UnitOutcome> {
  const manifests = emptyManifestSet();
  let ok = true;
  let files: string[];
  const kustomization = unit.layout.kind === 'helm' ? undefined : await kustomizationIn(unit.dir);
  if (unit.layout.kind === 'helm') {
    files = [...(await listFiles(unit.dir, true)), ...unit.layout.valueFiles];
    ok = await renderChart(unit, unit.layout, context, manifests);
  } else if (kustomization) {
    ({ ok, files } = await renderKustomization(kustomization, context, manifests));
  } else {
    files = await plainFiles(unit, context, manifests);
    // Files the Application leaves out (exclude, no recurse) are not deployed by it: never checked raw.
    files.push(...(await listFiles(unit.dir, unit.layout.kind === 'flux' || unit.layout.recurse)));
  }
  const adjusted: ManifestSet = { ...manifests, images: [] };
  for (const image of manifests.images) {
    const result = await applyUnit(unit, image, context);
    if (result) adjusted.images.push(result);
  }
  applyNamespace(unit, adjusted, context.defaultNamespace);
  return { ok, manifests: adjusted, files: [...new Set(files)] };
}

/**
 * A chart with the object's values files, then its inline values (written to a temporary file each,
 * in precedence order); an image traced to one of those is moved onto the object's line that sets it.
 */
async function renderChart(
  unit: GitOpsUnit,
  layout: Extract<GitOpsUnit['layout'], { kind: 'helm' }>,
  context: GitOpsRenderContext,
  into: ManifestSet,
): Promise<boolean> {
  const [chart] = await findCharts([path.join(unit.dir, 'Chart.yaml')], context.sources);
  if (!chart) return false;
  const scratch = await realpath(await mkdtemp(path.join(tmpdir(), 'preflight-gitops-values-')));
  try {
    const inline: string[] = [];
    for (const [index, layer] of layout.inline.layers.entries()) {
      const file = path.join(scratch, `values-${index}.yaml`);
      await writeFile(file, dump(layer, { noRefs: true }));
      inline.push(file);
    }
    const set = emptyManifestSet();
    const ok = await context.helm.render(
      chart,
      { files: [...layout.valueFiles, ...inline], label: unit.label },
      set,
    );
    for (const image of set.images) {
      if (!path.resolve(context.cwd, image.file).startsWith(scratch + path.sep)) continue;
      const site = siteFor(image.image, layout.inline.sites) ?? layout.inline.sites[0];
      const location = site?.location ?? unit.anchor;
      Object.assign(image, at(location));
      image.rendered = { mapping: 'derived', root: unit.label, via: `set by ${site?.via ?? unit.label}` };
    }
    for (const problem of set.problems)
      if (path.resolve(context.cwd, problem.file).startsWith(scratch + path.sep))
        Object.assign(problem, at(unit.anchor));
    appendManifestSet(into, { ...set, suppressions: [] });
    return ok;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function renderKustomization(file: string, context: GitOpsRenderContext, into: ManifestSet) {
  const graph = await buildGraph([file], context.sources);
  const node = graph.nodes.get(file);
  if (!node) return { ok: false, files: [file] };
  const renderer = new KustomizeRenderer(graph, context.sources, context.kustomize);
  const ok = await renderer.render(node, into);
  renderer.reportUnused(into);
  return { ok, files: closureFiles(graph, file) };
}

/**
 * Plain manifests as the controller reads them. Flux generates a kustomization over every manifest
 * below the path, taking a subdirectory with its own kustomization as a whole; Argo CD reads the
 * directory (recursively with `directory.recurse`), filtered by `include` and `exclude`.
 */
async function plainFiles(
  unit: GitOpsUnit,
  context: GitOpsRenderContext,
  into: ManifestSet,
): Promise<string[]> {
  const layout = unit.layout;
  const read: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (read.length >= MAX_DIRECTORY_FILES) return;
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_DIRECTORIES.has(entry.name)) continue;
        if (layout.kind === 'flux') {
          const nested = await kustomizationIn(absolute);
          if (nested) {
            const built = await renderKustomization(nested, context, into);
            read.push(...built.files);
            continue;
          }
          await walk(absolute);
        } else if (layout.kind === 'argocd' && layout.recurse) await walk(absolute);
        continue;
      }
      if (!entry.isFile() || !MANIFEST_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) continue;
      if (entry.name.startsWith('.argocd-source')) continue;
      const relative = path.relative(unit.dir, absolute).split(path.sep).join('/');
      if (layout.kind === 'argocd') {
        if (layout.include && !directoryGlob(layout.include, relative)) continue;
        if (layout.exclude && directoryGlob(layout.exclude, relative)) continue;
      }
      const source = await context.sources.get(absolute);
      if (!source) continue;
      read.push(absolute);
      const set = emptyManifestSet();
      extractFromText(
        source.file,
        source.text,
        { defaultNamespace: context.defaultNamespace, imagePaths: context.kustomize.imagePaths ?? [] },
        set,
      );
      for (const image of set.images)
        image.rendered = { mapping: 'exact', root: unit.label, via: `as written in ${source.file}` };
      appendManifestSet(into, { ...set, suppressions: [] });
    }
  };
  await walk(unit.dir);
  return read;
}

async function listFiles(dir: string, recurse: boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: recurse }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

function relatedImage(image: ContainerImage): RelatedLocation {
  const { file, line, column, endLine, endColumn } = image;
  return {
    file,
    line,
    column,
    endLine,
    endColumn,
    message: `the image "${image.image}" these settings apply to`,
  };
}

function at(location: SourceLocation): SourceLocation {
  const { file, line, column, endLine, endColumn } = location;
  return { file, line, column, endLine, endColumn };
}

/** The unit's image overrides, then Flux's substitution; undefined drops an image the substitution breaks. */
async function applyUnit(
  unit: GitOpsUnit,
  image: ContainerImage,
  context: GitOpsRenderContext,
): Promise<ContainerImage | undefined> {
  let value = image.image;
  let producer: { location: SourceLocation; via: string } | undefined;
  for (const patch of unit.patches) {
    if (!patchApplies(patch, image)) continue;
    value = patch.image;
    producer = { location: patch.location, via: `set by ${patch.via}` };
  }
  for (const entry of unit.images) {
    const next = applyOverride(value, entry.override);
    if (next === undefined) continue;
    value = next;
    producer = { location: entry.location, via: `set by ${entry.via}` };
  }
  const plan = unit.substitution;
  if (plan && hasReference(value) && !(await substitutionDisabled(image, context))) {
    const result = substitute(value, plan.variables, plan.complete);
    const used = result.used.map((name) => plan.variables.get(name)!);
    if (used.some((variable) => hasReference(variable.value))) return undefined;
    const last = used[used.length - 1];
    if (last) producer = { location: last.location, via: `substituted from ${last.via}` };
    value = result.value;
  }
  const rendered = image.rendered ?? {
    mapping: 'exact' as const,
    root: unit.label,
    via: `as written in ${image.file}`,
  };
  if (!producer) return { ...image, image: value, rendered: { ...rendered, root: unit.label } };
  return {
    ...image,
    ...at(producer.location),
    image: value,
    rendered: { mapping: 'derived', root: unit.label, via: producer.via, related: [relatedImage(image)] },
  };
}

/** `kustomize.toolkit.fluxcd.io/substitute: disabled` on the object that writes the image. */
async function substitutionDisabled(image: ContainerImage, context: GitOpsRenderContext): Promise<boolean> {
  const source = await context.sources.get(path.resolve(context.cwd, image.file));
  if (!source) return false;
  let offset = 0;
  const lines = source.text.split('\n');
  for (let i = 0; i < image.line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
  const containing = source.documents
    .filter((document) => document.root && document.root.start <= offset)
    .pop();
  const annotation = str(getPath(containing?.root, 'metadata', 'annotations', SUBSTITUTE_ANNOTATION));
  return annotation === 'disabled';
}

/** `targetNamespace` / `kustomize.namespace` set every object's namespace; a destination, unset ones'. */
function applyNamespace(unit: GitOpsUnit, set: ManifestSet, defaultNamespace: string): void {
  const prefix = unit.namePrefix ?? '';
  const suffix = unit.nameSuffix ?? '';
  const namespace = unit.namespace;
  const pods = new Map<PodContext, PodContext>();
  for (const image of set.images) {
    let pod = pods.get(image.pod);
    if (!pod) {
      pod = { ...image.pod, resource: { ...image.pod.resource } };
      pod.resource.name = `${prefix}${pod.resource.name}${suffix}`;
      if (namespace && (namespace.force || !pod.namespaceExplicit)) {
        pod.resource.namespace = namespace.value;
        pod.namespaceExplicit = true;
      }
      pods.set(image.pod, pod);
    }
    image.pod = pod;
  }
  if (!namespace) return;
  for (const object of [...set.serviceAccounts, ...set.pullSecrets]) {
    if (namespace.force || object.namespace === defaultNamespace) object.namespace = namespace.value;
  }
}
