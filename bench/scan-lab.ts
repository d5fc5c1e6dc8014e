// Runs the real engine (`scan()`) over the lab's manifests, and reads what the lab observed.
import {
  DEFAULT_REGISTRY_SETTINGS,
  scan,
  type RegistrySettings,
  type ScanOptions,
  type ScanResult,
} from '../src/scan.js';
import type { Lab, LabRegistryName } from './lab.js';
import { PROXY_KINDS, type ProxyCounts, type ProxyKind } from './proxy.js';

export interface TimedScan {
  result: ScanResult;
  ms: number;
}

export async function scanLab(
  lab: Lab,
  registry: Partial<RegistrySettings> = {},
  extra: Partial<ScanOptions> = {},
): Promise<TimedScan> {
  return scanDir(lab.manifestsDir, registry, extra);
}

/** `scan()` over every manifest in `dir`, at default settings but for `registry` (and `extra`). */
export async function scanDir(
  dir: string,
  registry: Partial<RegistrySettings> = {},
  extra: Partial<ScanOptions> = {},
): Promise<TimedScan> {
  const started = performance.now();
  const result = await scan({
    cwd: dir,
    paths: ['.'],
    defaultNamespace: 'default',
    maxFileSize: 10 * 1024 * 1024,
    offline: false,
    // No CI credentials: only the pods' own pull secret, as the kubelet would.
    registry: { ...DEFAULT_REGISTRY_SETTINGS, ...registry },
    ...extra,
  });
  return { result, ms: performance.now() - started };
}

export interface TokenLogEntry {
  method: string;
  path: string;
  user?: string;
  scopes: string[];
  status: number;
}

/** The token server's own log, over HTTP, independently of the engine. */
export async function tokenLog(lab: Lab): Promise<TokenLogEntry[]> {
  const response = await fetch(`${lab.tokenServerUrl}/_log`);
  if (!response.ok) throw new Error(`token server log answered ${response.status}`);
  return ((await response.json()) as TokenLogEntry[]).filter((entry) => entry.path === '/token');
}

export async function resetObservers(lab: Lab): Promise<void> {
  for (const proxy of Object.values(lab.proxies)) proxy.reset();
  const response = await fetch(`${lab.tokenServerUrl}/_log/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`token server log reset answered ${response.status}`);
}

export function proxyCounts(lab: Lab): Record<LabRegistryName, ProxyCounts> {
  return {
    open: lab.proxies.open.counts(),
    basic: lab.proxies.basic.counts(),
    token: lab.proxies.token.counts(),
  };
}

export function sumKinds(counts: Record<LabRegistryName, ProxyCounts>): Record<ProxyKind, number> {
  const total = Object.fromEntries(PROXY_KINDS.map((kind) => [kind, 0])) as Record<ProxyKind, number>;
  for (const one of Object.values(counts)) for (const kind of PROXY_KINDS) total[kind] += one.byKind[kind];
  return total;
}

export interface StatusCheck {
  checked: number;
  wrong: Array<{ image: string; expected: string; got: string }>;
}

/** Every reference must get the verdict the lab was built to produce. */
export function checkStatuses(lab: Lab, result: ScanResult): StatusCheck {
  const got = new Map(result.images.map((image) => [image.reference, image.status]));
  const wrong: StatusCheck['wrong'] = [];
  for (const ref of lab.refs) {
    const image = lab.image(ref);
    const status = got.get(image) ?? 'absent';
    if (status !== ref.expected) wrong.push({ image, expected: ref.expected, got: status });
  }
  return { checked: lab.refs.length, wrong };
}
