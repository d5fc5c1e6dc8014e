import type { ResourceRef } from '../findings.js';
import { containerImages, podContext, type Locate } from './pod-spec.js';
import type { ContainerField, ContainerImage, PodContext } from './types.js';
import { apiGroup } from './workloads.js';
import { get, getPath, items, str, type YamlMap, type YamlNode } from './yaml-tree.js';

/**
 * Where custom resources keep their images. Each built-in entry follows the upstream schema named
 * beside it; users add others with `imagePaths` (kustomize `fieldSpecs`) in the configuration file.
 */

/** One `imagePaths` entry, in kustomize's fieldSpecs form: `path: spec/template/image`. */
export interface ImagePathSpec {
  group?: string;
  version?: string;
  kind: string;
  /** `/`-separated keys; a sequence met on the way is walked item by item, as kustomize does. */
  path: string;
}

/** One image a custom resource runs, with the node that says how its pod is set up. */
interface Site {
  /** The container-shaped map holding `image` (its name, pull policy), or the object for a bare field. */
  container: YamlNode;
  /** Where the image is written: the container's `image` key unless said otherwise. */
  imageKey: string;
  field: ContainerField;
  /** How the container is named when it has no `name:`. */
  fallbackName: string;
}

interface Workload {
  /** Pull secrets, service account and node selection: a pod-spec-shaped map (possibly synthetic). */
  pod: YamlNode | undefined;
  sites: Site[];
}

type Reader = (object: YamlNode) => Workload[];

const containersOf = (list: YamlNode | undefined, field: ContainerField, label: string): Site[] =>
  items(list).flatMap((container, index) =>
    container.kind === 'map'
      ? [{ container, imageKey: 'image', field, fallbackName: `${label}[${index}]` }]
      : [],
  );

const single = (
  container: YamlNode | undefined,
  label: string,
  field: ContainerField = 'containers',
): Site[] =>
  container?.kind === 'map' ? [{ container, imageKey: 'image', field, fallbackName: label }] : [];

/** A map made of the given entries: the pod settings a resource spreads over several places. */
function synthetic(entries: Record<string, YamlNode | undefined>): YamlMap {
  const map: YamlMap = { kind: 'map', start: 0, entries: [], merges: [] };
  for (const [key, value] of Object.entries(entries)) {
    if (value)
      map.entries.push({ key: { kind: 'scalar', value: key, start: 0, end: 0, plain: true }, value });
  }
  return map;
}

/**
 * Argo Workflows (argoproj/argo-workflows pkg/apis/workflow/v1alpha1 WorkflowSpec, Template):
 * `templates[]` with `container`, `script`, `containerSet.containers[]`, `initContainers[]`,
 * `sidecars[]`; pull secrets, service account and node selector on the WorkflowSpec (`podSpecPatch`
 * is a free-form patch and is not read).
 */
function workflowSpec(spec: YamlNode | undefined): Workload[] {
  if (!spec) return [];
  const sites: Site[] = [];
  for (const [index, template] of items(get(spec, 'templates')).entries()) {
    const name = str(get(template, 'name')) ?? `templates[${index}]`;
    sites.push(
      ...single(get(template, 'container'), name),
      ...single(get(template, 'script'), name),
      ...containersOf(getPath(template, 'containerSet', 'containers'), 'containers', `${name}.containerSet`),
      ...containersOf(get(template, 'initContainers'), 'initContainers', `${name}.initContainers`),
      ...containersOf(get(template, 'sidecars'), 'containers', `${name}.sidecars`),
    );
  }
  return [{ pod: spec, sites }];
}

/**
 * Tekton (tektoncd/pipeline pkg/apis/pipeline/v1 TaskSpec, PipelineSpec, PipelineRun, TaskRun):
 * `steps[]`, `sidecars[]` and `stepTemplate.image`, in a Task or embedded as `taskSpec` in a
 * Pipeline's `tasks[]`/`finally[]`, a PipelineRun's `pipelineSpec` or a TaskRun's `taskSpec`.
 */
function taskSpec(spec: YamlNode | undefined, label: string): Site[] {
  if (!spec) return [];
  const template = get(spec, 'stepTemplate');
  const sites = [
    ...containersOf(get(spec, 'steps'), 'containers', `${label}steps`),
    ...containersOf(get(spec, 'sidecars'), 'containers', `${label}sidecars`),
  ];
  if (get(template, 'image')) sites.push(...single(template, `${label}stepTemplate`));
  return sites;
}

function pipelineSpec(spec: YamlNode | undefined, label = ''): Site[] {
  const sites: Site[] = [];
  for (const key of ['tasks', 'finally']) {
    for (const [index, task] of items(get(spec, key)).entries()) {
      const name = str(get(task, 'name')) ?? `${key}[${index}]`;
      // Tekton v1 `taskSpec` is the embedded TaskSpec itself; v1beta1 allows `taskSpec.spec` for custom tasks.
      sites.push(...taskSpec(get(task, 'taskSpec'), `${label}${name}.`));
    }
  }
  return sites;
}

