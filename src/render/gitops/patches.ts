import { load } from 'js-yaml';
import type { SourceLocation } from '../../findings.js';
import type { ContainerImage } from '../../manifests/types.js';
import { get, items, str, type YamlNode } from '../../manifests/yaml-tree.js';
import { mayBacktrack } from '../../patterns.js';
import type { SourceFile } from '../sources.js';

/**
 * A container image an inline strategic-merge patch sets: Flux `spec.patches`, Argo CD
 * `kustomize.patches`. kustomize applies patches before `images:`, so these come first.
 */
export interface ImagePatch {
  kind?: string;
  /** A regular expression, as kustomize's patch target `name` is. */
  name?: string;
  container: string;
  image: string;
  location: SourceLocation;
  via: string;
}

/** Where pod templates keep containers, for the kinds patches usually target. */
const CONTAINER_PATHS = [
  ['spec', 'template', 'spec'],
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  ['spec'],
];

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The image-setting containers of each inline strategic-merge patch (JSON 6902 patches are not read). */
export function imagePatches(file: SourceFile, list: YamlNode | undefined, via: string): ImagePatch[] {
  const found: ImagePatch[] = [];
  for (const entry of items(list)) {
    const node = get(entry, 'patch');
    const text = str(node);
    if (!node || text === undefined) continue;
    let patch: unknown;
    try {
      patch = load(text);
    } catch {
      continue; // kustomize fails the build the same way; the render reports it
    }
    if (!isPlain(patch)) continue;
    const target = get(entry, 'target');
    const kind = str(get(target, 'kind')) ?? (typeof patch.kind === 'string' ? patch.kind : undefined);
    const metadata = isPlain(patch.metadata) ? patch.metadata : {};
    const name =
      str(get(target, 'name')) ??
      (typeof metadata.name === 'string' ? `^${escape(metadata.name)}$` : undefined);
    for (const keys of CONTAINER_PATHS) {
      let spec: unknown = patch;
      for (const key of keys) spec = isPlain(spec) ? spec[key] : undefined;
      if (!isPlain(spec)) continue;
      for (const field of ['containers', 'initContainers']) {
        const containers = spec[field];
        if (!Array.isArray(containers)) continue;
        for (const container of containers) {
          if (
            !isPlain(container) ||
            typeof container.name !== 'string' ||
            typeof container.image !== 'string'
          )
            continue;
          const offset = file.text.indexOf(container.image, node.start);
          const location =
            offset !== -1 && node.kind === 'scalar' && offset < node.end
              ? file.at(offset, container.image.length)
              : file.locate(node as YamlNode & { kind: 'scalar' });
          found.push({
            ...(kind ? { kind } : {}),
            ...(name ? { name } : {}),
            container: container.name,
            image: container.image,
            location,
            via,
          });
        }
      }
      break;
    }
  }
  return found;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a patch applies to this container (kind, name regex, container name). */
export function patchApplies(patch: ImagePatch, image: ContainerImage): boolean {
  if (patch.container !== image.container) return false;
  if (patch.kind && patch.kind !== image.pod.resource.kind) return false;
  if (!patch.name) return true;
  const name = image.pod.resource.name;
  // kustomize matches with Go's linear-time regexp; JavaScript's backtracks. The pattern comes from the
  // pull request, so one that could backtrack without end (a quantified group, many quantifiers) is
  // matched as a literal name rather than run.
  if (mayBacktrack(patch.name)) return patch.name === name;
  try {
    return new RegExp(`^(?:${patch.name})$`).test(name);
  } catch {
    return false;
  }
}
