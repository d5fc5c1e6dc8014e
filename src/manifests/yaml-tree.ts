import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event, type ScalarEvent } from 'js-yaml';

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
 * thousands of documents never holds all their trees at once. Throws as `parseYamlDocuments`.
 */
export function yamlDocuments(
  source: string,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
): Generator<YamlDocument> {
  const events = parseEvents(source, { maxDepth: limits.maxDepth });
  return new TreeBuilder(source, events, limits).build();
}

class TreeBuilder {
  private index = 0;
  private anchors = new Map<string, YamlNode>();
  private aliasCount = 0;
  private aliasExpansion = 0;
  private nodeCount = 0;
  private aliasTargets: YamlNode[] = [];
  private sizes = new Map<YamlNode, number>();

  constructor(
    private readonly source: string,
    private readonly events: Event[],
    private readonly limits: YamlLimits,
  ) {}

  *build(): Generator<YamlDocument> {
    while (this.index < this.events.length) {
      const event = this.events[this.index++]!;
      if (event.type !== EVENT_ID.DOCUMENT) continue;
      // Anchors and the alias count are per document; the expansion budget is per file, or many
      // documents each just under it would add up to the same bomb.
      this.anchors = new Map();
      this.aliasCount = 0;
      let root: YamlNode | undefined;
      while (this.index < this.events.length && this.events[this.index]!.type !== EVENT_ID.POP) {
        root = this.node();
      }
      this.index++; // the document's POP
      this.checkExpansion();
      yield { root };
    }
  }

  private node(): YamlNode {
    const event = this.events[this.index++]!;
    if (event.type !== EVENT_ID.ALIAS) this.nodeCount++;
    switch (event.type) {
      case EVENT_ID.SCALAR:
        return this.anchor(event, this.scalar(event));
      case EVENT_ID.MAPPING: {
        const map: YamlMap = { kind: 'map', start: event.start, entries: [], merges: [] };
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
        const seq: YamlSeq = { kind: 'seq', start: event.start, items: [] };
        this.anchor(event, seq);
        while (this.events[this.index]!.type !== EVENT_ID.POP) seq.items.push(this.node());
        this.index++;
        return seq;
      }
      case EVENT_ID.ALIAS: {
        const name = this.source.slice(event.anchorStart, event.anchorEnd);
        const target = this.anchors.get(name);
        if (!target) throw new YamlStructureError(`unknown anchor "${name}" referenced`, event.anchorStart);
        if (++this.aliasCount > this.limits.maxAliases) {
          throw new YamlStructureError(
            `document contains more than ${this.limits.maxAliases} aliases`,
            event.anchorStart,
          );
        }
        this.aliasTargets.push(target);
        return target;
      }
      default:
        throw new YamlStructureError('unexpected YAML event', 0);
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
      start,
      end: quoted ? event.valueEnd + 1 : event.valueEnd,
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
    // kubectl (sigs.k8s.io/yaml) rejects a key set twice in one mapping; so do we.
    if (
      key.kind === 'scalar' &&
      map.entries.some((e) => e.key.kind === 'scalar' && e.key.value === key.value)
    ) {
      throw new YamlStructureError(`mapping key "${truncate(key.value)}" already defined`, key.start);
    }
    map.entries.push({ key, value });
  }

  /** Refuses files whose aliases would expand to a huge tree (a "billion laughs"), as go-yaml does. */
  private checkExpansion(): void {
    for (const target of this.aliasTargets) {
      this.aliasExpansion += this.expandedSize(target);
      if (this.aliasExpansion > this.limits.maxAliasExpansion + 10 * this.nodeCount) {
        throw new YamlStructureError('document contains excessive aliasing', 0);
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