/** A run's pod template: `podTemplate` (TaskRun, v1beta1 PipelineRun) or `taskRunTemplate.podTemplate` (v1). */
function tektonRunPod(spec: YamlNode | undefined): YamlNode {
  const template = get(spec, 'podTemplate') ?? getPath(spec, 'taskRunTemplate', 'podTemplate');
  return synthetic({
    imagePullSecrets: get(template, 'imagePullSecrets'),
    nodeSelector: get(template, 'nodeSelector'),
    affinity: get(template, 'affinity'),
    serviceAccountName:
      get(spec, 'serviceAccountName') ?? getPath(spec, 'taskRunTemplate', 'serviceAccountName'),
  });
}

/**
 * Prometheus Operator (prometheus-operator/prometheus-operator pkg/apis/monitoring/v1): `image`,
 * `containers[]`, `initContainers[]`, with `imagePullSecrets` and `serviceAccountName` on the spec.
 * `containers` entries without `image` patch the operator's own containers and are skipped.
 */
function monitoringSpec(object: YamlNode): Workload[] {
  const spec = get(object, 'spec');
  if (!spec) return [];
  return [
    {
      pod: spec,
      sites: [
        ...(get(spec, 'image')
          ? [{ container: spec, imageKey: 'image', field: 'containers' as const, fallbackName: 'main' }]
          : []),
        ...containersOf(get(spec, 'containers'), 'containers', 'containers'),
        ...containersOf(get(spec, 'initContainers'), 'initContainers', 'initContainers'),
      ],
    },
  ];
}

/** Strimzi (strimzi/strimzi-kafka-operator api/): a component's `image`, pull secrets in `template.pod`. */
function strimziComponents(object: YamlNode, components: string[]): Workload[] {
  const spec = get(object, 'spec');
  return components.flatMap((component) => {
    const node = component === '' ? spec : get(spec, component);
    if (!get(node, 'image')) return [];
    const pod = getPath(node, 'template', 'pod');
    return [
      {
        pod: synthetic({ imagePullSecrets: get(pod, 'imagePullSecrets'), affinity: get(pod, 'affinity') }),
        sites: [
          { container: node!, imageKey: 'image', field: 'containers', fallbackName: component || 'main' },
        ],
      },
    ];
  });
}

/**
 * Crossplane (crossplane/crossplane apis/pkg/v1): a Provider, Function or Configuration's `package`
 * is an OCI image the package manager pulls with `packagePullSecrets`.
 */
function crossplanePackage(object: YamlNode): Workload[] {
  const spec = get(object, 'spec');
  if (!get(spec, 'package')) return [];
  return [
    {
      pod: synthetic({ imagePullSecrets: get(spec, 'packagePullSecrets') }),
      sites: [{ container: spec!, imageKey: 'package', field: 'containers', fallbackName: 'package' }],
    },
  ];
}

const BUILT_IN: Array<{ group: string; kinds: string[]; read: Reader }> = [
  {
    group: 'argoproj.io',
    kinds: ['Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate'],
    read: (object) => workflowSpec(get(object, 'spec')),
  },
  {
    group: 'argoproj.io',
    kinds: ['CronWorkflow'],
    read: (object) => workflowSpec(getPath(object, 'spec', 'workflowSpec')),
  },
  {
    group: 'tekton.dev',
    kinds: ['Task', 'ClusterTask'],
    read: (object) => [{ pod: undefined, sites: taskSpec(get(object, 'spec'), '') }],
  },
  {
    group: 'tekton.dev',
    kinds: ['StepAction'],
    read: (object) => [{ pod: undefined, sites: single(get(object, 'spec'), 'step') }],
  },
  {
    group: 'tekton.dev',
    kinds: ['Pipeline'],
    read: (object) => [{ pod: undefined, sites: pipelineSpec(get(object, 'spec')) }],
  },
  {
    group: 'tekton.dev',
    kinds: ['PipelineRun'],
    read: (object) => {
      const spec = get(object, 'spec');
      return [{ pod: tektonRunPod(spec), sites: pipelineSpec(get(spec, 'pipelineSpec')) }];
    },
  },
  {
    group: 'tekton.dev',
    kinds: ['TaskRun'],
    read: (object) => {
      const spec = get(object, 'spec');
      return [{ pod: tektonRunPod(spec), sites: taskSpec(get(spec, 'taskSpec'), '') }];
    },
  },
  {
    group: 'monitoring.coreos.com',
    kinds: ['Prometheus', 'PrometheusAgent', 'Alertmanager', 'ThanosRuler'],
    read: monitoringSpec,
  },
  {
    group: 'kafka.strimzi.io',
    kinds: ['Kafka'],
    read: (object) => strimziComponents(object, ['kafka', 'zookeeper']),
  },
  {
    group: 'kafka.strimzi.io',
    kinds: ['KafkaConnect', 'KafkaMirrorMaker2', 'KafkaBridge'],
    read: (object) => strimziComponents(object, ['']),
  },
  {
    group: 'pkg.crossplane.io',
    kinds: ['Provider', 'Function', 'Configuration'],
    read: crossplanePackage,
  },
];

