import path from 'node:path';
import type { SourceLocation } from '../../findings.js';
import type { ContainerImage, RenderMapping } from '../../manifests/types.js';
import { get, items, type YamlScalar } from '../../manifests/yaml-tree.js';
import { scalarsWithValue, textOccurrences, type SourceFile, type SourceFiles } from '../sources.js';
import type { Origin } from './build.js';
import { closure, type ImagesEntry, type Kustomization, type KustomizeGraph } from './graph.js';
import { applyOverride, isImageMatched, splitImage } from './image-tag.js';

/** Where a rendered value should be edited, and how that was worked out. */
export interface Traced {
  location: SourceLocation;
  mapping: RenderMapping;
  /** For the finding's message: `set by overlays/prod/kustomization.yaml newTag`. */
  via: string;
}

/** Who last wrote the value while replaying the chain. */
type Producer =
  | { kind: 'origin'; location: SourceLocation }
  | { kind: 'entry'; owner: Kustomization; entry: ImagesEntry }
  | { kind: 'patch'; location: SourceLocation };

/** How deep component nesting is followed. */
const MAX_COMPONENT_DEPTH = 16;

/**
 * Maps containers of one root's output back to the line to edit, most exact first: the origin file
 * writing that very image (exact); the `images:` entry that produced it, found by replaying the
 * chain of kustomizations with kustomize's own matching (derived); a unique text match in the
 * chain's patches (heuristic); else the root kustomization (root). Records which `images:` entries
 * matched anything, for the unused-entry warning.
 */
export class KustomizeTracer {
  /** `file#index` of every `images:` entry that matched a container. */
  readonly used = new Set<string>();

  constructor(
    private readonly graph: KustomizeGraph,
    private readonly sources: SourceFiles,
  ) {}

  rootTrace(root: Kustomization): Traced {
    return {
      location: root.anchor,
      mapping: 'root',
      via: `traced no further than ${root.source.file}`,
    };
  }

  async trace(root: Kustomization, origin: Origin | undefined, image: ContainerImage): Promise<Traced> {
    const originFile = origin?.path;
    const steps = this.steps(root, originFile);
    const written = originFile ? await this.writtenIn(originFile, image) : undefined;

    let value = written?.image;
    let producer: Producer | undefined = written ? { kind: 'origin', location: written } : undefined;
    for (const step of steps) {
      const patched = await this.patched(step, image);
      if (patched) {
        value = patched.image;
        producer = { kind: 'patch', location: patched };
      }
      if (value === undefined) continue;
      for (const entry of step.images) {
        const next = applyOverride(value, entry);
        if (next === undefined) continue;
        this.used.add(entryKey(step, entry));
        value = next;
        producer = { kind: 'entry', owner: step, entry };
      }
    }

    if (value === image.image && producer) return this.fromProducer(producer);
    // The replay did not reproduce the value (a JSON 6902 patch, replacements, a remote base): any
    // entry that could have matched counts as used, and the position is looked for in the text.
    const reached = this.reaches(root, originFile) ? steps : closure(this.graph, root.file);
    this.markPlausible(reached, image, written?.image);
    if (written?.image === image.image) return this.fromProducer({ kind: 'origin', location: written });
    const found = await this.textMatch(steps, image.image);
    return found ?? this.rootTrace(root);
  }

  /** Whether the graph knows which kustomization lists `originFile` under this root. */
  private reaches(root: Kustomization, originFile: string | undefined): boolean {
    return (
      originFile !== undefined &&
      this.chain(root, originFile).some((link) => link.node.resourceFiles.includes(originFile))
    );
  }

  /** A non-image value (a pull secret's name, a node selector): where the origin file writes it. */
  async locateValue(root: Kustomization, origin: Origin | undefined, value: string): Promise<SourceLocation> {
    const source = origin?.path ? await this.sources.get(origin.path) : undefined;
    const found = source ? scalarsWithValue(source, value) : [];
    if (found.length === 1) return source!.locate(found[0]!);
    const generator = origin?.configuredIn ? this.graph.nodes.get(origin.configuredIn) : undefined;
    const name = generator ? generatorName(generator, value) : undefined;
    return name ? generator!.source.locate(name) : root.anchor;
  }

  /**
   * The kustomizations whose transformers apply to an object read from `originFile`, innermost first:
   * the kustomization listing the file, then each one up to the root. At every level the components
   * run before the kustomization's own patches and images (kustomize's accumulateTarget order), and a
   * component's own objects see only the components listed after it.
   */
  steps(root: Kustomization, originFile: string | undefined): Kustomization[] {
    const chain = this.chain(root, originFile);
    const steps: Kustomization[] = [];
    const expand = (node: Kustomization, from: number, depth: number) => {
      if (depth > MAX_COMPONENT_DEPTH) return;
      for (const edge of node.children) {
        if (edge.kind !== 'component' || edge.index < from) continue;
        const component = this.graph.nodes.get(edge.target);
        if (component) expand(component, 0, depth + 1);
      }
      steps.push(node);
    };
    expand(chain[0]!.node, 0, 0);
    for (let i = 1; i < chain.length; i++) {
      const via = chain[i - 1]!.via;
      expand(chain[i]!.node, via?.kind === 'component' ? via.index + 1 : 0, 0);
    }
    return steps;
  }

