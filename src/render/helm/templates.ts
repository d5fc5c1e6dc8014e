import { glob } from 'node:fs/promises';
import path from 'node:path';
import type { SourceLocation } from '../../findings.js';
import type { ContainerImage } from '../../manifests/types.js';
import type { SourceFile } from '../sources.js';

/** The `image:` line of a template that rendered a container, and what it reads. */
export interface ImageSite {
  template: SourceFile;
  /** The value as written after `image:`, positioned. */
  value: string;
  location: SourceLocation;
  /** `.Values` paths read on the line or by the named templates it includes. */
  refs: string[][];
  /** Whether `.Chart.AppVersion` is read there (the usual fallback tag; `.chart.AppVersion` in bitnami's common). */
  appVersion: boolean;
}

const IMAGE_LINE = /^(\s*(?:-\s+)?image:[ \t]*)(.*?)\s*$/;
const NAME_LINE = /^\s*(?:-\s+)?name:[ \t]*(.*?)\s*$/;
const VALUES_REF = /\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)/g;
const APP_VERSION = /\.[Cc]hart\.AppVersion\b/;
const INCLUDE = /\b(?:include|template)\s+"([^"]+)"/g;
const DEFINE = /\{\{-?\s*define\s+"([^"]+)"\s*-?\}\}/g;
/** How far a list item is followed around an `image:` line. */
const ITEM_WINDOW = 40;
const MAX_HELPER_FILES = 64;
const MAX_TEMPLATE_FILES = 256;
const MAX_INCLUDE_DEPTH = 4;

