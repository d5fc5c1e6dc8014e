import { readFile, stat } from 'node:fs/promises';
import type { SourceLocation } from '../../findings.js';
import { apiGroup } from '../../manifests/workloads.js';
import { get, getPath, str, type YamlNode } from '../../manifests/yaml-tree.js';
import type { SourceFile, SourceFiles } from '../sources.js';

/** An Argo CD or Flux object, or a ConfigMap/Secret a Flux substitution may read, as written in a file. */
export interface GitOpsObject {
  source: SourceFile;
  root: YamlNode;
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  /** `metadata.name` (else the kind): where a finding about the whole object goes. */
  anchor: SourceLocation;
}

const GROUPS = new Set([
  'argoproj.io',
  'kustomize.toolkit.fluxcd.io',
  'source.toolkit.fluxcd.io',
  'helm.toolkit.fluxcd.io',
  'source.extensions.fluxcd.io',
]);
const KINDS = new Set([
  'Application',
  'ApplicationSet',
  'Kustomization',
  'GitRepository',
  'HelmRelease',
  'HelmRepository',
  'OCIRepository',
  'HelmChart',
  'ArtifactGenerator',
]);
/** Cheap test before parsing: most files name neither controller. */
const MENTIONS = /argoproj\.io|fluxcd\.io/;
/** Argo CD and Flux objects live in small files; larger ones are left to the raw scan's limits. */
const MAX_OBJECT_FILE_BYTES = 1024 * 1024;
const DATA = /kind:\s*["']?(ConfigMap|Secret)\b/;

export interface GitOpsObjects {
  controllers: GitOpsObject[];
  /** ConfigMaps and Secrets, for `substituteFrom` and `valuesFrom`. */
  data: GitOpsObject[];
}

/**
 * The Argo CD and Flux objects (and ConfigMaps/Secrets) the files under `paths` hold. Files are
 * tested as text first; ConfigMaps and Secrets are parsed only when some object reads values from them.
 */
export async function findGitOpsObjects(files: string[], sources: SourceFiles): Promise<GitOpsObjects> {
  const found: GitOpsObjects = { controllers: [], data: [] };
  const dataFiles: string[] = [];
  let readsData = false;
  for (const file of files) {
    if (!/\.(ya?ml|json)$/i.test(file)) continue;
    // Only regular files of a size src/render reads at all: never a FIFO, never a huge file.
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile() || info.size > MAX_OBJECT_FILE_BYTES) continue;
    const text = await readFile(file, 'utf8').catch(() => '');
    if (DATA.test(text)) dataFiles.push(file);
    if (!MENTIONS.test(text)) continue;
    readsData ||= /substituteFrom|valuesFrom/.test(text);
    for (const object of await objectsIn(file, sources))
      if (GROUPS.has(object.group) && KINDS.has(object.kind)) found.controllers.push(object);
  }
  if (!readsData) return found;
  for (const file of dataFiles)
    for (const object of await objectsIn(file, sources))
      if (object.group === '' && (object.kind === 'ConfigMap' || object.kind === 'Secret'))
        found.data.push(object);
  return found;
}

async function objectsIn(file: string, sources: SourceFiles): Promise<GitOpsObject[]> {
  const source = await sources.get(file);
  return source ? source.documents.flatMap((document) => read(source, document.root) ?? []) : [];
}

function read(source: SourceFile, root: YamlNode | undefined): GitOpsObject | undefined {
  const apiVersion = str(get(root, 'apiVersion'));
  const kind = str(get(root, 'kind'));
  if (!root || !apiVersion || !kind) return undefined;
  const nameNode = getPath(root, 'metadata', 'name');
  const kindNode = get(root, 'kind')!;
  const anchorNode = nameNode?.kind === 'scalar' ? nameNode : kindNode;
  const namespace = str(getPath(root, 'metadata', 'namespace'));
  return {
    source,
    root,
    group: apiGroup(apiVersion),
    kind,
    name: str(nameNode) ?? '',
    ...(namespace !== undefined ? { namespace } : {}),
    anchor: anchorNode.kind === 'scalar' ? source.locate(anchorNode) : source.at(0, 0),
  };
}

/** Where a scalar is written, else the object's anchor. */
export function locateIn(object: GitOpsObject, node: YamlNode | undefined): SourceLocation {
  return node?.kind === 'scalar' ? object.source.locate(node) : object.anchor;
}
