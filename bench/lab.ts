// The 500-reference registry lab: a deterministic plan of references, seeded into the open, Basic and
// token registries (a few pushes, many re-tags), fronted by counting proxies, and written as manifests.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageStatus } from '../src/analysis/images.js';
import { pushImage, pushIndex, tagExisting, type Credentials, type Platform } from '../test/harness/push.js';
import { startRegistries, tokenServerUrl, type RegistryLab } from '../test/harness/registries.js';
import { startProxy, type CountingProxy } from './proxy.js';
import { seeded, shuffle } from '../test/support/random.js';
import { mapLimit } from './util.js';

export type LabRegistryName = 'open' | 'basic' | 'token';
export type RefKind = 'existing' | 'missing-tag' | 'missing-repo' | 'index' | 'index-no-amd64';

export interface LabRef {
  registry: LabRegistryName;
  repo: string;
  tag: string;
  kind: RefKind;
  /** Pulled with the pull secret (alice); anonymous otherwise. */
  withSecret: boolean;
  expected: ImageStatus;
}

/** A registry, who pulls from it, and the repository namespace used for that. */
interface Pool {
  registry: LabRegistryName;
  withSecret: boolean;
  prefix: string;
}

export const LAB_SIZE = 500;
const SEED = 0x5eed;
const TAGS_PER_IMAGE_REPO = 8;
const TAGS_PER_INDEX_REPO = 5;
/** Every fifth index repository has no linux/amd64 image (the default node platform). */
const NO_AMD64_EVERY = 5;
const CONTAINERS_PER_POD = 5;
const DEPLOYMENTS_PER_FILE = 10;
export const NAMESPACE = 'bench';
export const SECRET_NAME = 'regcred';

/** open 1/3, basic 1/3, token 1/3 (half public anonymous, half private with alice). */
const POOLS: readonly Pool[] = [
  { registry: 'open', withSecret: false, prefix: 'apps' },
  { registry: 'basic', withSecret: true, prefix: 'private' },
  { registry: 'token', withSecret: false, prefix: 'library' },
  { registry: 'open', withSecret: false, prefix: 'apps' },
  { registry: 'basic', withSecret: true, prefix: 'private' },
  { registry: 'token', withSecret: true, prefix: 'team' },
];

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };
const ARM_V7: Platform = { os: 'linux', architecture: 'arm', variant: 'v7' };

/** 60% existing tags, 15% missing tags, 10% missing repositories, 15% multi-platform indexes. */
function kindsFor(size: number): RefKind[] {
  const missingTag = Math.round(size * 0.15);
  const missingRepo = Math.round(size * 0.1);
  const index = Math.round(size * 0.15);
  const existing = size - missingTag - missingRepo - index;
  return [
    ...Array<RefKind>(existing).fill('existing'),
    ...Array<RefKind>(missingTag).fill('missing-tag'),
    ...Array<RefKind>(missingRepo).fill('missing-repo'),
    ...Array<RefKind>(index).fill('index'),
  ];
}

/** The references, in a seeded order; each pool's repositories fill up tag by tag. */
export function planReferences(size = LAB_SIZE): LabRef[] {
  const seen = new Map<string, number>();
  const nextIn = (key: string): number => {
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n;
  };
  const refs = kindsFor(size).map((kind): LabRef => {
    const pool = POOLS[nextIn(`pool ${kind}`) % POOLS.length]!;
    const n = nextIn(`${kind} ${pool.registry} ${pool.prefix}`);
    return { ...pool, ...shape(kind, pool.prefix, n) };
  });
  return shuffle(seeded(SEED), refs);
}

/**
 * `size` references in one namespace of one registry, in the lab's mix (60% existing, 15% missing
 * tags, 10% missing repositories, 15% indexes), in a seeded order: the one-registry and fault runs.
 */