/** Whether the built-in table knows this kind: then the generic pod-template search is not used. */
export function isKnownCustomResource(apiVersion: string, kind: string): boolean {
  const group = apiGroup(apiVersion);
  return BUILT_IN.some((entry) => entry.group === group && entry.kinds.includes(kind));
}

export interface CustomResourceContext {
  resource: ResourceRef;
  namespaceExplicit: boolean;
  locate: Locate;
}

/** The images a custom resource runs: built-in locations for known kinds, then matching `imagePaths`. */
export function customResourceImages(
  object: YamlNode,
  apiVersion: string,
  kind: string,
  imagePaths: readonly ImagePathSpec[],
  context: CustomResourceContext,
): ContainerImage[] {
  const group = apiGroup(apiVersion);
  const workloads = BUILT_IN.filter((entry) => entry.group === group && entry.kinds.includes(kind)).flatMap(
    (entry) => entry.read(object),
  );
  const found: ContainerImage[] = [];
  const seen = new Set<YamlNode>();
  for (const workload of workloads) {
    const pod = podOf(workload.pod, context);
    for (const site of workload.sites) {
      const image = siteImage(site, pod, context);
      if (image && !seen.has(image.node)) {
        seen.add(image.node);
        found.push(image.image);
      }
    }
  }
  const matching = imagePaths.filter((spec) => fieldSpecMatches(spec, apiVersion, kind));
  if (matching.length > 0) {
    const pod = podOf(get(object, 'spec'), context);
    for (const spec of matching) {
      for (const { parent, key } of walkFieldSpec(object, spec.path)) {
        const image = siteImage(
          { container: parent, imageKey: key, field: 'containers', fallbackName: spec.path },
          pod,
          context,
        );
        if (image && !seen.has(image.node)) {
          seen.add(image.node);
          found.push(image.image);
        }
      }
    }
  }
  return found;
}

function podOf(node: YamlNode | undefined, context: CustomResourceContext): PodContext {
  return podContext(node ?? synthetic({}), context.resource, context.namespaceExplicit, context.locate);
}

/** One site's image through src/manifests' container reading, so names and pull policies read alike. */
function siteImage(site: Site, pod: PodContext, context: CustomResourceContext) {
  const node = get(site.container, site.imageKey);
  if (node?.kind !== 'scalar' || (str(node) ?? '') === '') return undefined;
  const wrapper = synthetic({
    [site.field]: {
      kind: 'seq',
      start: 0,
      items: [
        synthetic({
          image: node,
          name: get(site.container, 'name') ?? {
            kind: 'scalar',
            value: site.fallbackName,
            start: 0,
            end: 0,
            plain: false,
          },
          imagePullPolicy: get(site.container, 'imagePullPolicy'),
        }),
      ],
    },
  });
  const [image] = containerImages(wrapper, pod, context.locate);
  return image ? { node, image } : undefined;
}

/** kustomize's fieldSpec match: kind always, group and version when given. */
export function fieldSpecMatches(spec: ImagePathSpec, apiVersion: string, kind: string): boolean {
  if (spec.kind !== kind) return false;
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  return (
    (spec.group === undefined || spec.group === group) &&
    (spec.version === undefined || spec.version === version)
  );
}

/** How many nodes one fieldSpec walk visits at most (sequences multiply). */
const MAX_FIELD_SPEC_VISITS = 10_000;

/**
 * The maps holding the last key of `path`, walking every item of a sequence met on the way (kustomize's
 * fieldspec filter), with `[]` and `[name=value]` segment suffixes accepted as kustomize writes them.
 */
export function walkFieldSpec(object: YamlNode, path: string): Array<{ parent: YamlNode; key: string }> {
  const segments = path.split('/').filter((segment) => segment !== '');
  const found: Array<{ parent: YamlNode; key: string }> = [];
  let visits = 0;
  const walk = (node: YamlNode | undefined, index: number): void => {
    if (!node || ++visits > MAX_FIELD_SPEC_VISITS) return;
    if (node.kind === 'seq') {
      for (const item of node.items) walk(item, index);
      return;
    }
    if (node.kind !== 'map') return;
    const match = /^([^[]*)(?:\[(?:([^=\]]+)=([^\]]*))?\])?$/.exec(segments[index]!);
    const key = match?.[1] ?? segments[index]!;
    if (index === segments.length - 1) {
      if (get(node, key)) found.push({ parent: node, key });
      return;
    }
    const child = get(node, key);
    if (match?.[2] !== undefined && child?.kind === 'seq') {
      for (const item of child.items) if (str(get(item, match[2])) === match[3]) walk(item, index + 1);
      return;
    }
    walk(child, index + 1);
  };
  if (segments.length > 0) walk(object, 0);
  return found;
}
