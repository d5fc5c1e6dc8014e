import type { ResourceRef } from '../findings.js';
import type {
  ContainerField,
  ContainerImage,
  LocatedString,
  PlatformConstraint,
  PodContext,
} from './types.js';
import { get, getPath, items, str, type YamlNode, type YamlScalar } from './yaml-tree.js';

/** Turns a scalar's offsets into a located value; supplied by the file being read. */
export type Locate = (node: YamlScalar) => Omit<LocatedString, 'value'>;

const CONTAINER_FIELDS: ContainerField[] = ['containers', 'initContainers', 'ephemeralContainers'];
const ARCH_LABELS = ['kubernetes.io/arch', 'beta.kubernetes.io/arch'];

export function locatedString(node: YamlNode | undefined, locate: Locate): LocatedString | undefined {
  if (node?.kind !== 'scalar' || str(node) === undefined) return undefined;
  return { value: node.value, ...locate(node) };
}

/** `imagePullSecrets: [{name: x}]` entries, each positioned on its name. */
export function pullSecretNames(list: YamlNode | undefined, locate: Locate): LocatedString[] {
  return items(list).flatMap((entry) => locatedString(get(entry, 'name'), locate) ?? []);
}

export function podContext(
  spec: YamlNode,
  resource: ResourceRef,
  namespaceExplicit: boolean,
  locate: Locate,
) {
  const context: PodContext = {
    resource,
    namespaceExplicit,
    imagePullSecrets: pullSecretNames(get(spec, 'imagePullSecrets'), locate),
    // `serviceAccount` is the deprecated alias the API server still honours.
    serviceAccountName: str(get(spec, 'serviceAccountName')) ?? str(get(spec, 'serviceAccount')) ?? 'default',
    platforms: platformConstraint(spec, locate),
  };
  return context;
}

export function containerImages(spec: YamlNode, pod: PodContext, locate: Locate): ContainerImage[] {
  const images: ContainerImage[] = [];
  for (const field of CONTAINER_FIELDS) {
    items(get(spec, field)).forEach((container, index) => {
      const imageNode = get(container, 'image');
      if (imageNode?.kind !== 'scalar') return;
      const name = str(get(container, 'name')) ?? `${field}[${index}]`;
      const image: ContainerImage = {
        image: str(imageNode) ?? '',
        ...locate(imageNode),
        container: name,
        field,
        pod,
      };
      const policy = str(get(container, 'imagePullPolicy'));
      if (policy) image.imagePullPolicy = policy;
      images.push(image);
    });
  }
  return images;
}

/**
 * The architectures a pod may be scheduled on (§4): `nodeSelector` ANDed with required node affinity,
 * whose terms are ORed and whose expressions are ANDed.
 */
export function platformConstraint(spec: YamlNode, locate: Locate): PlatformConstraint {
  const constraint: PlatformConstraint = { architectures: null, excluded: [] };
  const selector = get(spec, 'nodeSelector');
  for (const label of ARCH_LABELS) {
    const node = get(selector, label);
    const value = str(node);
    if (value && node?.kind === 'scalar') {
      constraint.architectures = [value];
      constraint.source = locate(node);
      break;
    }
  }
  const terms = items(
    getPath(
      spec,
      'affinity',
      'nodeAffinity',
      'requiredDuringSchedulingIgnoredDuringExecution',
      'nodeSelectorTerms',
    ),
  );
  if (terms.length === 0) return constraint;

  let union: Set<string> | null = new Set();
  const excludedEverywhere: string[][] = [];
  for (const term of terms) {
    const { allowed, excluded, source } = termArchitectures(term, locate);
    excludedEverywhere.push(excluded);
    if (allowed === null) union = null;
    else if (union) for (const arch of allowed) union.add(arch);
    if (source && !constraint.source) constraint.source = source;
  }
  if (union) {
    const unionList = [...union];
    constraint.architectures = constraint.architectures
      ? constraint.architectures.filter((arch) => union!.has(arch))
      : unionList;
  }
  // An architecture is excluded only if every term excludes it (terms are alternatives).
  const [first = [], ...rest] = excludedEverywhere;
  constraint.excluded = first.filter((arch) => rest.every((other) => other.includes(arch)));
  if (constraint.architectures) {
    constraint.architectures = constraint.architectures.filter((arch) => !constraint.excluded.includes(arch));
  }
  return constraint;
}

function termArchitectures(term: YamlNode, locate: Locate) {
  let allowed: string[] | null = null;
  const excluded: string[] = [];
  let source: ReturnType<Locate> | undefined;
  for (const expression of items(get(term, 'matchExpressions'))) {
    const keyNode = get(expression, 'key');
    const key = str(keyNode);
    if (!key || !ARCH_LABELS.includes(key)) continue;
    if (keyNode?.kind === 'scalar') source ??= locate(keyNode);
    const values = items(get(expression, 'values')).flatMap((value) => str(value) ?? []);
    const operator = str(get(expression, 'operator'));
    if (operator === 'In') allowed = allowed ? allowed.filter((arch) => values.includes(arch)) : values;
    else if (operator === 'NotIn') excluded.push(...values);
  }
  if (allowed) allowed = allowed.filter((arch) => !excluded.includes(arch));
  return { allowed, excluded, source };
}
