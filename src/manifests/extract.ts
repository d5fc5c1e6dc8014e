import { customResourceImages, isKnownCustomResource, type ImagePathSpec } from './custom-resources.js';
import { LineIndex } from './positions.js';
import { containerImages, locatedString, podContext, pullSecretNames, type Locate } from './pod-spec.js';
import { decodeDataValue, PULL_SECRET_KEYS, pullSecretCredentials } from './pull-secrets.js';
import type { ManifestProblem, ManifestSet, PullSecretManifest, SuppressionComment } from './types.js';
import { findPodSpecs, listItems, objectKind } from './workloads.js';
import {
  DEFAULT_YAML_LIMITS,
  get,
  yamlDocuments,
  str,
  YamlStructureError,
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
}

/** A Helm/Go template action: such a file must be rendered before anything in it is meaningful. */
const TEMPLATE_ACTION =
  /\{\{-?\s*(?:\.|\$|include\b|template\b|if\b|range\b|with\b|define\b|end\b|toYaml\b|tpl\b|-)/;

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

/** Extracts images, service accounts and pull secrets from one file's text. */
export function extractFromText(file: string, rawText: string, options: ExtractOptions, into: ManifestSet) {
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const lines = new LineIndex(text);
  const problem = (kind: ManifestProblem['kind'], offset: number, message: string) =>
    into.problems.push({ kind, file, ...lines.range(offset, offset), message });

  into.suppressions.push(...suppressionComments(file, text));
  const template = TEMPLATE_ACTION.exec(text);
  if (template) {
    problem(
      'template',
      template.index,
      'this file is a Helm/Go template ({{ … }}); render it first (helm template …) and scan the output',
    );
    return;
  }

  // Each document is read as soon as it is parsed; what a file yields is kept only if all of it
  // parses, as kubectl applies all of a file or none of it.
  const scratch = emptyManifestSet();
  try {
    readDocuments(
      file,
      text,
      lines,
      yamlDocuments(text, options.limits ?? DEFAULT_YAML_LIMITS),
      options,
      scratch,
    );
  } catch (error) {
    const { offset, message } = describeParseError(error);
    problem('parse-error', offset, message);
    return;
  }
  appendManifestSet(into, scratch);
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
  readDocuments(file, text, new LineIndex(text), documents, options, into);
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

function describeParseError(error: unknown): { offset: number; message: string } {
  if (error instanceof YamlStructureError) return { offset: error.offset, message: error.message };
  const mark = (error as { mark?: { position?: number } }).mark;
  const reason = (error as { reason?: string }).reason ?? (error as Error).message ?? String(error);
  return { offset: mark?.position ?? 0, message: `invalid YAML: ${reason}` };
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
    const name = str(get(metadata, 'name')) ?? '';
    const writtenNamespace = str(get(metadata, 'namespace'));
    const namespace = writtenNamespace ?? this.options.defaultNamespace;
    const anchor = get(metadata, 'name') ?? get(object, 'kind');

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
    this.into.images.push(
      ...customResourceImages(object, type.apiVersion, type.kind, this.options.imagePaths ?? [], custom),
    );
    if (isKnownCustomResource(type.apiVersion, type.kind)) return;
    for (const spec of findPodSpecs(object, type.apiVersion, type.kind)) {
      const pod = podContext(spec, resource, writtenNamespace !== undefined, this.locate);
      this.into.images.push(...containerImages(spec, pod, this.locate));
    }
  }

  private position(node: YamlNode | undefined) {
    if (node?.kind === 'scalar') return this.locate(node);
    return { file: this.file, line: 1, column: 1, endLine: 1, endColumn: 1 };
  }

  private readSecret(object: YamlNode, name: string, namespace: string, anchor: YamlNode | undefined) {
    const type = str(get(object, 'type'));
    if (type !== 'kubernetes.io/dockerconfigjson' && type !== 'kubernetes.io/dockercfg') return;
    const key = PULL_SECRET_KEYS[type];
    // stringData is merged over data by the API server.
    const stringValue = get(get(object, 'stringData'), key);
    const dataValue = get(get(object, 'data'), key);
    const valueNode = stringValue ?? dataValue;
    const secret: PullSecretManifest = {
      name,
      namespace,
      type,
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
