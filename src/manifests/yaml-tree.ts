import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event, type ScalarEvent } from 'js-yaml';
import { relaxForGoYaml } from './yaml-lenient.js';

/**
 * A YAML tree that remembers where every scalar is written. Built from js-yaml's event stream so
 * positions are the parser's own offsets, not a text search. Aliases share the anchored node, so an
 * alias bomb costs memory linear in the text; `expandedSize` bounds what a walk could visit.
 */

export interface YamlScalar {
  kind: 'scalar';
  value: string;
  /** Offsets of the token as written, quotes included; end-exclusive. */
  start: number;
  end: number;
  /** True for an unquoted, untagged scalar (`null`, `~` and `<<` mean something only then). */
  plain: boolean;
}

export interface YamlMap {
  kind: 'map';
  start: number;
  entries: Array<{ key: YamlNode; value: YamlNode }>;
  /** Maps merged in with `<<`, in precedence order (explicit entries always win). */
  merges: YamlMap[];
}

export interface YamlSeq {
  kind: 'seq';
  start: number;
  items: YamlNode[];
}

export type YamlNode = YamlScalar | YamlMap | YamlSeq;

export interface YamlDocument {
  root: YamlNode | undefined;
  /** Keys written twice in one mapping: the later value is kept, as kubectl's decoder keeps it. */
  duplicates?: DuplicateKey[];
}

export interface DuplicateKey {
  key: string;
  /** Offsets of the key kept (the later) and of the one it replaced. */
  offset: number;
  firstOffset: number;
}

export class YamlStructureError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface YamlLimits {
  maxDepth: number;
  maxAliases: number;
  /**
   * Nodes aliases may add to a file when expanded (what a walk of it would visit), beyond ten per
   * node actually written: a large file that reuses anchors is fine, a small one that explodes is not.
   */
  maxAliasExpansion: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = {
  maxDepth: 100,
  maxAliases: 1_000,
  maxAliasExpansion: 200_000,
};

/** Parses every document of `source`. Throws js-yaml's YAMLException or a YamlStructureError. */
export function parseYamlDocuments(source: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): YamlDocument[] {
  return [...yamlDocuments(source, limits)];
}

/**
 * The documents of `source` one at a time, so a caller can read each and let it go: a file of
 * thousands of documents never holds all their trees at once. Throws at the first broken document.
 */
export function* yamlDocuments(
  source: string,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
): Generator<YamlDocument> {
  for (const item of yamlStream(source, limits)) {
    if ('error' in item) throw new YamlStructureError(item.error.message, item.error.offset);
    yield item;
  }
}

/** A document of a stream, or why one part of the stream does not parse. */
export type StreamItem =
  | (YamlDocument & { start: number; end: number })
  | { error: { offset: number; message: string }; start: number; end: number };

/** A part of the text between kubectl's document separators: `[start, end)`. */
export interface StreamPart {
  start: number;
  end: number;
}

/**
 * Splits a file as kubectl's YAML reader does (k8s.io/apimachinery/pkg/util/yaml YAMLReader): a line
 * that starts with `---` followed only by white space ends a document; the separator line belongs
 * to neither side. go-yaml then parses each part on its own, so one broken part loses nothing else.
 */
export function splitYamlStream(text: string): StreamPart[] {
  const parts: StreamPart[] = [];
  let start = 0;
  for (let offset = 0; offset < text.length;) {
    const newline = text.indexOf('\n', offset);
    const lineEnd = newline === -1 ? text.length : newline + 1;
    if (text.startsWith('---', offset) && /^\s*$/.test(text.slice(offset + 3, lineEnd))) {
      if (offset > start) parts.push({ start, end: offset });
      start = lineEnd;
    }
    offset = lineEnd;
  }
  if (start < text.length) parts.push({ start, end: text.length });
  return parts;
}

/**
 * kubectl's decoder (YAMLOrJSONDecoder) reads a stream that starts with `{` as JSON: one object
 * after another, `---` meaning nothing. The objects' ranges when `source` is such a stream of more
 * than one, else undefined (one object is YAML too).
 */
export function splitJsonStream(source: string): StreamPart[] | undefined {
  const first = /\S/.exec(source);
  if (!first || source[first.index] !== '{') return undefined;
  const parts: StreamPart[] = [];
  let depth = 0;
  let start = -1;
  let string = false;
  for (let i = first.index; i < source.length; i++) {
    const c = source[i]!;
    if (string) {
      if (c === '\\') i++;
      else if (c === '"') string = false;
      continue;
    }
    if (c === '"') string = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) {
        if (c !== '{') return undefined;
        start = i;
      }
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) parts.push({ start, end: i + 1 });
    } else if (depth === 0 && !/\s/.test(c)) return undefined;
  }
  return depth === 0 && parts.length > 1 ? parts : undefined;
}

/**
 * Every document of `source` with its range, and for each part of the stream that does not parse
 * (even after go-yaml's leniency), the error at its exact offset; the other parts are unaffected.
 */
