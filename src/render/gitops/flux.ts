import path from 'node:path';
import { load } from 'js-yaml';
import type { ManifestProblem } from '../../manifests/types.js';
import { decodeDataValue } from '../../manifests/pull-secrets.js';
import { get, getPath, items, str, type YamlNode } from '../../manifests/yaml-tree.js';
import { locateIn, type GitOpsObject, type GitOpsObjects } from './objects.js';
import { normalizeRepoUrl, type Repository } from './repository.js';
import { hasReference } from './substitute.js';
import type { DefinedVariable, GitOpsPlan, GitOpsUnit, ImageOverrideAt } from './units.js';
import { imagePatches } from './patches.js';
import { emptyInlineValues, plainValues, stringValues, valueLeaves } from './values.js';

/**
 * Flux (fluxcd/kustomize-controller, helm-controller). A Kustomization is in this repository when its
 * `sourceRef` is a GitRepository whose `url` is this repository, or — Flux's monorepo convention —
 * the GitRepository `flux-system` that `flux bootstrap` points at the repository holding the cluster
 * configuration (whether or not its manifest is under the scanned paths).
 */

const BOOTSTRAP_SOURCE = 'flux-system';

/** Called with every secret read (core.setSecret in the action), before anything could print it. */
export type Mask = (secret: string) => void;

/** `mask` receives every value read from a Secret: it can end up in an image, a message or a report. */
export function planFlux(objects: GitOpsObjects, repository: Repository, mask: Mask = () => {}): GitOpsPlan {
  const plan: GitOpsPlan = { units: [], problems: [] };
  const problem = (
    kind: ManifestProblem['kind'],
    object: GitOpsObject,
    node: YamlNode | undefined,
    message: string,
  ) => plan.problems.push({ kind, ...locateIn(object, node), message });

  for (const object of objects.controllers) {
    if (object.group === 'kustomize.toolkit.fluxcd.io' && object.kind === 'Kustomization') {
      const sourceRef = getPath(object.root, 'spec', 'sourceRef');
      const kind = str(get(sourceRef, 'kind')) ?? 'GitRepository';
      const name = str(get(sourceRef, 'name')) ?? '';
      const namespace = str(get(sourceRef, 'namespace')) ?? object.namespace;
      const where = inRepository(objects, repository, kind, name, namespace, object.source.absolute);
      const written = str(getPath(object.root, 'spec', 'path')) ?? './';
      const local = where.inRepository ? where.toRepository(written) : undefined;
      if (local === undefined) {
        problem(
          'gitops-source-not-checked',
          object,
          get(sourceRef, 'name'),
          where.inRepository
            ? `Kustomization ${object.name}: path "${written}" of ${where.describe} is not copied from this repository by its ArtifactGenerator; not rendered or checked here.`
            : `Kustomization ${object.name} deploys from ${where.describe}, not this repository: not rendered or checked here.`,
        );
        continue;
      }
      plan.units.push(fluxUnit(object, objects, repository, local, plan, mask));
    } else if (object.group === 'helm.toolkit.fluxcd.io' && object.kind === 'HelmRelease') {
      const chart = getPath(object.root, 'spec', 'chart', 'spec');
      const sourceRef = get(chart, 'sourceRef');
      const kind = str(get(sourceRef, 'kind')) ?? '';
      const name = str(get(sourceRef, 'name')) ?? '';
      const chartName = str(get(chart, 'chart')) ?? '';
      const chartRef = getPath(object.root, 'spec', 'chartRef');
      // A kustomize patch of a HelmRelease (an overlay's values) names no chart: not a release.
      if (!get(chart, 'chart') && !get(chart, 'sourceRef') && !chartRef) continue;
      if (kind === 'GitRepository' && !chartRef) {
        const where = inRepository(
          objects,
          repository,
          kind,
          name,
          str(get(sourceRef, 'namespace')) ?? object.namespace,
          object.source.absolute,
        );
        if (where.inRepository) {
          plan.units.push(helmReleaseUnit(object, chart!, objects, repository, plan, mask));
          continue;
        }
      }
      const source = chartRef
        ? `${str(get(chartRef, 'kind')) ?? 'a source'} ${str(get(chartRef, 'name')) ?? ''}`
        : kind === 'GitRepository'
          ? `GitRepository ${name}`
          : `${kind} ${name}`;
      problem(
        'gitops-source-not-checked',
        object,
        get(chart, 'chart') ?? get(chartRef, 'name'),
        `HelmRelease ${object.name}: chart ${chartName ? `"${chartName}" ` : ''}from ${source} is not rendered or checked here (charts are never fetched).`,
      );
    }
  }
  return plan;
}

