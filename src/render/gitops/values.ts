import { load } from 'js-yaml';
import type { SourceLocation } from '../../findings.js';
import { get, items, str, type YamlNode } from '../../manifests/yaml-tree.js';
import type { SourceFile } from '../sources.js';

/** A value set inline in an Argo CD or Flux object, and where it is written. */
export interface ValueSite {
  value: string;
  location: SourceLocation;
  /** For messages: `apps/web.yaml helm.parameters image.tag`. */
  via: string;
}

/** Values written in the object (Helm `--values` layers, lowest precedence first) and their lines. */
export interface InlineValues {
  layers: Array<Record<string, unknown>>;
  sites: ValueSite[];
}

export function emptyInlineValues(): InlineValues {
  return { layers: [], sites: [] };
}

/** A plain scalar as YAML 1.2's core schema reads it (Helm's values are typed). */
function scalarValue(node: YamlNode & { kind: 'scalar' }): unknown {
  if (!node.plain) return node.value;
  const text = node.value;
  if (/^(?:null|Null|NULL|~|)$/.test(text)) return null;
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?(?:0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  return text;
}

/** A YAML subtree as plain data, recording every scalar's position as a site. */
export function plainValues(node: YamlNode, file: SourceFile, via: string, sites: ValueSite[]): unknown {
  if (node.kind === 'scalar') {
    if (node.value !== '') sites.push({ value: node.value, location: file.locate(node), via });
    return scalarValue(node);
  }
  if (node.kind === 'seq') return node.items.map((item) => plainValues(item, file, via, sites));
  const result: Record<string, unknown> = {};
  for (const merge of node.merges) Object.assign(result, plainValues(merge, file, via, sites));
  for (const entry of node.entries) {
    const key = str(entry.key);
    if (key !== undefined) result[key] = plainValues(entry.value, file, `${via}.${key}`, sites);
  }
  return result;
}

/** Every scalar of parsed values, as text (`1.2`, `true`): what an image string can carry. */
export function valueLeaves(value: unknown): string[] {
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(valueLeaves);
  return value == null ? [] : [String(value)];
}

/** A values document written as a string (Argo CD `helm.values`), its leaves located inside the block. */
export function stringValues(
  node: YamlNode,
  file: SourceFile,
  via: string,
  sites: ValueSite[],
): Record<string, unknown> {
  const text = str(node);
  if (text === undefined || node.kind !== 'scalar') return {};
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  for (const leaf of new Set(valueLeaves(parsed))) {
    const offset = leaf === '' ? -1 : file.text.indexOf(leaf, node.start);
    const location = offset !== -1 && offset < node.end ? file.at(offset, leaf.length) : file.locate(node);
    sites.push({ value: leaf, location, via });
  }
  return parsed as Record<string, unknown>;
}

/** Helm `--set` style parameters (`name: image.tag`, `value: "1.2"`) as a values layer, each located. */
export function parameterValues(
  list: YamlNode | undefined,
  file: SourceFile,
  via: string,
  sites: ValueSite[],
) {
  const layer: Record<string, unknown> = {};
  for (const entry of items(list)) {
    const name = str(get(entry, 'name'));
    const valueNode = get(entry, 'value');
    const value = str(valueNode);
    if (name === undefined || value === undefined || valueNode?.kind !== 'scalar') continue;
    const keys = name.split(/(?<!\\)\./).map((key) => key.replace(/\\\./g, '.'));
    let target = layer;
    for (const key of keys.slice(0, -1)) {
      const next = target[key];
      target = (typeof next === 'object' && next !== null ? next : (target[key] = {})) as Record<
        string,
        unknown
      >;
    }
    target[keys[keys.length - 1]!] = value;
    sites.push({ value, location: file.locate(valueNode), via: `${via} ${name}` });
  }
  return layer;
}

/** The site whose value the rendered image carries (the longest such), else undefined. */
export function siteFor(image: string, sites: ValueSite[]): ValueSite | undefined {
  return sites
    .filter((site) => site.value.length > 0 && image.includes(site.value))
    .sort((a, b) => b.value.length - a.value.length)[0];
}
