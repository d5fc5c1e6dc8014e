import { glob, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { extractFromText, emptyManifestSet, type ExtractOptions } from './extract.js';
import type { ManifestSet } from './types.js';
import { InputError } from '../settings.js';

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
 * sorted and without duplicates. A named file is read whatever its extension.
 */
export async function discoverManifestFiles(patterns: string[], cwd: string): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    const absolute = path.resolve(cwd, pattern);
    const info = await stat(absolute).catch(() => undefined);
    if (info?.isFile()) found.add(absolute);
    else if (info?.isDirectory()) for (const file of await walk(absolute)) found.add(file);
    else if (GLOB_CHARS.test(pattern)) {
      for await (const match of glob(pattern, { cwd, exclude: (name) => SKIPPED_DIRECTORIES.has(name) })) {
        const file = path.resolve(cwd, match);
        const matchInfo = await stat(file).catch(() => undefined);
        if (matchInfo?.isFile()) found.add(file);
        else if (matchInfo?.isDirectory()) for (const inner of await walk(file)) found.add(inner);
      }
    } else throw new InputError(`path "${pattern}" does not exist`);
  }
  return [...found].sort();
}

async function walk(directory: string): Promise<string[]> {
  const files: string[] = [];
  for await (const match of glob('**/*', {
    cwd: directory,
    exclude: (name) => SKIPPED_DIRECTORIES.has(path.basename(name)),
  })) {
    if (MANIFEST_EXTENSIONS.includes(path.extname(match).toLowerCase()))
      files.push(path.join(directory, match));
  }
  return files;
}

/** Path as reported: relative to the working directory, `/`-separated. */
export function reportPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return (relative.startsWith('..') || path.isAbsolute(relative) ? file : relative).split(path.sep).join('/');
}

/** Reads and extracts every file; unreadable, oversized or non-text files become problems. */
export async function readManifests(files: string[], options: ReadOptions): Promise<ManifestSet> {
  const set = emptyManifestSet();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const absolute of files) {
    const file = reportPath(absolute, options.cwd);
    set.files.push(file);
    const at = { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
    const info = await stat(absolute).catch((error: Error) => error);
    if (info instanceof Error) {
      set.problems.push({ kind: 'unreadable', ...at, message: `cannot read this file: ${info.message}` });
      continue;
    }
    if (info.size > options.maxFileSize) {
      set.problems.push({
        kind: 'too-large',
        ...at,
        message: `file is ${info.size} bytes, over the ${options.maxFileSize}-byte limit (max-file-size); not scanned`,
      });
      continue;
    }
    const bytes = await readFile(absolute).catch((error: Error) => error);
    if (bytes instanceof Error) {
      set.problems.push({ kind: 'unreadable', ...at, message: `cannot read this file: ${bytes.message}` });
      continue;
    }
    let text: string;
    try {
      if (bytes.includes(0)) throw new Error('binary');
      text = decoder.decode(bytes);
    } catch {
      set.problems.push({ kind: 'not-text', ...at, message: 'this file is not UTF-8 text; not scanned' });
      continue;
    }
    extractFromText(file, text, options, set);
  }
  return set;
}
