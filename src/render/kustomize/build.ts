import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { get, parseYamlDocuments, str, type YamlMap, type YamlNode } from '../../manifests/yaml-tree.js';
import { runTool, type ToolResult } from '../process.js';

/** Builds one kustomization directory; tests may substitute their own. */
export interface KustomizeOptions {
  network: boolean;
  timeoutMs: number;
  /** The build inflates `helmCharts` (only ever with the network allowed). */
  enableHelm?: boolean;
}

export interface KustomizeRunner {
  build(directory: string, options: KustomizeOptions): Promise<ToolResult>;
}

/** `kubectl kustomize`, else a standalone `kustomize build`. */
export const DEFAULT_KUSTOMIZE_RUNNER: KustomizeRunner = {
  async build(directory, options) {
    const helm = options.enableHelm ? ['--enable-helm'] : [];
    const kubectl = await runTool('kubectl', ['kustomize', ...helm, directory], options);
    if (kubectl.ok || !kubectl.missing) return kubectl;
    const kustomize = await runTool('kustomize', ['build', ...helm, directory], options);
    if (kustomize.ok || !kustomize.missing) return kustomize;
    return { ok: false, missing: true, message: 'neither kubectl nor kustomize is installed' };
  },
};

export const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';
export const TRANSFORMATIONS_ANNOTATION = 'alpha.config.kubernetes.io/transformations';

/** kustomize's `config.kubernetes.io/origin`, with paths made absolute. */
export interface Origin {
  /** The resource file (absolute), when the object was read from one. */
  path?: string;
  /** Set when the object came from a remote base. */
  repo?: string;
  /** The kustomization (absolute) whose generator made the object. */
  configuredIn?: string;
}

export interface BuiltDocument {
  root: YamlNode;
  origin?: Origin;
}

export type BuildResult =
  { ok: true; text: string; documents: BuiltDocument[] } | { ok: false; missing: boolean; message: string };

/**
 * Builds `rootDir` through a wrapper kustomization in a temporary directory, so the user's files are
 * never touched, asking kustomize to annotate every object with where it came from. The wrapper names
 * the root by a relative path: kustomize refuses absolute paths in `resources`. Directories outside a
 * kustomization's own root are allowed by the default load restrictor (only files are restricted), so
 * the root builds exactly as `kubectl kustomize rootDir` would, with the same restrictions.
 */
export async function buildWithOrigins(
  rootDir: string,
  runner: KustomizeRunner,
  options: KustomizeOptions & { cwd: string },
): Promise<BuildResult> {
  const wrapper = await realpath(await mkdtemp(path.join(tmpdir(), 'preflight-kustomize-')));
  try {
    const realRoot = await realpath(rootDir);
    const relative = path.relative(wrapper, realRoot).split(path.sep).join('/');
    if (path.isAbsolute(relative)) {
      return {
        ok: false,
        missing: false,
        message: `cannot reach ${rootDir} from ${wrapper} by a relative path`,
      };
    }
    await writeFile(
      path.join(wrapper, 'kustomization.yaml'),
      `resources:\n  - ${JSON.stringify(relative)}\nbuildMetadata: [originAnnotations]\n`,
    );
    const result = await runner.build(wrapper, options);
    if (!result.ok) {
      const realCwd = await realpath(options.cwd).catch(() => options.cwd);
      return { ...result, message: cleanMessage(result.message, { wrapper, realRoot, cwd: realCwd }) };
    }
    const translate = await pathTranslator(wrapper, options.cwd);
    let parsed;
    try {
      parsed = parseYamlDocuments(result.stdout);
    } catch (error) {
      return {
        ok: false,
        missing: false,
        message: `kustomize wrote output that does not parse: ${(error as Error).message}`,
      };
    }
    const documents = parsed.flatMap((document): BuiltDocument[] => {
      if (!document.root) return [];
      const origin = takeOrigin(document.root, translate);
      return [origin ? { root: document.root, origin } : { root: document.root }];
    });
    return { ok: true, text: result.stdout, documents };
  } finally {
    await rm(wrapper, { recursive: true, force: true });
  }
}