export function* yamlStream(source: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): Generator<StreamItem> {
  const budget: AliasBudget = { expansion: 0, nodes: 0 };
  for (const part of splitJsonStream(source) ?? splitYamlStream(source)) {
    const text = source.slice(part.start, part.end);
    let events: Event[];
    let parsed = text;
    let toOriginal = (offset: number) => offset;
    try {
      events = parseEvents(text, { maxDepth: limits.maxDepth });
    } catch (error) {
      const relaxed = RELAXABLE.test(describeParseError(error).message) ? relaxForGoYaml(text) : undefined;
      let retried: Event[] | undefined;
      if (relaxed) {
        try {
          retried = parseEvents(relaxed.text, { maxDepth: limits.maxDepth });
        } catch {
          // The original error is the one whose position is in the user's text.
        }
      }
      if (!retried) {
        const { offset, message } = describeParseError(error);
        yield { error: { offset: part.start + offset, message }, ...part };
        continue;
      }
      events = retried;
      parsed = relaxed!.text;
      toOriginal = relaxed!.toOriginal;
    }
    const builder = new TreeBuilder(
      parsed,
      events,
      limits,
      budget,
      (offset) => part.start + toOriginal(offset),
    );
    try {
      for (const document of builder.build()) yield { ...document, ...part };
    } catch (error) {
      const { offset, message } = describeParseError(error);
      yield { error: { offset, message }, ...part };
    }
  }
}

/** js-yaml's errors that go-yaml's leniency can explain; nothing else is worth a second parse. */
const RELAXABLE = /deficient indentation|tab characters/;

/** A parse error's offset (in the text given to the parser) and message. */
function describeParseError(error: unknown): { offset: number; message: string } {
  if (error instanceof YamlStructureError) return { offset: error.offset, message: error.message };
  const mark = (error as { mark?: { position?: number } }).mark;
  const reason = (error as { reason?: string }).reason ?? (error as Error).message ?? String(error);
  return { offset: mark?.position ?? 0, message: `invalid YAML: ${reason}` };
}

/** Alias expansion is bounded per file, or many documents each just under it would add up to a bomb. */
interface AliasBudget {
  expansion: number;
  nodes: number;
}

class TreeBuilder {
  private index = 0;
  private anchors = new Map<string, YamlNode>();
  private aliasCount = 0;
  private aliasTargets: YamlNode[] = [];
  private sizes = new Map<YamlNode, number>();
  private duplicates: DuplicateKey[] = [];

  /** `at` maps an offset in `source` (what was parsed) to one in the file as written. */
  constructor(
    private readonly source: string,
    private readonly events: Event[],
    private readonly limits: YamlLimits,
    private readonly budget: AliasBudget,
    private readonly at: (offset: number) => number,
  ) {}

  *build(): Generator<YamlDocument> {
    while (this.index < this.events.length) {
      const event = this.events[this.index++]!;
      if (event.type !== EVENT_ID.DOCUMENT) continue;
      // Anchors and the alias count are per document; the expansion budget is per file, or many
      // documents each just under it would add up to the same bomb.
      this.anchors = new Map();
      this.aliasCount = 0;
      this.duplicates = [];
      let root: YamlNode | undefined;
      while (this.index < this.events.length && this.events[this.index]!.type !== EVENT_ID.POP) {
        root = this.node();
      }
      this.index++; // the document's POP
      this.checkExpansion();
      yield this.duplicates.length > 0 ? { root, duplicates: this.duplicates } : { root };
    }
  }

  private node(): YamlNode {
    const event = this.events[this.index++]!;
    if (event.type !== EVENT_ID.ALIAS) this.budget.nodes++;
    switch (event.type) {
      case EVENT_ID.SCALAR:
        return this.anchor(event, this.scalar(event));
      case EVENT_ID.MAPPING: {
        const map: YamlMap = { kind: 'map', start: this.at(event.start), entries: [], merges: [] };
        this.anchor(event, map);
        while (this.events[this.index]!.type !== EVENT_ID.POP) {
          const key = this.node();
          const value = this.node();
          this.addEntry(map, key, value);
        }
        this.index++;
        return map;
      }
      case EVENT_ID.SEQUENCE: {
        const seq: YamlSeq = { kind: 'seq', start: this.at(event.start), items: [] };
        this.anchor(event, seq);
        while (this.events[this.index]!.type !== EVENT_ID.POP) seq.items.push(this.node());
        this.index++;
        return seq;
      }
      case EVENT_ID.ALIAS: {
        const name = this.source.slice(event.anchorStart, event.anchorEnd);
        const target = this.anchors.get(name);
        if (!target)
          throw new YamlStructureError(`unknown anchor "${name}" referenced`, this.at(event.anchorStart));
        if (++this.aliasCount > this.limits.maxAliases) {
          throw new YamlStructureError(
            `document contains more than ${this.limits.maxAliases} aliases`,
            this.at(event.anchorStart),
          );
        }
        this.aliasTargets.push(target);
        return target;
      }
      default:
        throw new YamlStructureError('unexpected YAML event', this.at(0));
    }
  }

