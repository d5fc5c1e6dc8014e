import { lookup as dnsLookup } from 'node:dns/promises';
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImagePathSpec } from '../../manifests/custom-resources.js';
import type { ManifestSet } from '../../manifests/types.js';
import { isInside, reportPath } from '../../manifests/files.js';
import type { RenderResult } from '../index.js';
import { addProblem, extractRendered, type DocumentMapper } from '../remap.js';
import type { SourceFiles } from '../sources.js';
import { buildWithOrigins, type KustomizeRunner } from './build.js';
import { closure, type Kustomization, type KustomizeGraph } from './graph.js';
import { entryKey, KustomizeTracer } from './trace.js';

export interface KustomizeRenderOptions {
  cwd: string;
  defaultNamespace: string;
  /** Configuration-file `imagePaths`. */
  imagePaths?: readonly ImagePathSpec[];
  runner: KustomizeRunner;
  /** Let kustomize fetch remote bases. */
  network: boolean;
  timeoutMs: number;
  /**
   * With the network allowed: addresses kustomize must never fetch from (loopback, link-local,
   * metadata; the registry's address guard). Without it, nothing remote is fetched at all.
   */
  forbiddenAddress?: (address: string) => boolean;
  /** Resolves a host name to its addresses (tests substitute it). */
  lookup?: (host: string) => Promise<string[]>;
}

/** How a root is named in messages and the summary: its directory, relative to the working directory. */
export function rootLabel(root: Kustomization, cwd: string): string {
  return reportPath(root.dir, cwd) || '.';
}

/** Builds roots and maps their output back; one instance per scan so entry usage adds up across roots. */
export class KustomizeRenderer {
  private readonly tracer: KustomizeTracer;
  /** Kustomizations reached by a root that built, whose `images:` entries can be judged. */
  private readonly judged = new Set<Kustomization>();
  /** Kustomizations that a remote base or custom field specs make impossible to judge. */
  private readonly unjudgeable = new Set<Kustomization>();
  /** Remote entries already reported, with the roots they kept from rendering. */
  private readonly remoteReported = new Map<string, { roots: string[]; problemIndex: number }>();

  /** The scanned tree's real path. */
  private readonly root: Promise<string>;

  constructor(
    private readonly graph: KustomizeGraph,
    private readonly sources: SourceFiles,
    private readonly options: KustomizeRenderOptions,
  ) {
    this.tracer = new KustomizeTracer(graph, sources);
    this.root = realpath(options.cwd).catch(() => path.resolve(options.cwd));
  }

  /**
   * Whether the root may be built at all: nothing it reaches is fetched over the network unless
   * kustomize-remote allows it (and then never from a loopback, link-local or metadata address), and
   * nothing it reads lies outside the scanned tree or is anything but a regular file. When not, the
   * reason is a finding and kustomize never runs.
   */
  async renderable(root: Kustomization, into: ManifestSet): Promise<boolean> {
    const label = rootLabel(root, this.options.cwd);
    const reached = closure(this.graph, root.file);
    const remote = reached.flatMap((node) => node.remote);
    if (remote.length > 0 && !this.options.network) {
      for (const entry of remote) this.reportRemote(entry, label, into);
      return false;
    }
    let refused = false;
    for (const entry of remote) {
      const reason = await this.refusal(entry.url);
      if (reason === undefined) continue;
      refused = true;
      addProblem(into, {
        kind: 'kustomize-remote-base',
        ...entry.location,
        message: `${entry.what} was refused (${reason}), so ${label} was not rendered and its images were not checked.`,
      });
    }
    if (refused) return false;
    const escape = await outsideTree(reached, this.root);
    if (escape) {
      addProblem(into, {
        kind: escape.kind,
        ...escape.node.anchor,
        message: `${label} was not rendered and its images were not checked: ${reportPath(escape.path, this.options.cwd)} ${escape.why}.`,
      });
      return false;
    }
    return true;
  }

  /** Why kustomize may not fetch `url`, or undefined when it may. */
  private async refusal(url: string): Promise<string | undefined> {
    const host = remoteHost(url);
    if (host === undefined) return `cannot tell which host it names`;
    const forbidden = this.options.forbiddenAddress;
    if (!forbidden) return 'no address guard is configured for remote fetches';
    if (forbidden(host)) return `${host} is a loopback, link-local or metadata address`;
    const lookup = this.options.lookup ?? defaultLookup;
    const addresses = await lookup(host).catch(() => []);
    const bad = addresses.find((address) => forbidden(address));
    return bad ? `${host} resolves to ${bad}, a loopback, link-local or metadata address` : undefined;
  }

  /** Checks and renders one root into `into`; false when it was not rendered (the reason is in `into`). */
  async render(root: Kustomization, into: ManifestSet): Promise<boolean> {
    return (await this.renderable(root, into)) && (await this.build(root, into)) === 'rendered';
  }

