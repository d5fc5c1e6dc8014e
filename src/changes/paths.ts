import { sep as platformSep } from 'node:path';

/**
 * Repository-relative, '/'-separated, deduplicated and sorted. Backslashes are only separators on
 * Windows; elsewhere they are legal filename characters and must survive.
 */
export function normalisePaths(paths: Iterable<string>, sep: string = platformSep): string[] {
  const out = new Set<string>();
  for (const raw of paths) {
    let path = sep === '\\' ? raw.replaceAll('\\', '/') : raw;
    while (path.startsWith('./')) path = path.slice(2);
    if (path !== '') out.add(path);
  }
  // Code-unit order, not locale order: stable across runners.
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
