import { customResourceImages, isKnownCustomResource, type ImagePathSpec } from './custom-resources.js';
import type { SourceLocation } from '../findings.js';
import { LineIndex } from './positions.js';
import { containerImages, locatedString, podContext, pullSecretNames, type Locate } from './pod-spec.js';
import {
  decodeDataValue,
  isPullSecretType,
  PULL_SECRET_KEYS,
  pullSecretCredentials,
} from './pull-secrets.js';
import type { ManifestProblem, ManifestSet, PullSecretManifest, SuppressionComment } from './types.js';
import { findPodSpecs, listItems, objectKind } from './workloads.js';
import {
  DEFAULT_YAML_LIMITS,
  get,
  yamlStream,
  str,
  type YamlDocument,
  type YamlLimits,
  type YamlNode,
  type YamlScalar,
} from './yaml-tree.js';

export interface ExtractOptions {
  /** Namespace of objects whose manifest names none (kubectl's `-n`). */
  defaultNamespace: string;
  limits?: YamlLimits;
  /** Extra image locations in custom resources (configuration file `imagePaths`). */
  imagePaths?: readonly ImagePathSpec[];
  /**
   * Where the file sits in a Helm chart: `templates` (every document is a template, whatever it
   * looks like) or `tests` (helm-unittest suites: not manifests, so a parse error is only a notice).
   */
  chartRole?: 'templates' | 'tests';
}