  /**
   * Renders a root `renderable` accepted into `into`; `failed` when kustomize fails, `skipped` when
   * it is not installed (the reason is a problem in `into`).
   */
  async build(root: Kustomization, into: ManifestSet): Promise<RenderResult> {
    const label = rootLabel(root, this.options.cwd);
    const reached = closure(this.graph, root.file);
    const remote = reached.flatMap((node) => node.remote);
    const built = await buildWithOrigins(root.dir, this.options.runner, {
      network: this.options.network,
      enableHelm: reached.some((node) => node.usesHelmCharts),
      timeoutMs: this.options.timeoutMs,
      cwd: this.options.cwd,
    });
    if (!built.ok) {
      addProblem(
        into,
        built.missing
          ? {
              kind: 'render-tool-missing',
              ...root.anchor,
              message: `${label} was not rendered and its images were not checked: neither kubectl nor kustomize is installed. Install kubectl before this step (it is preinstalled on GitHub's hosted runners).`,
            }
          : {
              kind: 'kustomize-render-error',
              ...root.anchor,
              message: `kubectl kustomize ${label} fails: ${built.message}`,
            },
      );
      return built.missing ? 'skipped' : 'failed';
    }
    const custom = reached.some((node) => node.customFieldSpecs) || remote.length > 0;
    for (const node of reached) (custom ? this.unjudgeable : this.judged).add(node);
    for (const document of built.documents) {
      const mapper: DocumentMapper = {
        image: (image) => this.tracer.trace(root, document.origin, image),
        value: async (value) =>
          value === '' ? root.anchor : this.tracer.locateValue(root, document.origin, value),
      };
      await extractRendered(
        document.root,
        built.text,
        label,
        mapper,
        this.options.defaultNamespace,
        into,
        this.options.imagePaths,
      );
    }
    return 'rendered';
  }

  /** After every root: `images:` entries that matched no container in any build that reached them. */
  reportUnused(into: ManifestSet): void {
    for (const node of [...this.judged].sort((a, b) => a.file.localeCompare(b.file))) {
      if (this.unjudgeable.has(node)) continue;
      for (const entry of node.images) {
        if (this.tracer.used.has(entryKey(node, entry))) continue;
        const set = (['newName', 'newTag', 'digest'] as const)
          .filter((field) => entry[field] !== undefined)
          .map((field) => `${field} ${entry[field]}`);
        addProblem(into, {
          kind: 'kustomize-image-unused',
          ...node.source.locate(entry.nodes.name!),
          message: `images entry "${entry.name}" matches no container image in the build of ${rootLabel(node, this.options.cwd)}: kustomize ignores it silently${set.length ? `, so its ${set.join(', ')} is never applied` : ''}.`,
        });
      }
    }
  }

  private reportRemote(entry: Kustomization['remote'][number], root: string, into: ManifestSet): void {
    const key = `${entry.location.file}:${entry.location.line}:${entry.location.column}`;
    const reported = this.remoteReported.get(key);
    const roots = reported ? [...reported.roots, root] : [root];
    const message = `${entry.what} was not fetched (no network; set kustomize-remote: true to allow it), so ${roots.join(', ')} ${roots.length > 1 ? 'were' : 'was'} not rendered and ${roots.length > 1 ? 'their' : 'its'} images were not checked.`;
    if (reported) {
      into.problems[reported.problemIndex]!.message = message;
      reported.roots.push(root);
      return;
    }
    this.remoteReported.set(key, { roots, problemIndex: into.problems.length });
    into.problems.push({ kind: 'kustomize-remote-base', ...entry.location, message });
  }
}

async function defaultLookup(host: string): Promise<string[]> {
  return (await dnsLookup(host, { all: true })).map((entry) => entry.address);
}

/** The host a remote reference names: a URL's, `git@host:…`, or `github.com/org/repo//…`'s first segment. */
export function remoteHost(url: string): string | undefined {
  const scp = /^[\w.-]+@([^:/]+):/.exec(url);
  if (scp) return scp[1]!.toLowerCase();
  try {
    const parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`);
    return parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The first directory or file a root's build reads that is outside the scanned tree (through a
 * symbolic link) or is not a regular file (a FIFO, a device): kustomize would read it as it is.
 * Paths that do not exist are left to kustomize, which reports them.
 */
async function outsideTree(
  reached: Kustomization[],
  root: Promise<string>,
): Promise<
  { node: Kustomization; path: string; why: string; kind: 'symlink-outside' | 'unreadable' } | undefined
> {
  const tree = await root;
  for (const node of reached) {
    for (const [file, directory] of [
      [node.dir, true],
      [node.file, false],
      ...node.files.map((file) => [file, false] as const),
    ] as const) {
      if (!(await lstat(file).catch(() => undefined))) continue;
      const real = await realpath(file).catch(() => undefined);
      if (real === undefined) continue;
      if (!isInside(tree, real))
        return {
          node,
          path: file,
          why: 'leads out of the scanned tree through a symbolic link; not followed',
          kind: 'symlink-outside',
        };
      const info = await stat(real).catch(() => undefined);
      if (!directory && info && !info.isFile() && !info.isDirectory())
        return {
          node,
          path: file,
          why: 'is not a regular file (a FIFO, device or socket); not read',
          kind: 'unreadable',
        };
    }
  }
  return undefined;
}
