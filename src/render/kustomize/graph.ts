import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLocation } from '../../findings.js';
import { get, items, str, type YamlNode, type YamlScalar } from '../../manifests/yaml-tree.js';
import type { SourceFile, SourceFiles } from '../sources.js';
import type { ImageOverride } from './image-tag.js';

/** The names kustomize looks for in a directory, in its order. */
export const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** A bound on the graph: a repository with more kustomizations than this is not followed further. */
const MAX_KUSTOMIZATIONS = 2_000;

export interface ImagesEntry extends ImageOverride {
  index: number;
  /** The scalars written for each field, for positions. */
  nodes: Partial<Record<'name' | 'newName' | 'newTag' | 'digest', YamlScalar>>;
}

export type EdgeKind = 'resource' | 'component' | 'generator';

export interface Edge {
  kind: EdgeKind;
  /** The child's kustomization file (absolute). */
  target: string;
  /** Position among the parent's components (their order decides what applies after what). */
  index: number;
}

export interface Kustomization {
  /** The kustomization file (absolute). */
  file: string;
  dir: string;
  source: SourceFile;
  isComponent: boolean;
  children: Edge[];
  /** Resource files listed directly (not directories). */
  resourceFiles: string[];
  /** Patch files (strategic merge or JSON 6902), in the order kustomize applies them. */
  patchFiles: string[];
  /** Every file this kustomization reads (resources, patches, generator inputs, configurations…). */
  files: string[];
  images: ImagesEntry[];
  /**
   * What kustomize would fetch: resources that are URLs or git references (`what` names them for
   * messages), and `helmCharts`, which it inflates with helm from the chart's repository.
   */
  remote: Array<{ what: string; location: SourceLocation; url: string }>;
  usesHelmCharts: boolean;
  /** `configurations:` can point `images:` at other fields, which the unused-entry check cannot see. */
  customFieldSpecs: boolean;
  /** `resources:` (else the first line): where a finding about the whole build goes. */
  anchor: SourceLocation;
}

export interface KustomizeGraph {
  nodes: Map<string, Kustomization>;
  /** Kustomization files (absolute) nothing else references, sorted: what gets built. */
  roots: string[];
  /** True when the graph grew past its bound and was not followed further. */
  truncated: boolean;
}

/** The kustomization file a directory holds, if any. */
export async function kustomizationIn(directory: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_NAMES) {
    const candidate = path.join(directory, name);
    if ((await stat(candidate).catch(() => undefined))?.isFile()) return candidate;
  }
  return undefined;
}

export function isKustomizationFile(file: string): boolean {
  return KUSTOMIZATION_NAMES.includes(path.basename(file));
}

/** URLs and git references, as kustomize tells them from local paths (which it tries first). */
const REMOTE =
  /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|(?:github\.com|gitlab\.com|bitbucket\.org)[/:])|\?ref=|\/\/[^/]/i;

/** A URL, which kustomize's loader fetches wherever it accepts a file path. */
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Follows every reference from the discovered kustomizations, wherever it leads. */
export async function buildGraph(discovered: string[], sources: SourceFiles): Promise<KustomizeGraph> {
  const nodes = new Map<string, Kustomization>();
  const queue = [...new Set(discovered)].sort();
  const queued = new Set(queue);
  let truncated = false;
  for (let i = 0; i < queue.length; i++) {
    if (nodes.size >= MAX_KUSTOMIZATIONS) {
      truncated = true;
      break;
    }
    const node = await readKustomization(queue[i]!, sources);
    if (!node) continue;
    nodes.set(node.file, node);
    for (const edge of node.children) {
      if (!queued.has(edge.target)) {
        queued.add(edge.target);
        queue.push(edge.target);
      }
    }
  }
  const referenced = new Set([...nodes.values()].flatMap((node) => node.children.map((edge) => edge.target)));
  const roots = [...new Set(discovered)]
    .filter((file) => !referenced.has(file) && nodes.get(file) && !nodes.get(file)!.isComponent)
    .sort();
  return { nodes, roots, truncated };
}

