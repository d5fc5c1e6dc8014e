// What globalSetup hands to test files via `inject('lab')`: plain JSON, since tests run in other processes.
import type { SeededImage } from './catalogue.js';
import type { LabRegistry, LabUser, RegistryName, TokenRequestLog } from './registries.js';

export { CATALOGUE, MANY_TAGS_COUNT, type CatalogueImage, type SeededImage } from './catalogue.js';
export type { Credentials, Platform } from './push.js';
export type { LabRegistry, LabUser, RegistryName, TokenRequestLog } from './registries.js';

export interface LabInfo {
  open: LabRegistry;
  basic: LabRegistry & { users: Record<'alice' | 'bob', LabUser> };
  token: LabRegistry & {
    realm: string;
    service: string;
    /** Base URL of the token server: `GET /_log`, `POST /_log/reset`. */
    tokenServerUrl: string;
    users: Record<'alice', LabUser>;
  };
  tls: LabRegistry & { caFile: string; caPem: string };
  /** Everything the catalogue pushed, with digests. */
  images: SeededImage[];
  startupMs: number;
  seedMs: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabInfo;
  }
}

/** The seeded image carrying `repo:tag` on `registry`; throws so a typo fails loudly. */
export function seededImage(lab: LabInfo, registry: RegistryName, repo: string, tag: string): SeededImage {
  const found = lab.images.find((i) => i.registry === registry && i.repo === repo && i.tags.includes(tag));
  if (found === undefined) throw new Error(`the lab catalogue has no ${registry} ${repo}:${tag}`);
  return found;
}

/** The token server's request log (it lives in the globalSetup process, so read it over HTTP). */
export async function tokenLog(lab: LabInfo): Promise<TokenRequestLog[]> {
  const res = await fetch(`${lab.token.tokenServerUrl}/_log`);
  if (!res.ok) throw new Error(`token log → ${res.status}`);
  return (await res.json()) as TokenRequestLog[];
}

export async function resetTokenLog(lab: LabInfo): Promise<void> {
  const res = await fetch(`${lab.token.tokenServerUrl}/_log/reset`, { method: 'POST' });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`token log reset → ${res.status}`);
}