export function planOneRegistry(
  registry: LabRegistryName,
  prefix: string,
  size: number,
  withSecret = false,
): LabRef[] {
  const seen = new Map<RefKind, number>();
  const refs = kindsFor(size).map((kind): LabRef => {
    const n = seen.get(kind) ?? 0;
    seen.set(kind, n + 1);
    return { registry, withSecret, ...shape(kind, prefix, n) };
  });
  return shuffle(seeded(SEED ^ size), refs);
}

function shape(kind: RefKind, prefix: string, n: number): Omit<LabRef, keyof Pool> {
  switch (kind) {
    case 'existing':
      return {
        repo: `${prefix}/svc-${Math.floor(n / TAGS_PER_IMAGE_REPO)}`,
        tag: imageTag(n % TAGS_PER_IMAGE_REPO),
        kind,
        expected: 'available',
      };
    case 'missing-tag':
      // Spread over the pool's first image repositories, which exist.
      return { repo: `${prefix}/svc-${n % 4}`, tag: `9.${n}.0`, kind, expected: 'not-found' };
    case 'missing-repo':
      return { repo: `${prefix}/ghost-${n}`, tag: '1.0.0', kind, expected: 'not-found' };
    default: {
      const repoIndex = Math.floor(n / TAGS_PER_INDEX_REPO);
      const noAmd64 = repoIndex % NO_AMD64_EVERY === NO_AMD64_EVERY - 1;
      return {
        repo: `${prefix}/${noAmd64 ? 'armonly' : 'multi'}-${repoIndex}`,
        tag: `2.${n % TAGS_PER_INDEX_REPO}`,
        kind: noAmd64 ? 'index-no-amd64' : 'index',
        expected: noAmd64 ? 'platform-missing' : 'available',
      };
    }
  }
}

function imageTag(i: number): string {
  return `1.${i}.0`;
}

export interface Lab {
  registries: RegistryLab;
  proxies: Record<LabRegistryName, CountingProxy>;
  tokenServerUrl: string;
  refs: LabRef[];
  manifestsDir: string;
  /** The image string a manifest names for `ref`. */
  image(ref: LabRef): string;
  credentials(registry: LabRegistryName): Credentials | undefined;
  stop(): Promise<void>;
}

/** Starts registries and proxies, seeds the plan and writes the manifests; `stop()` undoes it all. */
export async function startLab(workDir: string): Promise<Lab> {
  const registries = await startRegistries(path.join(workDir, 'registries'));
  const proxies: Partial<Record<LabRegistryName, CountingProxy>> = {};
  const stop = async (): Promise<void> => {
    await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
    await registries.stop();
  };
  try {
    for (const name of ['open', 'basic', 'token'] as const)
      proxies[name] = await startProxy(registries[name].url);
    const all = proxies as Record<LabRegistryName, CountingProxy>;
    const credentials = (registry: LabRegistryName): Credentials | undefined =>
      registry === 'basic'
        ? registries.basic.users.alice
        : registry === 'token'
          ? registries.token.users.alice
          : undefined;
    const refs = planReferences();
    await seedRefs(registries, refs, credentials);
    const lab: Lab = {
      registries,
      proxies: all,
      tokenServerUrl: tokenServerUrl(registries),
      refs,
      manifestsDir: path.join(workDir, 'manifests'),
      image: (ref) => `${all[ref.registry].host}/${ref.repo}:${ref.tag}`,
      credentials,
      stop,
    };
    await writeManifests(lab.manifestsDir, refs, lab.image, secretYaml(lab));
    return lab;
  } catch (error) {
    await stop();
    throw error;
  }
}

interface SeedJob {
  registry: LabRegistryName;
  repo: string;
  kind: 'image' | 'index' | 'index-no-amd64';
  tags: string[];
}

