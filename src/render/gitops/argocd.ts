import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLocation } from '../../findings.js';
import { get, getPath, items, parseYamlDocuments, str, type YamlNode } from '../../manifests/yaml-tree.js';
import { wildcardMatch } from '../../patterns.js';
import { kustomizationIn } from '../kustomize/graph.js';
import { splitImage } from '../kustomize/image-tag.js';
import type { SourceFile, SourceFiles } from '../sources.js';
import { locateIn, type GitOpsObject, type GitOpsObjects } from './objects.js';
import { normalizeRepoUrl, type Repository } from './repository.js';
import type { GitOpsPlan, GitOpsUnit, ImageOverrideAt, Layout } from './units.js';
import { imagePatches } from './patches.js';
import { emptyInlineValues, parameterValues, plainValues, stringValues } from './values.js';

/**
 * Argo CD (argoproj/argo-cd reposerver): an Application's in-repository sources rendered as the repo
 * server does, with the parameter-override files it merges over each source (`.argocd-source.yaml`,
 * then `.argocd-source-<app>.yaml`, each a JSON merge patch: lists replace lists).
 */

const TEMPLATE = /\{\{/;

export async function planArgoCd(
  objects: GitOpsObjects,
  repository: Repository,
  sources: SourceFiles,
): Promise<GitOpsPlan> {
  const plan: GitOpsPlan = { units: [], problems: [] };
  for (const object of objects.controllers) {
    if (object.group !== 'argoproj.io') continue;
    if (object.kind === 'Application') {
      await planApplication(object, object.name, get(object.root, 'spec'), repository, sources, plan);
    } else if (object.kind === 'ApplicationSet') {
      const template = getPath(object.root, 'spec', 'template');
      const spec = get(template, 'spec');
      const written = [...sourcesOf(spec)].flatMap((source) => [get(source, 'repoURL'), get(source, 'path')]);
      const generated = written.find((node) => TEMPLATE.test(str(node) ?? ''));
      if (generated) {
        plan.problems.push({
          kind: 'gitops-source-not-checked',
          ...locateIn(object, generated),
          message: `ApplicationSet ${object.name}: the template takes "${str(generated)}" from its generators, which are not evaluated here; the applications it generates were not rendered or checked.`,
        });
        continue;
      }
      const name = str(getPath(template, 'metadata', 'name')) ?? '';
      await planApplication(
        object,
        TEMPLATE.test(name) ? object.name : name,
        spec,
        repository,
        sources,
        plan,
      );
    }
  }
  return plan;
}

/** `sources` when the Application has them (Argo CD then ignores `source`), else `source`. */
function sourcesOf(spec: YamlNode | undefined): YamlNode[] {
  const many = items(get(spec, 'sources'));
  if (many.length > 0) return many;
  const single = get(spec, 'source');
  return single ? [single] : [];
}

async function planApplication(
  object: GitOpsObject,
  appName: string,
  spec: YamlNode | undefined,
  repository: Repository,
  sources: SourceFiles,
  plan: GitOpsPlan,
): Promise<void> {
  const label = `${object.kind === 'ApplicationSet' ? 'ApplicationSet' : 'Application'} ${appName}`;
  const destination = str(getPath(spec, 'destination', 'namespace'));
  for (const source of sourcesOf(spec)) {
    const repoNode = get(source, 'repoURL');
    const repoURL = str(repoNode) ?? '';
    const chart = str(get(source, 'chart'));
    const pathNode = get(source, 'path');
    const written = str(pathNode);
    if (chart !== undefined || !repository.urls.has(normalizeRepoUrl(repoURL))) {
      if (written === undefined && chart === undefined) continue; // a `ref:` source for values files
      plan.problems.push({
        kind: 'gitops-source-not-checked',
        ...locateIn(object, get(source, 'chart') ?? repoNode),
        message: `${label}: ${chart !== undefined ? `chart "${chart}"` : `path "${written}"`} from ${repoURL || 'an unnamed repository'} is not in this repository; not fetched or checked.`,
      });
      continue;
    }
    if (written === undefined) continue; // a `ref:` source of this repository: its files are read raw
    const plugin = get(source, 'plugin');
    if (plugin) {
      plan.problems.push({
        kind: 'gitops-source-not-checked',
        ...locateIn(object, get(plugin, 'name') ?? pathNode),
        message: `${label}: path "${written}" is rendered by the config management plugin${str(get(plugin, 'name')) ? ` "${str(get(plugin, 'name'))}"` : ''}, which does not run here; not checked as the plugin renders it.`,
      });
      continue;
    }
    const dir = path.resolve(repository.root, written.replace(/^\/+/, ''));
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
      plan.problems.push({
        kind: 'gitops-render-error',
        ...locateIn(object, pathNode),
        message: `${label}: path "${written}" does not exist in this repository; Argo CD fails to generate manifests ("app path does not exist").`,
      });
      continue;
    }
    const overrides = await overrideFiles(dir, appName, sources, plan);
    const unit = await applicationUnit(object, label, source, dir, overrides);
    if (destination) unit.namespace ??= { value: destination, force: false };
    plan.units.push(unit);
  }
}

/** An override file's patch, and the file for positions. */
interface Override {
  file: SourceFile;
  root: YamlNode;
}

/** `.argocd-source.yaml` then `.argocd-source-<app>.yaml`; a malformed one is a finding and is skipped. */
async function overrideFiles(dir: string, appName: string, sources: SourceFiles, plan: GitOpsPlan) {
  const found: Override[] = [];
  for (const name of ['.argocd-source.yaml', `.argocd-source-${appName}.yaml`]) {
    const absolute = path.join(dir, name);
    const text = await readFile(absolute, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const file = await sources.get(absolute);
    if (!file) continue;
    let problem: { offset: number; message: string } | undefined;
    try {
      const [document, ...more] = parseYamlDocuments(text);
      if (more.some((extra) => extra.root))
        problem = { offset: 0, message: 'holds more than one YAML document' };
      else if (document?.root && document.root.kind !== 'map')
        problem = { offset: document.root.start, message: 'is not a mapping of source fields' };
      else if (document?.root) found.push({ file, root: document.root });
    } catch (error) {
      const mark = (error as { mark?: { position?: number } }).mark;
      const reason = (error as { reason?: string }).reason ?? (error as Error).message;
      problem = { offset: mark?.position ?? 0, message: `is not valid YAML: ${reason}` };
    }
    if (problem) {
      const at: SourceLocation = file.at(problem.offset, 0);
      plan.problems.push({
        kind: 'gitops-render-error',
        ...at,
        message: `Argo CD parameter-override file ${file.file} ${problem.message}; Argo CD fails to generate manifests for this application.`,
      });
    }
  }
  return found;
}

/** The last value among the Application's source and the override files (merge patches in order). */
function pick(
  object: GitOpsObject,
  source: YamlNode,
  overrides: Override[],
  ...keys: string[]
): { node: YamlNode; file: SourceFile; what: string } | undefined {
  let found: { node: YamlNode; file: SourceFile; what: string } | undefined;
  const node = getPath(source, ...keys);
  if (node) found = { node, file: object.source, what: keys.join('.') };
  for (const override of overrides) {
    const value = getPath(override.root, ...keys);
    if (value) found = { node: value, file: override.file, what: keys.join('.') };
  }
  return found;
}

async function applicationUnit(
  object: GitOpsObject,
  label: string,
  source: YamlNode,
  dir: string,
  overrides: Override[],
): Promise<GitOpsUnit> {
  const value = (...keys: string[]) => str(pick(object, source, overrides, ...keys)?.node);
  const layout = await layoutOf(source, dir, overrides, value, object);
  const unit: GitOpsUnit = {
    label,
    objectFile: object.source.absolute,
    anchor: locateIn(object, get(source, 'path')),
    dir,
    layout,
    images: [],
    patches: [],
    inputs: overrides.map((override) => override.file.absolute),
  };
  const patches = pick(object, source, overrides, 'kustomize', 'patches');
  if (patches)
    unit.patches = imagePatches(patches.file, patches.node, `${patches.file.file} kustomize.patches`);
  const images = pick(object, source, overrides, 'kustomize', 'images');
  if (images) unit.images = kustomizeImages(images.file, images.node);
  const prefix = value('kustomize', 'namePrefix');
  const suffix = value('kustomize', 'nameSuffix');
  const namespace = value('kustomize', 'namespace');
  if (prefix) unit.namePrefix = prefix;
  if (suffix) unit.nameSuffix = suffix;
  if (namespace) unit.namespace = { value: namespace, force: true };
  return unit;
}

async function layoutOf(
  source: YamlNode,
  dir: string,
  overrides: Override[],
  value: (...keys: string[]) => string | undefined,
  object: GitOpsObject,
): Promise<Layout> {
  const declared = ['helm', 'kustomize', 'directory'].find(
    (key) => get(source, key) || overrides.some((override) => get(override.root, key)),
  );
  const kustomization = await kustomizationIn(dir);
  const chart = (await stat(path.join(dir, 'Chart.yaml')).catch(() => undefined))?.isFile();
  const kind = declared ?? (kustomization ? 'kustomize' : chart ? 'helm' : 'directory');
  if (kind === 'helm' && chart) {
    const files = pick(object, source, overrides, 'helm', 'valueFiles');
    // Argo CD's precedence: value files, then `values`, then `valuesObject`, then `parameters`.
    const inline = emptyInlineValues();
    const values = pick(object, source, overrides, 'helm', 'values');
    if (values)
      inline.layers.push(
        stringValues(values.node, values.file, `${values.file.file} helm.values`, inline.sites),
      );
    const valuesObject = pick(object, source, overrides, 'helm', 'valuesObject');
    if (valuesObject?.node.kind === 'map') {
      const via = `${valuesObject.file.file} helm.valuesObject`;
      inline.layers.push(
        plainValues(valuesObject.node, valuesObject.file, via, inline.sites) as Record<string, unknown>,
      );
    }
    const parameters = pick(object, source, overrides, 'helm', 'parameters');
    if (parameters) {
      const via = `${parameters.file.file} helm.parameters`;
      inline.layers.push(parameterValues(parameters.node, parameters.file, via, inline.sites));
    }
    const release = value('helm', 'releaseName');
    return {
      kind: 'helm',
      valueFiles: items(files?.node).flatMap((file) => {
        const written = str(file);
        return written === undefined || written.startsWith('$') ? [] : [path.resolve(dir, written)];
      }),
      inline,
      ...(release ? { release } : {}),
    };
  }
  const include = value('directory', 'include');
  const exclude = value('directory', 'exclude');
  return {
    kind: 'argocd',
    recurse: value('directory', 'recurse') === 'true',
    ...(include ? { include } : {}),
    ...(exclude ? { exclude } : {}),
  };
}

/**
 * `kustomize.images` strings as Argo CD passes them to `kustomize edit set image`: `name=new[:tag][@digest]`,
 * or `name[:tag][@digest]` keeping the name.
 */
export function kustomizeImages(file: SourceFile, list: YamlNode): ImageOverrideAt[] {
  return items(list).flatMap((entry) => {
    const written = str(entry);
    if (written === undefined || entry.kind !== 'scalar') return [];
    const equals = written.indexOf('=');
    const name = equals === -1 ? splitImage(written).name : written.slice(0, equals);
    const target = splitImage(equals === -1 ? written : written.slice(equals + 1));
    const override: ImageOverrideAt['override'] = { name };
    if (equals !== -1 && target.name !== name) override.newName = target.name;
    if (target.tag) override.newTag = target.tag;
    if (target.digest) override.digest = target.digest;
    return [{ override, location: file.locate(entry), via: `${file.file} kustomize.images` }];
  });
}

/**
 * Argo CD's include/exclude globs: `*`, `?`, `**` and `{a,b}` alternatives, on the path below the app's.
 * Matched without a regular expression: the pattern comes from the pull request, and a backtracking
 * engine would let `*a*a*a*…b` against a long file name hold the runner (this is linear per state).
 */
export function directoryGlob(pattern: string, relative: string): boolean {
  return braceAlternatives(pattern).some((alternative) => wildcardMatch(alternative, relative, '/'));
}

/** At most this many alternatives from `{…}`; past it the rest are not tried. */
const MAX_ALTERNATIVES = 256;

/** `a{b,c}d` → `abd`, `acd` (nested braces too); a comma outside braces is a literal. */
function braceAlternatives(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      const head = pattern.slice(0, open);
      const bounds = [open, ...commas, i];
      const parts = bounds.slice(0, -1).map((at, k) => pattern.slice(at + 1, bounds[k + 1]));
      const tails = braceAlternatives(pattern.slice(i + 1));
      const out: string[] = [];
      for (const part of parts)
        for (const middle of braceAlternatives(part))
          for (const tail of tails) {
            if (out.length >= MAX_ALTERNATIVES) return out;
            out.push(head + middle + tail);
          }
      return out;
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  return [pattern]; // an unclosed brace is literal
}