/** Where a source's files are: this repository (with a path mapping into it), or elsewhere. */
type SourceLocation =
  | { inRepository: true; describe: string; toRepository: (written: string) => string | undefined }
  | { inRepository: false; describe: string };

const IDENTITY = (written: string) => written.replace(/^\/+/, '');

function inRepository(
  objects: GitOpsObjects,
  repository: Repository,
  kind: string,
  name: string,
  namespace: string | undefined,
  near: string,
): SourceLocation {
  if (kind === 'ExternalArtifact') return generatedArtifact(objects, repository, name, namespace, near);
  if (kind !== 'GitRepository') return { inRepository: false, describe: `${kind} ${name}` };
  const source = nearest(
    objects.controllers.filter(
      (object) =>
        object.group === 'source.toolkit.fluxcd.io' &&
        object.kind === 'GitRepository' &&
        object.name === name &&
        (namespace === undefined || object.namespace === undefined || object.namespace === namespace),
    ),
    near,
  );
  const url = str(getPath(source?.root, 'spec', 'url'));
  if (url !== undefined && repository.urls.has(normalizeRepoUrl(url)))
    return { inRepository: true, describe: url, toRepository: IDENTITY };
  if (name === BOOTSTRAP_SOURCE) return { inRepository: true, describe: name, toRepository: IDENTITY };
  return { inRepository: false, describe: url ?? `GitRepository ${name || '(no name)'}` };
}

/**
 * An ExternalArtifact made by a source-watcher ArtifactGenerator (the current flux2-kustomize-helm-example
 * layout): in this repository when its `copy` rules take directories (`@alias/dir/**`) of an
 * in-repository GitRepository, and a path in the artifact maps back through the rule whose `to` holds it.
 */
function generatedArtifact(
  objects: GitOpsObjects,
  repository: Repository,
  name: string,
  namespace: string | undefined,
  near: string,
): SourceLocation {
  const describe = `ExternalArtifact ${name}`;
  const artifactOf = (generator: GitOpsObject) =>
    items(getPath(generator.root, 'spec', 'artifacts')).find((entry) => str(get(entry, 'name')) === name);
  const generator = nearest(
    objects.controllers.filter(
      (object) =>
        object.kind === 'ArtifactGenerator' &&
        (!namespace || !object.namespace || object.namespace === namespace) &&
        artifactOf(object) !== undefined,
    ),
    near,
  );
  if (!generator) return { inRepository: false, describe };
  const local = new Set<string>();
  for (const source of items(getPath(generator.root, 'spec', 'sources'))) {
    const alias = str(get(source, 'alias'));
    const kind = str(get(source, 'kind')) ?? '';
    const where = inRepository(
      objects,
      repository,
      kind === 'ExternalArtifact' ? '' : kind,
      str(get(source, 'name')) ?? '',
      str(get(source, 'namespace')) ?? generator.namespace,
      generator.source.absolute,
    );
    if (alias && where.inRepository) local.add(alias);
  }
  const rules = items(get(artifactOf(generator), 'copy')).flatMap((rule) => {
    const from = /^@([^/]+)\/(?:(.*?)\/)?\*\*$/.exec(str(get(rule, 'from')) ?? '');
    const to = /^@artifact\/(.*?)\/?$/.exec(str(get(rule, 'to')) ?? '');
    return from && to && local.has(from[1]!) ? [{ source: from[2] ?? '', target: to[1] ?? '' }] : [];
  });
  if (rules.length === 0) return { inRepository: false, describe };
  const toRepository = (written: string) => {
    const wanted = path.posix.normalize(written.replace(/^\/+/, '')).replace(/^\.\/?|\/$/g, '');
    const rule = rules
      .filter(({ target }) => target === '' || wanted === target || wanted.startsWith(`${target}/`))
      .sort((a, b) => b.target.length - a.target.length)[0];
    return rule && path.posix.join(rule.source, wanted.slice(rule.target.length));
  };
  return { inRepository: true, describe, toRepository };
}

