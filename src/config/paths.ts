import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../manifests/files.js';

/**
 * Paths the config file may set are confined to the repository: the file comes from the pull
 * request, so a path in it must not make the check scan or read anything outside the checkout.
 * (Where reports are written it may not set at all.) Inputs and flags are not confined.
 */

/** How a path setting uses its value (the settings table's `configFilePath`). */
export type ConfigPathKind = 'read' | 'chart';

/** A `..` segment, also inside glob braces and extglob groups: `{..,a}`, `@(..)`. */
const PARENT = /(^|[\\/{,(|])\.\.($|[\\/},)|])/;
const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** Why `written` (one path or glob from the config file) may not be used there; undefined when it may. */
export function configPathProblem(kind: ConfigPathKind, written: string): string | undefined {
  const parts = kind === 'chart' ? written.split('+').map((part) => part.trim()) : [written];
  for (const part of parts) {
    if (path.posix.isAbsolute(part) || path.win32.isAbsolute(part)) return `"${part}" is an absolute path`;
    if (PARENT.test(part)) return `"${part}" goes up with ".."`;
  }
  return undefined;
}

/** The directories a path or glob starts from before its first wildcard: `deploy/*\/x.yaml` → `deploy`. */
function fixedPrefix(written: string): string {
  const segments = written.split(/[\\/]/);
  const wild = segments.findIndex((segment) => GLOB_CHARS.test(segment));
  return (wild === -1 ? segments : segments.slice(0, wild)).join('/') || '.';
}

/**
 * Whether `written` (already free of `..` and absolute paths) reaches outside `cwd` through a
 * symbolic link: the nearest existing part of it, resolved, must be inside the repository. A link
 * that resolves to nothing is refused too (where it would lead is not known).
 */
export async function linksOutOfRepository(written: string, cwd: string): Promise<boolean> {
  const root = await realpath(cwd);
  let probe = path.resolve(cwd, fixedPrefix(written));
  for (;;) {
    const real = await realpath(probe).catch(() => undefined);
    if (real !== undefined) return !isInside(root, real);
    if (
      await lstat(probe).then(
        () => true,
        () => false,
      )
    )
      return true;
    const parent = path.dirname(probe);
    if (parent === probe) return true;
    probe = parent;
  }
}
