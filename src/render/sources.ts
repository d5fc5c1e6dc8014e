import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLocation } from '../findings.js';
import type { ImagePathSpec } from '../manifests/custom-resources.js';
import { emptyManifestSet, extractFromText, suppressionComments } from '../manifests/extract.js';
import { readRegularFile, reportPath } from '../manifests/files.js';
import { LineIndex } from '../manifests/positions.js';
import type { ContainerImage, SuppressionComment } from '../manifests/types.js';
import { yamlStream, type YamlDocument, type YamlNode, type YamlScalar } from '../manifests/yaml-tree.js';

/** A file that rendered output came from: read once, parsed once, positions as written. */
export interface SourceFile {
  absolute: string;
  /** As reported: relative to the working directory. */
  file: string;
  text: string;
  /** Empty when the file is not YAML (a template, say). */
  documents: YamlDocument[];
  locate(node: YamlScalar): SourceLocation;
  /** The range of `length` characters at `offset`. */
  at(offset: number, length: number): SourceLocation;
}

/** Files over this size are not read as sources, unless the scan passes its max-file-size. */
const MAX_SOURCE_BYTES = 10 * 1024 * 1024;

/** Reads source files on demand, caching text, trees and extracted images; collects their suppressions. */
export class SourceFiles {
  private readonly files = new Map<string, Promise<SourceFile | undefined>>();
  private readonly images = new Map<SourceFile, ContainerImage[]>();
  readonly suppressions: SuppressionComment[] = [];
  /** The scanned tree's real path: no source is read from outside it. */
  private readonly root: Promise<string>;

  constructor(
    private readonly cwd: string,
    private readonly defaultNamespace: string,
    /** Configuration-file `imagePaths`, so traced sources read custom resources as the scan does. */
    private readonly imagePaths: readonly ImagePathSpec[] = [],
    /** max-file-size: a source is never read past it (a link to /dev/zero, a huge file). */
    private readonly maxBytes = MAX_SOURCE_BYTES,
  ) {
    this.root = realpath(cwd).catch(() => path.resolve(cwd));
  }

  get(absolute: string): Promise<SourceFile | undefined> {
    let cached = this.files.get(absolute);
    if (!cached) {
      cached = this.read(absolute);
      this.files.set(absolute, cached);
    }
    return cached;
  }

  /** Every container image the file itself writes, at its exact position (src/manifests' extraction). */
  containerImages(source: SourceFile): ContainerImage[] {
    let found = this.images.get(source);
    if (!found) {
      const set = emptyManifestSet();
      extractFromText(
        source.file,
        source.text,
        { defaultNamespace: this.defaultNamespace, imagePaths: this.imagePaths },
        set,
      );
      found = set.images;
      this.images.set(source, found);
    }
    return found;
  }

  private async read(absolute: string): Promise<SourceFile | undefined> {
    const read = await readRegularFile(absolute, await this.root, this.maxBytes);
    if (!read.ok) return undefined;
    const raw = read.bytes.toString('utf8');
    const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    const file = reportPath(absolute, this.cwd);
    const lines = new LineIndex(text);
    // Broken documents (and templates) are left out; text searches still work on the whole file.
    const documents: YamlDocument[] = [];
    for (const item of yamlStream(text)) if (!('error' in item)) documents.push(item);
    this.suppressions.push(...suppressionComments(file, text));
    return {
      absolute,
      file,
      text,
      documents,
      locate: (node) => ({ file, ...lines.range(node.start, trimEnd(text, node)) }),
      at: (offset, length) => ({ file, ...lines.range(offset, offset + length) }),
    };
  }
}

/** Block scalars end after their newline; a range should end on the last character written. */
function trimEnd(text: string, node: YamlScalar): number {
  let end = node.end;
  while (end > node.start && /[\r\n]/.test(text[end - 1]!)) end--;
  return end;
}

/** How many nodes a scalar search visits at most: trees are bounded by the parser, this bounds the walk. */
const MAX_VISITED = 200_000;

/** Every scalar (keys excluded) whose value is `value`, in document order. */
export function scalarsWithValue(source: SourceFile, value: string): YamlScalar[] {
  const found: YamlScalar[] = [];
  const seen = new Set<YamlNode>();
  const stack: YamlNode[] = source.documents.flatMap((document) => (document.root ? [document.root] : []));
  stack.reverse();
  while (stack.length > 0 && seen.size < MAX_VISITED) {
    const node = stack.pop()!;
    if (seen.has(node)) continue; // aliases share nodes
    seen.add(node);
    if (node.kind === 'scalar') {
      if (node.value === value) found.push(node);
    } else if (node.kind === 'seq') {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]!);
    } else {
      for (let i = node.entries.length - 1; i >= 0; i--) stack.push(node.entries[i]!.value);
    }
  }
  return found;
}

const BEFORE = /[\s"'[{,=]/;
const AFTER = /[\s"'\]},#]/;

/** Offsets where `needle` is written as a whole value (not inside a longer word). */
export function textOccurrences(source: SourceFile, needle: string, limit = 10): number[] {
  const found: number[] = [];
  if (needle === '') return found;
  for (let at = source.text.indexOf(needle); at !== -1 && found.length < limit;) {
    const before = at === 0 ? ' ' : source.text[at - 1]!;
    const after = source.text[at + needle.length] ?? ' ';
    if (BEFORE.test(before) && AFTER.test(after)) found.push(at);
    at = source.text.indexOf(needle, at + 1);
  }
  return found;
}