/**
 * Origin paths are relative to the wrapper (not to the root), resolved through real paths; report
 * them under the working directory as the user wrote it, even when that is reached through a symlink.
 */
async function pathTranslator(wrapper: string, cwd: string): Promise<(relative: string) => string> {
  const realCwd = await realpath(cwd).catch(() => cwd);
  return (relative) => {
    const absolute = path.resolve(wrapper, relative);
    const inside = path.relative(realCwd, absolute);
    return inside.startsWith('..') || path.isAbsolute(inside) ? absolute : path.join(cwd, inside);
  };
}

/** Reads and removes the build-metadata annotations, so nothing downstream sees them. */
function takeOrigin(object: YamlNode, translate: (relative: string) => string): Origin | undefined {
  const metadata = get(object, 'metadata');
  const annotations = get(metadata, 'annotations');
  if (annotations?.kind !== 'map') return undefined;
  const written = str(get(annotations, ORIGIN_ANNOTATION));
  annotations.entries = annotations.entries.filter(
    (entry) =>
      entry.key.kind !== 'scalar' ||
      (entry.key.value !== ORIGIN_ANNOTATION && entry.key.value !== TRANSFORMATIONS_ANNOTATION),
  );
  if (annotations.entries.length === 0 && metadata?.kind === 'map') removeKey(metadata, 'annotations');
  if (written === undefined) return undefined;
  let value: unknown;
  try {
    value = load(written);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const origin: Origin = {};
  if (typeof fields.repo === 'string') origin.repo = fields.repo;
  // A remote origin's path is inside the fetched repository, not on this disk.
  if (typeof fields.path === 'string' && !origin.repo) origin.path = translate(fields.path);
  if (typeof fields.configuredIn === 'string') origin.configuredIn = translate(fields.configuredIn);
  return origin;
}

function removeKey(map: YamlMap, key: string): void {
  map.entries = map.entries.filter((entry) => entry.key.kind !== 'scalar' || entry.key.value !== key);
}

/**
 * kubectl's klog line (`E… run.go:72] "command failed" err="…"`) reduced to kustomize's message: the
 * wrapper's own layer dropped, absolute paths made relative to the working directory (only where a
 * path starts, so a relative path the user wrote stays as written), and the innermost cause first.
 */
export function cleanMessage(message: string, paths: { wrapper: string; realRoot: string; cwd: string }) {
  let text = message.trim();
  const quoted = /err="((?:[^"\\]|\\.)*)"/s.exec(text);
  const block = /err=<\s*\n([\s\S]*?)\n\s*>\s*$/.exec(text);
  if (quoted) text = quoted[1]!.replace(/\\(.)/g, '$1');
  else if (block) text = block[1]!.replace(/^\t/gm, '').trim();
  text = text.replace(/^Error: /, '');
  const layer = `recursed accumulation of path '${paths.realRoot}': `;
  const at = text.indexOf(layer);
  if (at !== -1) text = text.slice(at + layer.length);
  for (const prefix of [paths.wrapper, paths.cwd]) {
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = text.replace(
      new RegExp(`(^|['"\\s(=])${escaped}(?:${path.sep === '/' ? '/' : '\\\\'}|(?=['"\\s:)]|$))`, 'g'),
      '$1',
    );
  }
  text = text.replace(/\s+/g, ' ').trim();
  const cause = innermostCause(text);
  return cause && cause !== text ? `${cause} (kustomize: ${text})` : text;
}

/**
 * kustomize nests its errors as `context: context: cause`; the cause is the last part, with the
 * operation it failed in (`lstat base/x.yaml: no such file or directory`).
 */
function innermostCause(text: string): string | undefined {
  const parts: string[] = [];
  let quote = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "'") quote = !quote;
    else if (!quote && text.startsWith(': ', i)) {
      parts.push(text.slice(start, i));
      start = i + 2;
    }
  }
  parts.push(text.slice(start));
  const last = parts.at(-1)?.trim();
  if (!last) return undefined;
  const before = parts.at(-2)?.trim();
  return before && /^(?:lstat|stat|open|read|evalsymlink failure on)\b/.test(before)
    ? `${before}: ${last}`
    : last;
}
