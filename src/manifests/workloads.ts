import { get, getPath, items, keys, str, type YamlNode } from './yaml-tree.js';

/**
 * Where each kind keeps its pod spec. Kinds are matched with their API group so that a core
 * `v1/Service` is never mistaken for a Knative Service.
 */
const POD_SPEC_PATHS: Array<{ group: string | RegExp; kind: string; path: string[] }> = [
  { group: '', kind: 'Pod', path: ['spec'] },
  { group: '', kind: 'PodTemplate', path: ['template', 'spec'] },
  { group: '', kind: 'ReplicationController', path: ['spec', 'template', 'spec'] },
  { group: /^(apps|extensions)$/, kind: 'Deployment', path: ['spec', 'template', 'spec'] },
  { group: /^(apps|extensions)$/, kind: 'ReplicaSet', path: ['spec', 'template', 'spec'] },
  { group: /^(apps|extensions)$/, kind: 'DaemonSet', path: ['spec', 'template', 'spec'] },
  { group: 'apps', kind: 'StatefulSet', path: ['spec', 'template', 'spec'] },
  { group: 'batch', kind: 'Job', path: ['spec', 'template', 'spec'] },
  { group: 'batch', kind: 'CronJob', path: ['spec', 'jobTemplate', 'spec', 'template', 'spec'] },
  { group: 'argoproj.io', kind: 'Rollout', path: ['spec', 'template', 'spec'] },
  { group: /^(apps\.openshift\.io|)$/, kind: 'DeploymentConfig', path: ['spec', 'template', 'spec'] },
  { group: 'serving.knative.dev', kind: 'Service', path: ['spec', 'template', 'spec'] },
  { group: 'serving.knative.dev', kind: 'Configuration', path: ['spec', 'template', 'spec'] },
  { group: 'keda.sh', kind: 'ScaledJob', path: ['spec', 'jobTargetRef', 'template', 'spec'] },
];

/** Kinds that hold arbitrary data: never searched for pod templates. */
const DATA_KINDS = new Set(['ConfigMap', 'Secret', 'CustomResourceDefinition']);

/** How deep under `spec` the generic fallback looks for a pod-spec-shaped `template`. */
const FALLBACK_DEPTH = 4;

export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

function groupMatches(pattern: string | RegExp, group: string): boolean {
  return typeof pattern === 'string' ? pattern === group : pattern.test(group);
}

/** A map that looks like a pod spec: has a `containers` sequence of mappings. */
export function isPodSpec(node: YamlNode | undefined): boolean {
  const containers = get(node, 'containers');
  return containers?.kind === 'seq' && containers.items.some((item) => item.kind === 'map');
}

/** The pod specs an object runs: from the table of known kinds, else any pod-spec-shaped template. */
export function findPodSpecs(object: YamlNode, apiVersion: string, kind: string): YamlNode[] {
  if (DATA_KINDS.has(kind)) return [];
  const group = apiGroup(apiVersion);
  const known = POD_SPEC_PATHS.find((entry) => entry.kind === kind && groupMatches(entry.group, group));
  if (known) {
    const spec = getPath(object, ...known.path);
    return isPodSpec(spec) ? [spec!] : [];
  }
  if (group === '' && kind !== 'PodTemplate') return []; // other core kinds (Service, …) run no pods
  const found: YamlNode[] = [];
  searchTemplates(get(object, 'spec'), FALLBACK_DEPTH, found, new Set());
  return found;
}

function searchTemplates(node: YamlNode | undefined, depth: number, found: YamlNode[], seen: Set<YamlNode>) {
  if (!node || node.kind !== 'map' || depth < 0 || seen.has(node)) return;
  seen.add(node);
  const templateSpec = getPath(node, 'template', 'spec');
  if (isPodSpec(templateSpec)) {
    found.push(templateSpec!);
    return;
  }
  for (const key of keys(node)) searchTemplates(get(node, key), depth - 1, found, seen);
}

/** Items of a `kind: List` (or `FooList`), which kubectl applies one by one. */
export function listItems(object: YamlNode, kind: string): YamlNode[] | undefined {
  if (kind !== 'List' && !kind.endsWith('List')) return undefined;
  const list = get(object, 'items');
  return list?.kind === 'seq' ? items(list) : undefined;
}

export function objectKind(object: YamlNode): { apiVersion: string; kind: string } | undefined {
  const apiVersion = str(get(object, 'apiVersion'));
  const kind = str(get(object, 'kind'));
  return apiVersion && kind ? { apiVersion, kind } : undefined;
}
