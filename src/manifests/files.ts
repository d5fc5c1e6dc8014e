import { constants } from 'node:fs';
import { glob, lstat, open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { extractFromText, emptyManifestSet, type ExtractOptions } from './extract.js';
import type { ManifestProblemKind, ManifestSet } from './types.js';
import { InputError } from '../input-error.js';

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
const GLOB_CHARS = /[*?[\]{}]/;

export interface ReadOptions extends ExtractOptions {
  cwd: string;
  /** Files larger than this are reported, not parsed. */
  maxFileSize: number;
}

/**
 * Resolves files, directories (walked, skipping .git and node_modules) and globs to manifest files,
 * sorted and without duplicates. A named file is read whatever its extension. Symbolic links that
 * lead out of the working directory are listed (so reading them reports them) but never walked into.
 */
export async function discoverManifestFiles(patterns: string[], cwd: string): Promise<string[]> {
  const found = new Set<string>();
  const root = await realRoot(cwd);
  for (const pattern of patterns) {
    const absolute = path.resolve(cwd, pattern);
    const info = await stat(absolute).catch(() => undefined);
    if (info?.isFile()) found.add(absolute);
    else if (info?.isDirectory()) for (const file of await walk(absolute, root)) found.add(file);
    else if ((await lstat(absolute).catch(() => undefined))?.isSymbolicLink()) found.add(absolute);
    else if (GLOB_CHARS.test(pattern)) {
      for await (const match of glob(pattern, { cwd, exclude: (name) => SKIPPED_DIRECTORIES.has(name) })) {
        const file = path.resolve(cwd, match);
        const matchInfo = await stat(file).catch(() => undefined);
        if (matchInfo?.isDirectory()) for (const inner of await walk(file, root)) found.add(inner);
        else if (matchInfo) found.add(file);
      }
    } else throw new InputError(`path "${pattern}" does not exist`);
  }
  return [...found].sort();
}

/**
 * Every manifest file under `directory`. A link to a directory inside the working directory is
 * followed once (real paths are remembered, so loops end); a link that leads out of it is listed,
 * not followed, so that reading it says why it was not read.
 */
async function walk(directory: string, root: string): Promise<string[]> {
  const files: string[] = [];
  const visited = new Set<string>();
  const stack = [directory];
  while (stack.length > 0) {
    const current = stack.pop()!;
    const real = await realpath(current).catch(() => undefined);
    if (real === undefined || visited.has(real)) continue;
    visited.add(real);
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (SKIPPED_DIRECTORIES.has(entry.name)) continue;
      const full = path.join(current, entry.name);
      const manifest = MANIFEST_EXTENSIONS.includes(path.extname(entry.name).toLowerCase());
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        if (target === undefined) continue; // dangling: nothing to read
        const info = await stat(full).catch(() => undefined);
        if (!isInside(root, target)) {
          if (manifest || info?.isDirectory()) files.push(full);
        } else if (info?.isDirectory()) stack.push(full);
        else if (manifest) files.push(full);
      } else if (manifest) files.push(full);
    }
  }
  return files;
}

async function realRoot(cwd: string): Promise<string> {
  return realpath(cwd).catch(() => path.resolve(cwd));
}

/** Whether `file` is `root` or below it (both real paths). */
export function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Path as reported: relative to the working directory, `/`-separated. */
export function reportPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return (relative.startsWith('..') || path.isAbsolute(relative) ? file : relative).split(path.sep).join('/');
}

export type SafeRead =
  | { ok: true; bytes: Buffer; real: string }
  | {
      ok: false;
      kind: Extract<ManifestProblemKind, 'unreadable' | 'too-large' | 'symlink-outside'>;
      message: string;
    };

/**
 * Reads a file a pull request controls: only a regular file, only inside `root` (its real path, so
 * no link leads out of the tree), and never more than `maxBytes` (checked while reading, as a file
 * can grow). A FIFO, a device or a socket is never read: it is opened without blocking and refused
 * on what the open handle is.
 */
export async function readRegularFile(absolute: string, root: string, maxBytes: number): Promise<SafeRead> {
  const real = await realpath(absolute).catch((error: Error) => error);
  if (real instanceof Error)
    return { ok: false, kind: 'unreadable', message: `cannot read this file: ${real.message}` };
  if (!isInside(root, real) && real !== path.resolve(absolute)) {
    const written = await readlink(absolute).catch(() => undefined);
    return {
      ok: false,
      kind: 'symlink-outside',
      message: `this is a symbolic link${written ? ` to ${JSON.stringify(written)}` : ''} that leads out of the scanned tree; not followed`,
    };
  }
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW).catch(
    (error: Error) => error,
  );
  if (handle instanceof Error)
    return { ok: false, kind: 'unreadable', message: `cannot read this file: ${handle.message}` };
  try {
    const info = await handle.stat();
    if (!info.isFile())
      return {
        ok: false,
        kind: 'unreadable',
        message: 'not a regular file (a FIFO, device or socket); not read',
      };
    const tooLarge = (size: string) => ({
      ok: false as const,
      kind: 'too-large' as const,
      message: `file is ${size} bytes, over the ${maxBytes}-byte limit (max-file-size); not scanned`,
    });
    if (info.size > maxBytes) return tooLarge(String(info.size));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return tooLarge(`over ${maxBytes}`);
    }
    return { ok: true, bytes: Buffer.concat(chunks, total), real };
  } catch (error) {
    return { ok: false, kind: 'unreadable', message: `cannot read this file: ${(error as Error).message}` };
  } finally {
    await handle.close();
  }
}

/** Where a file sits in a Helm chart: under its `templates/` or its `tests/` (helm-unittest suites). */
async function chartRole(absolute: string): Promise<ExtractOptions['chartRole']> {
  const parts = path.dirname(absolute).split(path.sep);
  for (let i = parts.length - 1; i > 0; i--) {
    const role = parts[i];
    if (role !== 'templates' && role !== 'tests') continue;
    const chart = parts.slice(0, i).join(path.sep);
    if ((await stat(path.join(chart, 'Chart.yaml')).catch(() => undefined))?.isFile()) return role;
  }
  return undefined;
}

/** Reads and extracts every file; unreadable, oversized or non-text files become problems. */
export async function readManifests(files: string[], options: ReadOptions): Promise<ManifestSet> {
  const set = emptyManifestSet();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const root = await realRoot(options.cwd);
  for (const absolute of files) {
    const file = reportPath(absolute, options.cwd);
    set.files.push(file);
    const at = { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
    const read = await readRegularFile(absolute, root, options.maxFileSize);
    if (!read.ok) {
      set.problems.push({ kind: read.kind, ...at, message: read.message });
      continue;
    }
    let text: string;
    try {
      if (read.bytes.includes(0)) throw new Error('binary');
      text = decoder.decode(read.bytes);
    } catch {
      set.problems.push({ kind: 'not-text', ...at, message: 'this file is not UTF-8 text; not scanned' });
      continue;
    }
    const role = await chartRole(absolute);
    extractFromText(file, text, role ? { ...options, chartRole: role } : options, set);
  }
  return set;
}