async function readKustomization(file: string, sources: SourceFiles): Promise<Kustomization | undefined> {
  const source = await sources.get(file);
  if (!source) return undefined;
  const root = source.documents[0]?.root;
  const dir = path.dirname(file);
  const resourcesNode = get(root, 'resources');
  const node: Kustomization = {
    file,
    dir,
    source,
    isComponent: str(get(root, 'kind')) === 'Component',
    children: [],
    resourceFiles: [],
    patchFiles: [],
    files: [],
    images: [],
    remote: [],
    usesHelmCharts: items(get(root, 'helmCharts')).length > 0,
    customFieldSpecs: items(get(root, 'configurations')).length > 0,
    anchor: anchorOf(source, resourcesNode, root),
  };
  const local = (value: string) => path.resolve(dir, value);

  for (const entry of [...items(resourcesNode), ...items(get(root, 'bases'))]) {
    const value = str(entry);
    if (value === undefined || entry.kind !== 'scalar') continue;
    const info = await stat(local(value)).catch(() => undefined);
    if (!info && REMOTE.test(value))
      node.remote.push({ what: `remote base "${value}"`, location: source.locate(entry), url: value });
    else if (info?.isDirectory()) await addChild(node, 'resource', local(value), 0);
    else {
      node.resourceFiles.push(local(value));
      node.files.push(local(value));
    }
  }
  let componentIndex = 0;
  for (const entry of items(get(root, 'components'))) {
    const value = str(entry);
    if (value === undefined) continue;
    if (REMOTE.test(value) && !(await stat(local(value)).catch(() => undefined))) {
      if (entry.kind === 'scalar')
        node.remote.push({ what: `remote component "${value}"`, location: source.locate(entry), url: value });
      continue;
    }
    await addChild(node, 'component', local(value), componentIndex++);
  }
  // Every file kustomize's loader reads may be a URL it fetches: such a root is not built offline.
  const reference = (field: string, entry: YamlNode | undefined, value = str(entry)): string | undefined => {
    if (value === undefined) return undefined;
    if (URL_SCHEME.test(value)) {
      if (entry?.kind === 'scalar')
        node.remote.push({ what: `URL in ${field} "${value}"`, location: source.locate(entry), url: value });
      return undefined;
    }
    node.files.push(local(value));
    return local(value);
  };
  for (const { field, entry, value } of patchPaths(root)) {
    const patch = reference(field, entry, value);
    if (patch !== undefined) node.patchFiles.push(patch);
  }
  for (const { field, entry, value } of generatorInputs(root)) reference(field, entry, value);
  for (const key of ['generators', 'transformers', 'validators']) {
    for (const entry of items(get(root, key))) {
      const value = str(entry);
      if (value === undefined || value.includes('\n')) continue; // inline plugin configuration
      const info = await stat(local(value)).catch(() => undefined);
      if (info?.isDirectory()) await addChild(node, 'generator', local(value), 0);
      else if (reference(key, entry) !== undefined) await pluginConfigUrls(node, key, local(value), sources);
    }
  }
  for (const key of ['configurations', 'crds'])
    for (const entry of items(get(root, key))) reference(key, entry);
  for (const entry of items(get(root, 'replacements'))) reference('replacements', get(entry, 'path'));
  for (const chart of items(get(root, 'helmCharts'))) {
    const name = get(chart, 'name');
    if (name?.kind === 'scalar')
      node.remote.push({
        what: `helm chart "${name.value}" (helmCharts)`,
        location: source.locate(name),
        url: str(get(chart, 'repo')) ?? '',
      });
  }
  reference('openapi', get(get(root, 'openapi'), 'path'));
  node.images = imagesEntries(get(root, 'images'));
  return node;
}

/** Keys whose values are data, never a file kustomize loads (a literal may well be a URL). */
const DATA_KEYS = new Set([
  'literals',
  'metadata',
  'labels',
  'annotations',
  'commonLabels',
  'commonAnnotations',
]);

/**
 * A generator or transformer configuration is handed to a plugin that loads its own files (a
 * PatchTransformer's `path`, a generator's `files`) through the same loader: any URL in it counts.
 */