/** A template expression matches anything; the rest of the value must match the rendered text as is. */
export function templatePattern(written: string): RegExp {
  const value = written.replace(/^(["'])(.*)\1$/, '$2');
  const literal = value.split(/\{\{.*?\}\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`, 's');
}

/** Reads a chart's templates and named templates (`define`), once per chart. */
export class ChartTemplates {
  private helpers?: Promise<Map<string, string>>;
  private refs?: Promise<Array<{ file: string; refs: string[][] }>>;

  constructor(
    private readonly chartDir: string,
    private readonly read: (file: string) => Promise<SourceFile | undefined>,
  ) {}

  /** The template's `image:` line for this container: one consistent with the rendered image, by name. */
  async site(templateFile: string, image: ContainerImage): Promise<ImageSite | undefined> {
    const template = await this.read(templateFile);
    if (!template) return undefined;
    const lines = template.text.split('\n');
    const offsets: number[] = [];
    lines.reduce((offset, line) => (offsets.push(offset), offset + line.length + 1), 0);
    type Candidate = { index: number; value: string; column: number; score: number };
    const candidates: Candidate[] = [];
    lines.forEach((line, index) => {
      const match = IMAGE_LINE.exec(line);
      if (!match || match[2] === '' || !templatePattern(match[2]!).test(image.image)) return;
      // A value written out as rendered is surest, then the container's own list item.
      const literal = !match[2]!.includes('{{') && match[2]!.replace(/^(["'])(.*)\1$/, '$2') === image.image;
      const score = (literal ? 4 : 0) + named(lines, index, image.container);
      candidates.push({ index, value: match[2]!, column: match[1]!.length, score });
    });
    const chosen = candidates.reduce<Candidate | undefined>(
      (best, candidate) => (!best || candidate.score > best.score ? candidate : best),
      undefined,
    );
    if (!chosen) return undefined;
    const refs: string[][] = [];
    let appVersion = APP_VERSION.test(chosen.value);
    for (const match of chosen.value.matchAll(VALUES_REF)) refs.push(match[1]!.slice(1).split('.'));
    const included = await this.included(chosen.value, 0, new Set());
    for (const body of included) {
      for (const match of body.matchAll(VALUES_REF)) refs.push(match[1]!.slice(1).split('.'));
      appVersion ||= APP_VERSION.test(body);
    }
    return {
      template,
      value: chosen.value,
      location: template.at(offsets[chosen.index]! + chosen.column, chosen.value.length),
      refs: uniquePaths(refs),
      appVersion,
    };
  }

  /**
   * The `.Values` paths every templated `image:` line of the chart (and its subcharts) reads, with the
   * template it is in: known before rendering, so the probe render can run alongside the plain one.
   */
  imageRefs(): Promise<Array<{ file: string; refs: string[][] }>> {
    this.refs ??= this.findImageRefs();
    return this.refs;
  }

  private async findImageRefs(): Promise<Array<{ file: string; refs: string[][] }>> {
    const found: Array<{ file: string; refs: string[][] }> = [];
    let files = 0;
    for await (const match of glob('**/templates/**/*.{yaml,yml}', { cwd: this.chartDir })) {
      if (++files > MAX_TEMPLATE_FILES) break;
      const file = path.join(this.chartDir, match);
      const template = await this.read(file);
      if (!template?.text.includes('image')) continue;
      const refs: string[][] = [];
      for (const line of template.text.split('\n')) {
        const value = IMAGE_LINE.exec(line)?.[2];
        if (!value?.includes('{{')) continue;
        for (const body of [value, ...(await this.included(value, 0, new Set()))])
          for (const ref of body.matchAll(VALUES_REF)) refs.push(ref[1]!.slice(1).split('.'));
      }
      if (refs.length > 0) found.push({ file, refs: uniquePaths(refs) });
    }
    return found.sort((a, b) => a.file.localeCompare(b.file));
  }

  /** Bodies of the named templates `text` includes, followed a few levels deep. */
  private async included(text: string, depth: number, seen: Set<string>): Promise<string[]> {
    if (depth >= MAX_INCLUDE_DEPTH) return [];
    const helpers = await this.helperBodies();
    const bodies: string[] = [];
    for (const match of text.matchAll(INCLUDE)) {
      const name = match[1]!;
      const body = helpers.get(name);
      if (body === undefined || seen.has(name)) continue;
      seen.add(name);
      bodies.push(body, ...(await this.included(body, depth + 1, seen)));
    }
    return bodies;
  }

  /** Named templates of the chart (and its subcharts): each body runs to the next `define`. */
  private helperBodies(): Promise<Map<string, string>> {
    this.helpers ??= (async () => {
      const bodies = new Map<string, string>();
      let files = 0;
      for await (const match of glob('**/templates/**/*.tpl', { cwd: this.chartDir })) {
        if (++files > MAX_HELPER_FILES) break;
        const source = await this.read(path.join(this.chartDir, match));
        if (!source) continue;
        const defines = [...source.text.matchAll(DEFINE)];
        defines.forEach((define, i) => {
          const end = defines[i + 1]?.index ?? source.text.length;
          if (!bodies.has(define[1]!)) bodies.set(define[1]!, source.text.slice(define.index, end));
        });
      }
      return bodies;
    })();
    return this.helpers;
  }
}

/**
 * How surely this `image:` line is the container's: 2 when the `name:` of the same list item is the
 * container's name as written, 1 when it is a template that could render it, 0 otherwise.
 */
function named(lines: string[], index: number, container: string): number {
  const line = lines[index]!;
  const keyColumn = line.search(/\S/) + (/^\s*- /.test(line) ? 2 : 0);
  const dash = keyColumn - 2;
  let start = index;
  while (start > 0 && index - start < ITEM_WINDOW && dashColumn(lines[start]!) !== dash) start--;
  let end = index + 1;
  while (end < lines.length && end - index < ITEM_WINDOW && dashColumn(lines[end]!) !== dash) end++;
  let best = 0;
  for (let i = start; i < end; i++) {
    const match = NAME_LINE.exec(lines[i]!);
    if (!match || lines[i]!.search(/\S/) + (/^\s*- /.test(lines[i]!) ? 2 : 0) !== keyColumn) continue;
    const written = match[1]!;
    if (written.replace(/^(["'])(.*)\1$/, '$2') === container) return 2;
    if (written !== '' && templatePattern(written).test(container)) best = 1;
  }
  return best;
}

/** The column of a list item's `-`, or -1 when the line does not start one. */
function dashColumn(line: string): number {
  return /^(\s*)- /.exec(line)?.[1]!.length ?? -1;
}

function uniquePaths(paths: string[][]): string[][] {
  const seen = new Set<string>();
  return paths.filter((key) => {
    const joined = key.join('\0');
    if (seen.has(joined)) return false;
    seen.add(joined);
    return true;
  });
}