/** One push per repository, then every other tag as a re-tag of the same manifest. */
export async function seedRefs(
  registries: RegistryLab,
  refs: readonly LabRef[],
  credentials: (registry: LabRegistryName) => Credentials | undefined,
): Promise<void> {
  const jobs = new Map<string, SeedJob>();
  for (const ref of refs) {
    if (ref.kind === 'missing-repo') continue;
    const kind = ref.kind === 'existing' || ref.kind === 'missing-tag' ? 'image' : ref.kind;
    const key = `${ref.registry} ${ref.repo}`;
    const job = jobs.get(key) ?? { registry: ref.registry, repo: ref.repo, kind, tags: [] };
    jobs.set(key, job);
    if (ref.kind !== 'missing-tag') job.tags.push(ref.tag);
  }
  await mapLimit([...jobs.values()], 8, (job, i) => seedRepo(registries, job, credentials(job.registry), i));
}

async function seedRepo(
  registries: RegistryLab,
  job: SeedJob,
  auth: Credentials | undefined,
  ordinal: number,
): Promise<void> {
  const target = registries[job.registry];
  // A missing-tag-only repository still needs one image so that only the tag is missing.
  const [first = imageTag(TAGS_PER_IMAGE_REPO), ...rest] = [...job.tags].sort();
  let digest: string;
  if (job.kind === 'image') {
    digest = (await pushImage(target, auth, job.repo, first, { platform: AMD64 })).digest;
  } else {
    const platforms = job.kind === 'index' ? [AMD64, ARM64] : [ARM64, ARM_V7];
    const format = ordinal % 2 ? 'oci' : 'docker';
    digest = (await pushIndex(target, auth, job.repo, first, platforms, format)).digest;
  }
  if (rest.length > 0) await tagExisting(target, auth, job.repo, digest, rest);
}

/** The pull secret (alice on the Basic and token proxies) and Deployments of five containers each. */
export async function writeManifests(
  dir: string,
  refs: readonly LabRef[],
  image: (ref: LabRef) => string,
  secret?: string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (secret) await writeFile(path.join(dir, 'secret.yaml'), secret);
  const deployments = [false, true].flatMap((withSecret) =>
    chunk(
      refs.filter((ref) => ref.withSecret === withSecret),
      CONTAINERS_PER_POD,
    ).map((some, i) => deploymentYaml(image, some, `${withSecret ? 'private' : 'public'}-${i}`, withSecret)),
  );
  const files = chunk(deployments, DEPLOYMENTS_PER_FILE);
  await Promise.all(
    files.map((docs, i) =>
      writeFile(path.join(dir, `deploy-${String(i).padStart(3, '0')}.yaml`), docs.join('---\n')),
    ),
  );
}

function secretYaml(lab: Lab): string {
  const auths: Record<string, { auth: string }> = {};
  for (const registry of ['basic', 'token'] as const) {
    const { username, password } = lab.credentials(registry)!;
    auths[lab.proxies[registry].host] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  }
  const config = Buffer.from(JSON.stringify({ auths })).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Secret',
    `metadata: {name: ${SECRET_NAME}, namespace: ${NAMESPACE}}`,
    'type: kubernetes.io/dockerconfigjson',
    'data:',
    `  .dockerconfigjson: ${config}`,
    '',
  ].join('\n');
}

function deploymentYaml(
  image: (ref: LabRef) => string,
  refs: readonly LabRef[],
  name: string,
  withSecret: boolean,
): string {
  const containers = refs.flatMap((ref, i) => [
    `        - name: c${i}`,
    `          image: ${image(ref)}`,
    '          imagePullPolicy: IfNotPresent',
  ]);
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${NAMESPACE}`,
    'spec:',
    '  replicas: 1',
    `  selector: {matchLabels: {app: ${name}}}`,
    '  template:',
    `    metadata: {labels: {app: ${name}}}`,
    '    spec:',
    ...(withSecret ? [`      imagePullSecrets: [{name: ${SECRET_NAME}}]`] : []),
    '      containers:',
    ...containers,
    '',
  ].join('\n');
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
