import type { SourceLocation } from '../findings.js';
import type { ImagePathSpec } from '../manifests/custom-resources.js';
import { emptyManifestSet, extractFromDocuments } from '../manifests/extract.js';
import type {
  ContainerImage,
  LocatedString,
  ManifestProblem,
  ManifestSet,
  PodContext,
  RenderMapping,
} from '../manifests/types.js';
import type { YamlNode } from '../manifests/yaml-tree.js';

/** Where a rendered image is to be edited, and how that was found. */
export interface TracedImage {
  location: SourceLocation;
  mapping: RenderMapping;
  via: string;
}

/** Maps one rendered document's positions back to the files a person edits. */
export interface DocumentMapper {
  image(image: ContainerImage): Promise<TracedImage>;
  /** Any other value the checks point at (a pull secret's name, a node selector). */
  value(value: string): Promise<SourceLocation>;
}

/** Rendered documents have no file of their own: every position is replaced before anyone sees it. */
const RENDERED = '<rendered>';

function at(location: SourceLocation): SourceLocation {
  const { file, line, column, endLine, endColumn } = location;
  return { file, line, column, endLine, endColumn };
}

/**
 * Extracts images, ServiceAccounts and pull secrets from one rendered object with src/manifests'
 * extraction, then moves every position onto the source: images by the mapper's trace, other values
 * to where their source writes them.
 */
export async function extractRendered(
  object: YamlNode,
  text: string,
  root: string,
  mapper: DocumentMapper,
  defaultNamespace: string,
  into: ManifestSet,
  imagePaths: readonly ImagePathSpec[] = [],
): Promise<void> {
  const set = emptyManifestSet();
  extractFromDocuments(RENDERED, text, [{ root: object }], { defaultNamespace, imagePaths }, set);
  const strings = async (list: LocatedString[]) =>
    Promise.all(list.map(async (item) => ({ value: item.value, ...at(await mapper.value(item.value)) })));
  const pods = new Map<PodContext, PodContext>();
  const pod = async (context: PodContext): Promise<PodContext> => {
    let mapped = pods.get(context);
    if (!mapped) {
      mapped = { ...context, imagePullSecrets: await strings(context.imagePullSecrets) };
      const arch = context.platforms.architectures?.[0] ?? context.platforms.excluded[0];
      if (context.platforms.source) {
        mapped.platforms = { ...context.platforms, source: at(await mapper.value(arch ?? '')) };
      }
      pods.set(context, mapped);
    }
    return mapped;
  };
  for (const image of set.images) {
    const traced = await mapper.image(image);
    into.images.push({
      ...image,
      ...at(traced.location),
      pod: await pod(image.pod),
      rendered: { mapping: traced.mapping, root, via: traced.via },
    });
  }
  for (const account of set.serviceAccounts) {
    into.serviceAccounts.push({
      ...account,
      ...at(await mapper.value(account.name)),
      imagePullSecrets: await strings(account.imagePullSecrets),
    });
  }
  const secretAt = new Map<string, SourceLocation>();
  for (const secret of set.pullSecrets) {
    const location = at(await mapper.value(secret.name));
    secretAt.set(`${secret.namespace}/${secret.name}`, location);
    // `type:` positions are the rendered output's: a rendered secret is pointed at by its name only.
    const { typeAt: _renderedTypeAt, ...written } = secret;
    into.pullSecrets.push({ ...written, ...location });
  }
  for (const problem of set.problems) {
    const key = problem.resource ? `${problem.resource.namespace}/${problem.resource.name}` : '';
    addProblem(into, { ...problem, ...(secretAt.get(key) ?? at(await mapper.value(''))) });
  }
}

/** The same problem reached through several roots is reported once. */
export function addProblem(into: ManifestSet, problem: ManifestProblem): void {
  const key = (p: ManifestProblem) => `${p.kind}\0${p.file}\0${p.line}\0${p.column}\0${p.message}`;
  const wanted = key(problem);
  if (!into.problems.some((existing) => key(existing) === wanted)) into.problems.push(problem);
}