/** A Helm/Go template action: such a file must be rendered before anything in it is meaningful. */
const TEMPLATE_ACTION =
  /\{\{-?\s*(?:\.|\$|include\b|template\b|if\b|range\b|with\b|define\b|end\b|toYaml\b|tpl\b|-)/;

/** Any template placeholder: `{{ .Values.x }}`, `{{cell}}`. */
const PLACEHOLDER = /\{\{.*?\}\}/;

/** A key that makes a document a Kubernetes object; a part without one that does not parse is not a manifest. */
const OBJECT_KEY = /^\s*["']?(?:apiVersion|kind)["']?\s*:/m;

/** How far the `kind: List` nesting is followed. */
const MAX_LIST_DEPTH = 8;

export function emptyManifestSet(): ManifestSet {
  return { images: [], suppressions: [], serviceAccounts: [], pullSecrets: [], problems: [], files: [] };
}

/** Appends everything `from` holds to `into`, field by field. */
export function appendManifestSet(into: ManifestSet, from: ManifestSet): ManifestSet {
  into.images.push(...from.images);
  into.suppressions.push(...from.suppressions);
  into.serviceAccounts.push(...from.serviceAccounts);
  into.pullSecrets.push(...from.pullSecrets);
  into.problems.push(...from.problems);
  into.files.push(...from.files);
  return into;
}

/**
 * Extracts images, service accounts and pull secrets from one file's text. The file is split into
 * documents as kubectl splits it; each document stands alone, so a broken or templated one is
 * reported where it is and every other document is still checked.
 */
export function extractFromText(file: string, rawText: string, options: ExtractOptions, into: ManifestSet) {
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const lines = new LineIndex(text);
  const problem = (kind: ManifestProblem['kind'], offset: number, message: string) =>
    into.problems.push({ kind, file, ...lines.range(offset, offset), message });

  into.suppressions.push(...suppressionComments(file, text));
  if (options.chartRole === 'templates') {
    const template = /\{\{/.exec(text);
    problem(
      'template',
      template?.index ?? 0,
      'this file is a Helm chart template; render the chart (helm template …) and scan the output',
    );
    return;
  }
  const locate: Locate = (node: YamlScalar) => ({ file, ...lines.range(node.start, trimEnd(text, node)) });
  const reader = new ObjectReader(file, options, locate, into);
  for (const item of yamlStream(text, options.limits ?? DEFAULT_YAML_LIMITS)) {
    const part = text.slice(item.start, item.end);
    if ('error' in item) {
      const template = TEMPLATE_ACTION.exec(part) ?? /\{\{/.exec(part);
      if (template) problem('template', item.start + template.index, TEMPLATE_MESSAGE);
      else if (
        options.chartRole === 'tests' ||
        (!OBJECT_KEY.test(part) && !LIMIT_ERROR.test(item.error.message))
      )
        problem(
          'not-manifest',
          item.error.offset,
          `not a Kubernetes manifest (no apiVersion or kind) and not YAML that kubectl reads (${item.error.message.replace(/^invalid YAML: /, '')}); skipped`,
        );
      else problem('parse-error', item.error.offset, item.error.message);
      continue;
    }
    if (!item.root) continue;
    const structural = templateInStructure(text, item.start, item.end, item.root);
    if (structural !== undefined) {
      problem('template', structural, TEMPLATE_MESSAGE);
      continue;
    }
    for (const duplicate of item.duplicates ?? []) {
      const first = lines.position(duplicate.firstOffset);
      problem(
        'duplicate-key',
        duplicate.offset,
        `key "${duplicate.key}" is set twice in this mapping (first on line ${first.line}): kubectl apply -f keeps this later value without a word (its decoder, sigs.k8s.io/yaml, is not strict), while kubectl kustomize refuses the file ("mapping key already defined"). This check uses the later value.`,
      );
    }
    reader.read(item.root, 0);
  }
}

const TEMPLATE_MESSAGE =
  'this document is a Helm/Go template ({{ … }}); render it first (helm template …) and scan the output';

/** Errors from the parser's own bounds (depth, aliases): hostile input, never "just not a manifest". */
const LIMIT_ERROR = /maxDepth|alias/;

/**
 * The offset of the first `{{` that stands where YAML structure is (not inside a scalar, not in a
 * comment): there the text is a template. `{{ $labels.instance }}` inside a string is data.
 */
function templateInStructure(text: string, start: number, end: number, root: YamlNode): number | undefined {
  const part = text.slice(start, end);
  if (!part.includes('{{')) return undefined;
  const ranges = scalarRanges(root);
  for (let at = part.indexOf('{{'); at !== -1; at = part.indexOf('{{', at + 2)) {
    const offset = start + at;
    if (ranges.some(([from, to]) => offset >= from && offset < to)) continue;
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    if (/(?:^|\s)#/.test(text.slice(lineStart, offset))) continue; // a comment
    return offset;
  }
  return undefined;
}

/** `[start, end)` of every scalar token in a tree, keys included, sorted by start. */
function scalarRanges(root: YamlNode): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const seen = new Set<YamlNode>();
  const stack: YamlNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    if (node.kind === 'scalar') ranges.push([node.start, node.end]);
    else if (node.kind === 'seq') stack.push(...node.items);
    else {
      for (const entry of node.entries) stack.push(entry.key, entry.value);
      stack.push(...node.merges);
    }
  }
  return ranges;
}

/**
 * Extracts from documents already parsed from `text`, with no template check and no suppression
 * comments: for rendered output (kustomize, helm), whose positions the caller maps back to sources.
 */
export function extractFromDocuments(
  file: string,
  text: string,
  documents: YamlDocument[],
  options: ExtractOptions,
  into: ManifestSet,
): void {
  readDocuments(file, text, lineIndexOf(text), documents, options, into);
}

/**
 * Renderers extract their output one document at a time from the same text: index its lines once,
 * not once per document (that was most of a large root's render time).
 */
let lastIndexed: { text: string; lines: LineIndex } | undefined;
function lineIndexOf(text: string): LineIndex {
  if (lastIndexed?.text !== text) lastIndexed = { text, lines: new LineIndex(text) };
  return lastIndexed.lines;
}

function readDocuments(
  file: string,
  text: string,
  lines: LineIndex,
  documents: Iterable<YamlDocument>,
  options: ExtractOptions,
  into: ManifestSet,
): void {
  const locate: Locate = (node: YamlScalar) => ({ file, ...lines.range(node.start, trimEnd(text, node)) });
  const reader = new ObjectReader(file, options, locate, into);
  for (const document of documents) if (document.root) reader.read(document.root, 0);
}

const SUPPRESSION = /#\s*imagepull-preflight:\s*ignore(?:\[([^\]]*)\])?(.*)$/;

/** Suppression comments, found line by line: they are comments, so js-yaml's events do not carry them. */
export function suppressionComments(file: string, text: string): SuppressionComment[] {
  const found: SuppressionComment[] = [];
  text.split('\n').forEach((content, index) => {
    const match = SUPPRESSION.exec(content);
    if (!match) return;
    const rules = (match[1] ?? '')
      .split(',')
      .map((rule) => rule.trim())
      .filter(Boolean);
    found.push({ file, line: index + 1, rules, reason: match[2]!.trim() });
  });
  return found;
}

/** Block scalars end after their newline; a range should end on the last character written. */
function trimEnd(text: string, node: YamlScalar): number {
  let end = node.end;
  while (end > node.start && /[\r\n]/.test(text[end - 1]!)) end--;
  return end;
}

class ObjectReader {
  constructor(
    private readonly file: string,
    private readonly options: ExtractOptions,
    private readonly locate: Locate,
    private readonly into: ManifestSet,
  ) {}

  read(object: YamlNode, depth: number): void {
    const type = objectKind(object);
    if (!type) return; // not a Kubernetes object: compose files, workflows, values files…
    const list = listItems(object, type.kind);
    if (list) {
      if (depth < MAX_LIST_DEPTH) for (const item of list) this.read(item, depth + 1);
      return;
    }
    const metadata = get(object, 'metadata');
    // An object named by the API server (`generateName: job-`) is shown by its prefix.
    const name = str(get(metadata, 'name')) ?? str(get(metadata, 'generateName')) ?? '';
    const writtenNamespace = str(get(metadata, 'namespace'));
    const namespace = writtenNamespace ?? this.options.defaultNamespace;
    const anchor = get(metadata, 'name') ?? get(metadata, 'generateName') ?? get(object, 'kind');

    if (type.kind === 'ServiceAccount' && type.apiVersion === 'v1') {
      this.into.serviceAccounts.push({
        name,
        namespace,
        imagePullSecrets: pullSecretNames(get(object, 'imagePullSecrets'), this.locate),
        ...this.position(anchor),
      });
      return;
    }
    if (type.kind === 'Secret' && type.apiVersion === 'v1') {
      this.readSecret(object, name, namespace, anchor);
      return;
    }
    const resource = { kind: type.kind, name, namespace };
    const custom = { resource, namespaceExplicit: writtenNamespace !== undefined, locate: this.locate };
    const images = customResourceImages(
      object,
      type.apiVersion,
      type.kind,
      this.options.imagePaths ?? [],
      custom,
    );
    if (!isKnownCustomResource(type.apiVersion, type.kind)) {
      for (const spec of findPodSpecs(object, type.apiVersion, type.kind)) {
        const pod = podContext(spec, resource, writtenNamespace !== undefined, this.locate);
        images.push(...containerImages(spec, pod, this.locate));
      }
    }
    // `etcd-{{cell}}`: a placeholder some tool fills in; nothing written here is what would be pulled.
    const nameNode = get(metadata, 'name');
    const placeholder =
      nameNode?.kind === 'scalar' && PLACEHOLDER.test(nameNode.value)
        ? { where: `its name "${name}"`, at: this.locate(nameNode) }
        : images
            .filter((image) => PLACEHOLDER.test(image.image))
            .map((image) => ({ where: `image "${image.image}"`, at: image as SourceLocation }))[0];
    if (placeholder) {
      const { file, line, column, endLine, endColumn } = placeholder.at;
      this.into.problems.push({
        kind: 'template',
        file,
        line,
        column,
        endLine,
        endColumn,
        message: `this ${type.kind} is a template: ${placeholder.where} holds a placeholder ({{ … }}) that some tool fills in before it is applied, so its images were not checked as written; scan the rendered output`,
        resource,
      });
      return;
    }
    this.into.images.push(...images);
  }

  private position(node: YamlNode | undefined) {
    if (node?.kind === 'scalar') return this.locate(node);
    return { file: this.file, line: 1, column: 1, endLine: 1, endColumn: 1 };
  }

  private readSecret(object: YamlNode, name: string, namespace: string, anchor: YamlNode | undefined) {
    const typeNode = get(object, 'type');
    const type = str(typeNode) || 'Opaque';
    const typeAt = typeNode?.kind === 'scalar' ? { typeAt: this.locate(typeNode) } : {};
    if (!isPullSecretType(type)) {
      // The kubelet ignores it; kept so a pod naming it is told why its pull goes anonymous.
      const holds = (['.dockerconfigjson', '.dockercfg'] as const).find(
        (key) => get(get(object, 'stringData'), key) ?? get(get(object, 'data'), key),
      );
      const secret = { name, namespace, type, ...typeAt, credentials: [], ...this.position(anchor) };
      this.into.pullSecrets.push(holds ? { ...secret, holds } : secret);
      return;
    }
    const key = PULL_SECRET_KEYS[type];
    // stringData is merged over data by the API server.
    const stringValue = get(get(object, 'stringData'), key);
    const dataValue = get(get(object, 'data'), key);
    const valueNode = stringValue ?? dataValue;
    const secret: PullSecretManifest = {
      name,
      namespace,
      type,
      ...typeAt,
      credentials: [],
      ...this.position(valueNode?.kind === 'scalar' ? valueNode : anchor),
    };
    const raw = locatedString(valueNode, this.locate)?.value;
    const json = raw === undefined ? undefined : stringValue ? raw : decodeDataValue(raw);
    if (raw === undefined) secret.problem = `it has no ${key} key in data or stringData`;
    else if (json === undefined) secret.problem = `its ${key} value in data is not valid base64`;
    else {
      const decoded = pullSecretCredentials(type, json);
      if ('problem' in decoded) secret.problem = decoded.problem;
      else secret.credentials = decoded.credentials;
    }
    this.into.pullSecrets.push(secret);
    if (secret.problem) {
      this.into.problems.push({
        kind: 'secret-invalid',
        file: secret.file,
        line: secret.line,
        column: secret.column,
        endLine: secret.endLine,
        endColumn: secret.endColumn,
        message: `pull secret "${name}" cannot be used: ${secret.problem}`,
        resource: { kind: 'Secret', name, namespace },
      });
    }
  }
}
