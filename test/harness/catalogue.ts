// The standard set of images seeded into the lab, so tests (and the bench) know exactly what exists.
import {
  pushImage,
  pushIndex,
  tagExisting,
  type Credentials,
  type ImageFormat,
  type Platform,
} from './push.js';
import type { RegistryLab, RegistryName } from './registries.js';

export interface CatalogueImage {
  registry: RegistryName;
  repo: string;
  /** The first tag is pushed; the others are re-tags of the very same manifest (same digest). */
  tags: readonly string[];
  /** `image`: one manifest; `index`: OCI index (format oci) or Docker manifest list (format docker). */
  kind: 'image' | 'index';
  format: ImageFormat;
  platforms: readonly Platform[];
  /** Who may pull: `anonymous`, or only with a user's credentials. */
  pull: 'anonymous' | 'credentials';
}

export interface SeededImage extends CatalogueImage {
  digest: string;
  mediaType: string;
  /** For `kind: 'image'`. */
  configDigest?: string;
  /** For `kind: 'index'`: the per-platform manifests, in index order. */
  children?: { platform: Platform; digest: string }[];
}

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };
const ARM_V7: Platform = { os: 'linux', architecture: 'arm', variant: 'v7' };
const ARM_V6: Platform = { os: 'linux', architecture: 'arm', variant: 'v6' };

/** Tags on `open` `tags/many` (v0..v149). distribution 2.8 ignores `?n=` there: one unsorted page. */
export const MANY_TAGS_COUNT = 150;

function single(
  registry: RegistryName,
  repo: string,
  tags: readonly string[],
  extra: Partial<CatalogueImage> = {},
): CatalogueImage {
  return {
    registry,
    repo,
    tags,
    kind: 'image',
    format: 'docker',
    platforms: [AMD64],
    pull: 'anonymous',
    ...extra,
  };
}

export const CATALOGUE: readonly CatalogueImage[] = [
  single('open', 'app', ['1.0.0']),
  single('open', 'app', ['1.0.1']),
  single('open', 'app', ['1.1.0', 'latest']),
  { ...single('open', 'multi', ['1']), kind: 'index', format: 'oci', platforms: [AMD64, ARM64, ARM_V7] },
  { ...single('open', 'armonly', ['1']), kind: 'index', format: 'docker', platforms: [ARM_V7, ARM_V6] },
  single('open', 'single-arm64', ['1'], { platforms: [ARM64] }),
  single(
    'open',
    'tags/many',
    Array.from({ length: MANY_TAGS_COUNT }, (_, i) => `v${i}`),
  ),
  single('basic', 'private/app', ['2.0'], { pull: 'credentials' }),
  single('token', 'library/public-app', ['1']),
  single('token', 'team/secret-app', ['1'], { pull: 'credentials' }),
  single('tls', 'secure/app', ['1']),
];

/** Pushes the whole catalogue; registries are seeded in parallel, each entry in order. */
export async function seedCatalogue(
  lab: RegistryLab,
  catalogue: readonly CatalogueImage[] = CATALOGUE,
): Promise<SeededImage[]> {
  return Promise.all(catalogue.map((entry) => seedOne(lab, entry)));
}

/** The credentials the seeder pushes with: alice wherever a registry has users. */
export function pushCredentials(lab: RegistryLab, registry: RegistryName): Credentials | undefined {
  if (registry === 'basic') return lab.basic.users.alice;
  if (registry === 'token') return lab.token.users.alice;
  return undefined;
}

async function seedOne(lab: RegistryLab, entry: CatalogueImage): Promise<SeededImage> {
  const reg = lab[entry.registry];
  const auth = pushCredentials(lab, entry.registry);
  const [first, ...rest] = entry.tags;
  if (first === undefined) throw new Error(`catalogue entry ${entry.repo} has no tags`);
  let seeded: SeededImage;
  if (entry.kind === 'index') {
    const pushed = await pushIndex(reg, auth, entry.repo, first, entry.platforms, entry.format);
    seeded = { ...entry, ...pushed };
  } else {
    const platform = entry.platforms[0];
    const pushed = await pushImage(reg, auth, entry.repo, first, { platform, format: entry.format });
    seeded = { ...entry, ...pushed };
  }
  if (rest.length > 0) await tagExisting(reg, auth, entry.repo, seeded.digest, rest);
  return seeded;
}