/**
 * Of several same-named objects (one per cluster directory, as flux bootstrap writes them), the one
 * whose file shares the longest directory prefix with `near`.
 */
function nearest(candidates: GitOpsObject[], near: string): GitOpsObject | undefined {
  const shared = (file: string) => {
    const a = path.dirname(file).split(path.sep);
    const b = path.dirname(near).split(path.sep);
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
  };
  return [...candidates].sort((x, y) => shared(y.source.absolute) - shared(x.source.absolute))[0];
}

function fluxUnit(
  object: GitOpsObject,
  objects: GitOpsObjects,
  repository: Repository,
  local: string,
  plan: GitOpsPlan,
  mask: Mask,
): GitOpsUnit {
  const spec = get(object.root, 'spec');
  const pathNode = get(spec, 'path');
  const label = `Kustomization ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
  const unit: GitOpsUnit = {
    label,
    objectFile: object.source.absolute,
    anchor: object.anchor,
    dir: path.resolve(repository.root, local),
    layout: { kind: 'flux' },
    images: imagesEntries(object, get(spec, 'images'), 'spec.images'),
    patches: imagePatches(object.source, get(spec, 'patches'), `${object.source.file} spec.patches`),
    inputs: [],
  };
  const targetNamespace = str(get(spec, 'targetNamespace'));
  if (targetNamespace) unit.namespace = { value: targetNamespace, force: true };
  const postBuild = get(spec, 'postBuild');
  if (postBuild) unit.substitution = substitution(object, postBuild, objects, plan, unit, mask);
  if (pathNode) unit.anchor = locateIn(object, pathNode);
  return unit;
}

/**
 * A HelmRelease whose chart is a path of this repository: its `valuesFiles` (relative to the
 * repository), then `valuesFrom` ConfigMaps/Secrets in the repository, then `spec.values` (helm-controller's
 * precedence). A `valuesFrom` source not in the repository is a notice; the chart renders without it.
 */
function helmReleaseUnit(
  object: GitOpsObject,
  chart: YamlNode,
  objects: GitOpsObjects,
  repository: Repository,
  plan: GitOpsPlan,
  mask: Mask,
): GitOpsUnit {
  const spec = get(object.root, 'spec');
  const chartNode = get(chart, 'chart');
  const written = str(chartNode) ?? '.';
  const label = `HelmRelease ${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
  const inline = emptyInlineValues();
  const inputs: string[] = [];
  for (const entry of items(get(spec, 'valuesFrom'))) {
    const source = dataSource(entry, object, objects, plan, `${label}: a valuesFrom entry`, 'HelmRelease');
    if (!source) continue;
    const { kind, name, found } = source;
    const key = str(get(entry, 'valuesKey')) ?? 'values.yaml';
    const node = found && dataEntries(found, mask).find(([entryKey]) => entryKey === key);
    if (!found || !node || get(entry, 'targetPath')) {
      if (str(get(entry, 'optional')) === 'true') continue;
      plan.problems.push({
        kind: 'gitops-source-not-checked',
        ...locateIn(object, get(entry, 'name')),
        message: `${label}: values from ${kind} ${name} (${key}) are not in this repository; the chart was rendered without them.`,
      });
      continue;
    }
    inputs.push(found.source.absolute);
    const via = `${found.source.file} ${kind} ${name} ${key}`;
    if (kind === 'Secret' && get(get(found.root, 'data'), key)) {
      try {
        const parsed = load(node[1]);
        if (typeof parsed === 'object' && parsed !== null) {
          maskEach(valueLeaves(parsed), mask);
          inline.layers.push(parsed as Record<string, unknown>);
          inline.sites.push({ value: '', location: locateIn(found, node[2]), via });
        }
      } catch {
        // not YAML: helm-controller fails the same way; render without it
      }
    } else {
      const sites = inline.sites.length;
      inline.layers.push(stringValues(node[2], found.source, via, inline.sites));
      if (kind === 'Secret')
        maskEach(
          inline.sites.slice(sites).map((site) => site.value),
          mask,
        );
    }
  }
  const values = get(spec, 'values');
  if (values?.kind === 'map')
    inline.layers.push(
      plainValues(values, object.source, `${object.source.file} spec.values`, inline.sites) as Record<
        string,
        unknown
      >,
    );
  const targetNamespace = str(get(spec, 'targetNamespace')) ?? object.namespace;
  return {
    label,
    objectFile: object.source.absolute,
    anchor: locateIn(object, chartNode),
    dir: path.resolve(repository.root, written.replace(/^\/+/, '')),
    layout: {
      kind: 'helm',
      valueFiles: items(get(chart, 'valuesFiles')).flatMap((file) => {
        const value = str(file);
        return value === undefined ? [] : [path.resolve(repository.root, value.replace(/^\/+/, ''))];
      }),
      inline,
    },
    images: [],
    patches: [],
    ...(targetNamespace ? { namespace: { value: targetNamespace, force: false } } : {}),
    inputs,
  };
}

/** kustomize `images:` entries (Flux `spec.images`), each anchored on the field that decides the pull. */
export function imagesEntries(
  object: GitOpsObject,
  list: YamlNode | undefined,
  what: string,
): ImageOverrideAt[] {
  return items(list).flatMap((entry) => {
    const name = str(get(entry, 'name'));
    if (name === undefined) return [];
    const override: ImageOverrideAt['override'] = { name };
    for (const field of ['newName', 'newTag', 'digest'] as const) {
      const value = str(get(entry, field));
      if (value !== undefined) override[field] = value;
    }
    const field = override.digest
      ? 'digest'
      : override.newTag
        ? 'newTag'
        : override.newName
          ? 'newName'
          : 'name';
    return [
      {
        override,
        location: locateIn(object, get(entry, field)),
        via: `${object.source.file} ${what} ${field}`,
      },
    ];
  });
}

/**
 * The ConfigMap or Secret a `valuesFrom` or `substituteFrom` entry names, looked up in the object's
 * namespace as the controllers do (`found` is absent when the repository does not hold it). A malformed
 * entry is reported and gives undefined.
 */
function dataSource(
  entry: YamlNode,
  object: GitOpsObject,
  objects: GitOpsObjects,
  plan: GitOpsPlan,
  what: string,
  rejected: 'HelmRelease' | 'Kustomization',
): { kind: 'ConfigMap' | 'Secret'; name: string; found?: GitOpsObject } | undefined {
  const kind = str(get(entry, 'kind'));
  const name = str(get(entry, 'name'));
  if ((kind !== 'ConfigMap' && kind !== 'Secret') || !name) {
    plan.problems.push({
      kind: 'gitops-render-error',
      ...locateIn(object, entry.kind === 'map' ? (entry.entries[0]?.key ?? entry) : entry),
      message: `${what} needs kind (ConfigMap or Secret) and name; Flux rejects the ${rejected}.`,
    });
    return undefined;
  }
  const found = objects.data.find(
    (data) =>
      data.kind === kind &&
      data.name === name &&
      (data.namespace ?? 'default') === (object.namespace ?? 'default'),
  );
  return found ? { kind, name, found } : { kind, name };
}

/**
 * `postBuild.substitute` and `substituteFrom` as kustomize-controller merges them: sources in order,
 * later ones winning, and `substitute` over all of them. Sources must be in the Kustomization's
 * namespace; one that is not in the repository leaves the plan incomplete, with a warning.
 */
function substitution(
  object: GitOpsObject,
  postBuild: YamlNode,
  objects: GitOpsObjects,
  plan: GitOpsPlan,
  unit: GitOpsUnit,
  mask: Mask,
) {
  const variables = new Map<string, DefinedVariable>();
  let complete = true;
  for (const entry of items(get(postBuild, 'substituteFrom'))) {
    const optional = str(get(entry, 'optional')) === 'true';
    const source = dataSource(
      entry,
      object,
      objects,
      plan,
      `${unit.label}: a substituteFrom entry`,
      'Kustomization',
    );
    if (!source) {
      complete = false;
      continue;
    }
    const { kind, name, found } = source;
    if (!found) {
      if (optional) continue;
      complete = false;
      plan.problems.push({
        kind: 'gitops-substitution-unresolved',
        ...locateIn(object, get(entry, 'name')),
        message: `${unit.label} substitutes variables from ${kind} ${name}, which is not in this repository: the images using its variables were not verified.`,
      });
      continue;
    }
    unit.inputs.push(found.source.absolute);
    for (const [key, value, node] of dataEntries(found, mask))
      variables.set(key, {
        value,
        location: locateIn(found, node),
        via: `${found.source.file} ${kind} ${name}`,
      });
  }
  const inline = get(postBuild, 'substitute');
  if (inline?.kind === 'map') {
    for (const entry of inline.entries) {
      const key = str(entry.key);
      const value = str(entry.value);
      if (key === undefined || value === undefined) continue;
      variables.set(key, {
        value,
        location: locateIn(object, entry.value),
        via: `${object.source.file} postBuild.substitute ${key}`,
      });
    }
  }
  for (const [key, variable] of variables) {
    if (!hasReference(variable.value)) continue;
    plan.problems.push({
      kind: 'gitops-render-error',
      ...variable.location,
      message: `${unit.label}: the value of ${key} holds ${variable.value.match(/\$\{[^}]*\}/)![0]}, but Flux substitutes once, so it stays in the output as written (a substitution cycle or chain never resolves); images using ${key} were not checked.`,
    });
  }
  return { variables, complete };
}

/**
 * A ConfigMap's `data` or a Secret's `data` (base64) and `stringData`, with the nodes that write them.
 * A Secret's values are masked as they are read (decoded: the form that reaches images and messages).
 */
function dataEntries(object: GitOpsObject, mask: Mask): Array<[string, string, YamlNode]> {
  const entries: Array<[string, string, YamlNode]> = [];
  const add = (map: YamlNode | undefined, decode: boolean) => {
    if (map?.kind !== 'map') return;
    for (const entry of map.entries) {
      const key = str(entry.key);
      const raw = str(entry.value);
      if (key === undefined || raw === undefined) continue;
      const value = decode ? decodeDataValue(raw) : raw;
      if (value === undefined) continue;
      if (object.kind === 'Secret') maskEach([value], mask);
      entries.push([key, value, entry.value]);
    }
  };
  add(get(object.root, 'data'), object.kind === 'Secret');
  if (object.kind === 'Secret') add(get(object.root, 'stringData'), false);
  return entries;
}

/**
 * Every non-empty value, however short, as @actions/core's setSecret takes them: a Secret's `1` is as
 * secret as its password. (An empty one would mask nothing; the runner warns about it.)
 */
function maskEach(values: string[], mask: Mask): void {
  for (const value of new Set(values)) if (value !== '') mask(value);
}
