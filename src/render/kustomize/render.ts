import type { ImagePathSpec } from '../../manifests/custom-resources.js';
import type { ManifestSet } from '../../manifests/types.js';
import { reportPath } from '../../manifests/files.js';
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

  constructor(
    private readonly graph: KustomizeGraph,
    private readonly sources: SourceFiles,
    private readonly options: KustomizeRenderOptions,
  ) {
    this.tracer = new KustomizeTracer(graph, sources);
  }

  /** Renders one root into `into`; false when it was not rendered (its reason is a problem in `into`). */
  async render(root: Kustomization, into: ManifestSet): Promise<boolean> {
    const label = rootLabel(root, this.options.cwd);
    const reached = closure(this.graph, root.file);
    const remote = reached.flatMap((node) => node.remote);
    if (remote.length > 0 && !this.options.network) {
      for (const entry of remote) this.reportRemote(entry, label, into);
      return false;
    }
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
      return false;
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
    return true;
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