  private scalar(event: ScalarEvent): YamlScalar {
    const quoted = event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED;
    let start = quoted ? event.valueStart - 1 : event.valueStart;
    // A block scalar's content starts with its indentation; the value starts after it.
    if (event.style === SCALAR_STYLE.LITERAL_BLOCK || event.style === SCALAR_STYLE.FOLDED_BLOCK) {
      while (start < event.valueEnd && /\s/.test(this.source[start]!)) start++;
    }
    return {
      kind: 'scalar',
      value: getScalarValue(this.source, event),
      start: this.at(start),
      end: this.at(quoted ? event.valueEnd + 1 : event.valueEnd),
      plain: event.style === SCALAR_STYLE.PLAIN && event.tagStart < 0,
    };
  }

  private anchor<T extends YamlNode>(event: { anchorStart: number; anchorEnd: number }, node: T): T {
    if (event.anchorStart >= 0) this.anchors.set(this.source.slice(event.anchorStart, event.anchorEnd), node);
    return node;
  }

  private addEntry(map: YamlMap, key: YamlNode, value: YamlNode): void {
    if (key.kind === 'scalar' && key.plain && key.value === '<<') {
      const sources = value.kind === 'seq' ? value.items : [value];
      for (const source of sources) {
        if (source.kind !== 'map') throw new YamlStructureError('merge key "<<" needs a mapping', key.start);
        map.merges.push(source);
      }
      return;
    }
    // kubectl apply -f decodes with sigs.k8s.io/yaml's non-strict Unmarshal (go-yaml v2 into a Go
    // map): a key set twice keeps its last value, silently. Keep the last too, and remember it.
    if (key.kind === 'scalar') {
      const earlier = map.entries.findIndex((e) => e.key.kind === 'scalar' && e.key.value === key.value);
      if (earlier !== -1) {
        const first = map.entries[earlier]!.key;
        this.duplicates.push({ key: truncate(key.value), offset: key.start, firstOffset: first.start });
        map.entries.splice(earlier, 1);
      }
    }
    map.entries.push({ key, value });
  }

  /** Refuses files whose aliases would expand to a huge tree (a "billion laughs"), as go-yaml does. */
  private checkExpansion(): void {
    for (const target of this.aliasTargets) {
      this.budget.expansion += this.expandedSize(target);
      if (this.budget.expansion > this.limits.maxAliasExpansion + 10 * this.budget.nodes) {
        throw new YamlStructureError('document contains excessive aliasing', this.at(0));
      }
    }
    this.aliasTargets = [];
  }

  private expandedSize(node: YamlNode): number {
    const known = this.sizes.get(node);
    if (known !== undefined) return known;
    this.sizes.set(node, Infinity); // a node reached again while being sized is a cycle
    let size = 1;
    if (node.kind === 'seq') for (const item of node.items) size += this.expandedSize(item);
    if (node.kind === 'map') {
      for (const { key, value } of node.entries) size += this.expandedSize(key) + this.expandedSize(value);
      for (const merged of node.merges) size += this.expandedSize(merged);
    }
    size = Math.min(size, Number.MAX_SAFE_INTEGER);
    this.sizes.set(node, size);
    return size;
  }
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Looks a key up as kubectl would see it after merge keys are applied. */
export function get(node: YamlNode | undefined, key: string): YamlNode | undefined {
  if (!node || node.kind !== 'map') return undefined;
  for (const entry of node.entries) {
    if (entry.key.kind === 'scalar' && entry.key.value === key) return entry.value;
  }
  for (const merged of node.merges) {
    const found = get(merged, key);
    if (found) return found;
  }
  return undefined;
}

export function getPath(node: YamlNode | undefined, ...keys: string[]): YamlNode | undefined {
  let current = node;
  for (const key of keys) current = get(current, key);
  return current;
}

/** A string value, or undefined for anything else (including YAML null). */
export function str(node: YamlNode | undefined): string | undefined {
  if (!node || node.kind !== 'scalar') return undefined;
  if (node.plain && (node.value === '' || node.value === '~' || /^(null|Null|NULL)$/.test(node.value))) {
    return undefined;
  }
  return node.value;
}

export function items(node: YamlNode | undefined): YamlNode[] {
  return node?.kind === 'seq' ? node.items : [];
}

/** Every key of a map, merged keys included, explicit entries first. */
export function keys(node: YamlNode | undefined): string[] {
  if (!node || node.kind !== 'map') return [];
  const seen = new Set<string>();
  for (const entry of node.entries) if (entry.key.kind === 'scalar') seen.add(entry.key.value);
  for (const merged of node.merges) for (const key of keys(merged)) seen.add(key);
  return [...seen];
}