async function pluginConfigUrls(node: Kustomization, key: string, file: string, sources: SourceFiles) {
  const source = await sources.get(file);
  const stack: YamlNode[] =
    source?.documents.flatMap((document) => (document.root ? [document.root] : [])) ?? [];
  const seen = new Set<YamlNode>();
  while (stack.length > 0 && seen.size < 10_000) {
    const current = stack.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    if (current.kind === 'seq') stack.push(...current.items);
    else if (current.kind === 'map') {
      for (const entry of current.entries)
        if (entry.key.kind !== 'scalar' || !DATA_KEYS.has(entry.key.value)) stack.push(entry.value);
    } else if (URL_SCHEME.test(current.value) && !current.value.includes('\n'))
      node.remote.push({
        what: `URL in ${key} configuration ${source!.file} "${current.value}"`,
        location: source!.locate(current),
        url: current.value,
      });
  }
}

async function addChild(node: Kustomization, kind: EdgeKind, directory: string, index: number) {
  const target = await kustomizationIn(directory);
  if (target) node.children.push({ kind, target, index });
}

function anchorOf(source: SourceFile, resources: YamlNode | undefined, root: YamlNode | undefined) {
  if (root?.kind === 'map') {
    const key = root.entries.find((entry) => entry.key.kind === 'scalar' && entry.value === resources)?.key;
    if (resources && key?.kind === 'scalar') return source.locate(key);
  }
  return { file: source.file, line: 1, column: 1, endLine: 1, endColumn: 1 };
}

/** A file reference as written: the field it is in, its scalar, and the path (or URL) it names. */
interface FileReference {
  field: string;
  entry: YamlNode;
  value: string;
}

/** Patch files in kustomize's order: strategic merge, `patches`, then JSON 6902. Inline patches are skipped. */
function patchPaths(root: YamlNode | undefined): FileReference[] {
  const paths: FileReference[] = [];
  for (const entry of items(get(root, 'patchesStrategicMerge'))) {
    const value = str(entry);
    if (value !== undefined && !value.includes('\n'))
      paths.push({ field: 'patchesStrategicMerge', entry, value });
  }
  for (const key of ['patches', 'patchesJson6902']) {
    for (const item of items(get(root, key))) {
      const entry = get(item, 'path');
      const value = str(entry);
      if (entry && value !== undefined) paths.push({ field: key, entry, value });
    }
  }
  return paths;
}

/** Files read by configMapGenerator and secretGenerator: `files` (`key=path` or `path`), `envs`, `env`. */
function generatorInputs(root: YamlNode | undefined): FileReference[] {
  const inputs: FileReference[] = [];
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const generator of items(get(root, key))) {
      for (const entry of items(get(generator, 'files'))) {
        const value = str(entry);
        if (value !== undefined)
          inputs.push({ field: `${key} files`, entry, value: value.slice(value.indexOf('=') + 1) });
      }
      for (const entry of items(get(generator, 'envs'))) {
        const value = str(entry);
        if (value !== undefined) inputs.push({ field: `${key} envs`, entry, value });
      }
      const env = get(generator, 'env');
      const value = str(env);
      if (env && value !== undefined) inputs.push({ field: `${key} env`, entry: env, value });
    }
  }
  return inputs;
}

function imagesEntries(list: YamlNode | undefined): ImagesEntry[] {
  return items(list).flatMap((entry, index) => {
    const name = str(get(entry, 'name'));
    if (name === undefined) return [];
    const result: ImagesEntry = { index, name, nodes: {} };
    for (const field of ['name', 'newName', 'newTag', 'digest'] as const) {
      const scalar = get(entry, field);
      const value = str(scalar);
      if (scalar?.kind !== 'scalar' || value === undefined) continue;
      result.nodes[field] = scalar;
      if (field !== 'name') result[field] = value;
    }
    return [result];
  });
}

/** Every kustomization a root reaches, the root first. */
export function closure(graph: KustomizeGraph, root: string): Kustomization[] {
  const seen = new Set<string>([root]);
  const order: Kustomization[] = [];
  const queue = [root];
  for (let i = 0; i < queue.length; i++) {
    const node = graph.nodes.get(queue[i]!);
    if (!node) continue;
    order.push(node);
    for (const edge of node.children) {
      if (!seen.has(edge.target)) {
        seen.add(edge.target);
        queue.push(edge.target);
      }
    }
  }
  return order;
}

/** Every file a root's build reads: its kustomizations and everything they reference. */
export function closureFiles(graph: KustomizeGraph, root: string): string[] {
  return closure(graph, root).flatMap((node) => [node.file, ...node.files]);
}
