import type { Platform, PlatformMatch } from './types.js';

/**
 * containerd's platform matching (`platforms.Only`): normalise, then try the wanted platform and the
 * ones it can also run, best first. arm64 runs arm/v8…v5; arm/vN runs lower variants; amd64 runs
 * lower microarchitecture levels and 386.
 */

const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  i386: { architecture: '386' },
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
};

/** containerd's `platforms.Normalize`. */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase() === 'macos' ? 'darwin' : platform.os.toLowerCase();
  const alias = ARCH_ALIASES[platform.architecture.toLowerCase()];
  const architecture = alias?.architecture ?? platform.architecture.toLowerCase();
  let variant = alias?.variant ?? platform.variant?.toLowerCase();
  if (architecture === 'arm64' && (variant === '8' || variant === 'v8')) variant = undefined;
  if (architecture === 'arm') {
    if (!variant || variant === '7') variant = 'v7';
    else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
  }
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** The platforms a node of `wanted` can run, in containerd's order of preference. */
export function compatiblePlatforms(wanted: Platform): Platform[] {
  const p = normalizePlatform(wanted);
  const os = p.os;
  const armFrom = (version: number) =>
    Array.from({ length: version - 4 }, (_, i) => ({ os, architecture: 'arm', variant: `v${version - i}` }));
  switch (p.architecture) {
    case 'arm64': {
      const level = p.variant ? Number(p.variant.replace(/^v/, '').split('.')[0]) : 8;
      const arm64: Platform[] = [p];
      if (p.variant) arm64.push({ os, architecture: 'arm64' });
      return level === 8 || Number.isNaN(level) ? [...arm64, ...armFrom(8)] : arm64;
    }
    case 'arm':
      return armFrom(Number(p.variant!.slice(1)) || 7);
    case 'amd64': {
      const level = p.variant ? Number(p.variant.slice(1)) : 1;
      const levels = Array.from({ length: Math.max(level, 1) }, (_, i) => level - i).map((l) =>
        l <= 1 ? { os, architecture: 'amd64' } : { os, architecture: 'amd64', variant: `v${l}` },
      );
      return [...levels, { os, architecture: '386' }];
    }
    default:
      return [p];
  }
}

function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/** Picks the index entry containerd would pull for `wanted`, or none ("no match for platform"). */
export function matchPlatform(
  wanted: Platform,
  entries: Array<Platform & { digest: string }>,
): PlatformMatch {
  const normalized = entries.map((entry) => ({ entry, platform: normalizePlatform(entry) }));
  for (const candidate of compatiblePlatforms(wanted)) {
    const hit = normalized.find(({ platform }) => samePlatform(platform, candidate));
    if (hit) return { wanted, matched: hit.entry };
  }
  return { wanted };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** `linux/arm/v7` → a Platform; undefined when it does not have that shape. */
export function parsePlatform(text: string): Platform | undefined {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !/^[a-zA-Z0-9_.-]+$/.test(part)))
    return undefined;
  const [os, architecture, variant] = parts as [string, string, string?];
  return normalizePlatform(variant ? { os, architecture, variant } : { os, architecture });
}
