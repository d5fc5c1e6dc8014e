/**
 * The existing tags closest to a missing one, for the fix line: `nginx:1.25.30` → `1.25.3`. Edit
 * distance first, then the longest shared prefix, then the nearest version.
 */

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function versionParts(tag: string): number[] {
  return (tag.match(/\d+/g) ?? []).map(Number);
}

function versionGap(a: string, b: string): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const gap = Math.abs((x[i] ?? 0) - (y[i] ?? 0));
    if (gap) return gap / 10 ** i;
  }
  return 0;
}

/**
 * Edit-distance cells computed at most per image (about 10 ms of work): a hostile registry's tag
 * list cannot stall the scan. Tags past the budget are not considered.
 */
export const MAX_SUGGESTION_CELLS = 4_000_000;

export function closestTags(
  wanted: string,
  tags: string[],
  count = 3,
  budget = MAX_SUGGESTION_CELLS,
): string[] {
  if (tags.length === 0) return [];
  const limit = Math.max(2, Math.ceil(wanted.length / 2));
  const keepPrefix = Math.min(3, wanted.length);
  const scored: Array<{ tag: string; distance: number; prefix: number; gap: number }> = [];
  let cells = 0;
  for (const tag of tags) {
    const prefix = sharedPrefix(wanted, tag);
    // The distance is at least the length difference: such a tag cannot be kept, skip the work.
    if (prefix < keepPrefix && Math.abs(tag.length - wanted.length) > limit) continue;
    cells += (wanted.length + 1) * (tag.length + 1);
    if (cells > budget) break;
    const distance = editDistance(wanted, tag);
    if (distance <= limit || prefix >= keepPrefix)
      scored.push({ tag, distance, prefix, gap: versionGap(wanted, tag) });
  }
  scored.sort(
    (a, b) => a.distance - b.distance || b.prefix - a.prefix || a.gap - b.gap || a.tag.localeCompare(b.tag),
  );
  return scored.slice(0, count).map((entry) => entry.tag);
}