  /** Breadth-first from the root to a kustomization listing `originFile`; innermost first. */
  private chain(root: Kustomization, originFile: string | undefined) {
    type Link = { node: Kustomization; via?: { kind: string; index: number }; parent?: Link };
    const start: Link = { node: root };
    const seen = new Set([root.file]);
    const queue = [start];
    let found: Link = start;
    for (let i = 0; i < queue.length; i++) {
      const link = queue[i]!;
      if (originFile && link.node.resourceFiles.includes(originFile)) {
        found = link;
        break;
      }
      for (const edge of link.node.children) {
        const child = this.graph.nodes.get(edge.target);
        if (!child || seen.has(edge.target) || edge.kind === 'generator') continue;
        seen.add(edge.target);
        queue.push({ node: child, via: edge, parent: link });
      }
    }
    const chain: Array<{ node: Kustomization; via?: { kind: string; index: number } }> = [];
    for (let link: Link | undefined = found; link; link = link.parent) {
      chain.push(link.via ? { node: link.node, via: link.via } : { node: link.node });
    }
    return chain;
  }

  /** The same container as the origin file writes it (kind and container name; names may be prefixed). */
  private async writtenIn(file: string, image: ContainerImage): Promise<ContainerImage | undefined> {
    const source = await this.sources.get(file);
    return source ? sameContainer(this.sources.containerImages(source), image) : undefined;
  }

  /** The last of a kustomization's patch files that sets this container's image. */
  private async patched(step: Kustomization, image: ContainerImage): Promise<ContainerImage | undefined> {
    let last: ContainerImage | undefined;
    for (const file of step.patchFiles) {
      const source = await this.sources.get(file);
      const found = source ? sameContainer(this.sources.containerImages(source), image) : undefined;
      if (found) last = found;
    }
    return last;
  }

  private fromProducer(producer: Producer): Traced {
    if (producer.kind === 'origin')
      return {
        location: producer.location,
        mapping: 'exact',
        via: `as written in ${producer.location.file}`,
      };
    if (producer.kind === 'patch')
      return {
        location: producer.location,
        mapping: 'heuristic',
        via: `set by patch ${producer.location.file}`,
      };
    const { owner, entry } = producer;
    // The field that decides what is pulled: a digest over a tag, a tag over a name.
    const field = entry.nodes.digest
      ? 'digest'
      : entry.nodes.newTag
        ? 'newTag'
        : entry.nodes.newName
          ? 'newName'
          : 'name';
    return {
      location: owner.source.locate(entry.nodes[field]!),
      mapping: 'derived',
      via: `set by ${owner.source.file} ${field}`,
    };
  }

  /** The replay could not reproduce the value: count as used every entry that could have matched. */
  private markPlausible(steps: Kustomization[], image: ContainerImage, written: string | undefined) {
    const renderedName = splitImage(image.image).name;
    for (const step of steps) {
      for (const entry of step.images) {
        const candidates = [image.image, ...(written === undefined ? [] : [written])];
        if (candidates.some((value) => isImageMatched(value, entry.name)) || entry.newName === renderedName)
          this.used.add(entryKey(step, entry));
      }
    }
  }

  /** A unique whole-value occurrence of the rendered image in the chain's patches and kustomizations. */
  private async textMatch(steps: Kustomization[], value: string): Promise<Traced | undefined> {
    const files = [...new Set(steps.flatMap((step) => [...step.patchFiles, step.file]))];
    const hits: Array<{ source: SourceFile; offset: number }> = [];
    for (const file of files) {
      const source = await this.sources.get(file);
      if (!source) continue;
      for (const offset of textOccurrences(source, value, 2)) hits.push({ source, offset });
      if (hits.length > 1) return undefined;
    }
    if (hits.length !== 1) return undefined;
    const { source, offset } = hits[0]!;
    const kind = path.basename(source.file).toLowerCase().startsWith('kustomization')
      ? 'inline patch in'
      : 'patch';
    return {
      location: source.at(offset, value.length),
      mapping: 'heuristic',
      via: `found in ${kind} ${source.file}`,
    };
  }
}

export function entryKey(owner: Kustomization, entry: ImagesEntry): string {
  return `${owner.file}#${entry.index}`;
}

/**
 * The same container among those a file writes: same kind, field and container name, and a resource
 * name the rendered one contains (namePrefix, nameSuffix), the longest such name first.
 */
function sameContainer(candidates: ContainerImage[], image: ContainerImage): ContainerImage | undefined {
  const rendered = image.pod.resource.name;
  const matching = candidates
    .filter(
      (candidate) =>
        candidate.container === image.container &&
        candidate.field === image.field &&
        candidate.pod.resource.kind === image.pod.resource.kind &&
        rendered.includes(candidate.pod.resource.name),
    )
    .sort((a, b) => b.pod.resource.name.length - a.pod.resource.name.length);
  return matching[0];
}

/**
 * The `name:` of the generator that made an object called `rendered` (which carries the name
 * prefix, suffix and content hash): the longest generator name it contains.
 */
function generatorName(owner: Kustomization, rendered: string): YamlScalar | undefined {
  const root = owner.source.documents[0]?.root;
  let best: YamlScalar | undefined;
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const generator of items(get(root, key))) {
      const name = get(generator, 'name');
      if (name?.kind === 'scalar' && name.value !== '' && rendered.includes(name.value)) {
        if (!best || name.value.length > best.value.length) best = name;
      }
    }
  }
  return best;
}
