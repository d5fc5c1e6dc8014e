import path from 'node:path';
import { getPath, str, type YamlNode, type YamlScalar } from '../../manifests/yaml-tree.js';
import type { SourceFile } from '../sources.js';

/** One values file as a template sees it: a subchart's values sit under its name in the parent's. */
export interface ValuesLayer {
  source: SourceFile;
  prefix: string[];
}

/** A values key that may have produced (part of) a rendered image. */
export interface ValuesKey {
  /** The path from the top chart's values, as `--set` takes it. */
  setPath: string[];
  /** The key as written in `source`, for messages. */
  written: string;
  value: string;
  /** What helm prints for it (differs from `value` for unquoted numbers: `1.20` prints `1.2`). */
  renders: string;
  source: SourceFile;
  node: YamlScalar;
}

const MAX_LEAVES = 64;
const MAX_DEPTH = 6;

/**
 * Which chart a template belongs to and the values files it reads, lowest precedence first: for
 * `web/charts/db/templates/x.yaml`, db's own values.yaml, then web's values.yaml and the values set's
 * files, both under the key `db`.
 */
export async function templateContext(
  chartDir: string,
  source: string,
  setFiles: string[],
  read: (file: string) => Promise<SourceFile | undefined>,
): Promise<
  { templateFile: string; chartDir: string; subcharts: string[]; layers: ValuesLayer[] } | undefined
> {
  const parts = source.split('/').slice(1); // the first part is the chart's name
  if (parts.length === 0 || parts.includes('..')) return undefined;
  const subcharts: string[] = [];
  for (let i = 0; i + 1 < parts.length && parts[i] === 'charts'; i += 2) subcharts.push(parts[i + 1]!);
  const dirs = [chartDir];
  for (const name of subcharts) dirs.push(path.join(dirs[dirs.length - 1]!, 'charts', name));
  const layers: ValuesLayer[] = [];
  // Innermost chart's defaults first; each parent's values override under the subchart names.
  for (let depth = dirs.length - 1; depth >= 0; depth--) {
    const values = await read(path.join(dirs[depth]!, 'values.yaml'));
    if (values) layers.push({ source: values, prefix: subcharts.slice(depth) });
  }
  for (const file of setFiles) {
    const values = await read(file);
    if (values) layers.push({ source: values, prefix: subcharts });
  }
  return { templateFile: path.join(chartDir, ...parts), chartDir: dirs[dirs.length - 1]!, subcharts, layers };
}

/**
 * The values keys behind `refs` whose values appear in the rendered image: a reference to a map (an
 * `image:` block passed to a helper) stands for its scalar leaves. Each key is taken from the
 * highest-precedence file that sets it, as helm merges them.
 */
export function valuesKeys(
  layers: ValuesLayer[],
  subcharts: string[],
  refs: string[][],
  rendered: string,
): ValuesKey[] {
  const leaves = new Map<string, string[]>();
  for (const ref of refs) {
    for (const layer of layers) {
      collectLeaves(getPath(root(layer), ...layer.prefix, ...ref), ref, leaves, 0);
    }
  }
  const keys: ValuesKey[] = [];
  for (const leaf of leaves.values()) {
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]!;
      const node = getPath(root(layer), ...layer.prefix, ...leaf);
      const value = str(node);
      if (node?.kind !== 'scalar' || value === undefined) continue;
      const renders = helmText(node);
      if (renders !== '' && rendered.includes(renders)) {
        // `--set` paths start at the top chart, under the subcharts' names.
        const setPath = [...subcharts, ...leaf];
        keys.push({
          setPath,
          written: [...layer.prefix, ...leaf].join('.'),
          value,
          renders,
          source: layer.source,
          node,
        });
      }
      break; // the highest file that sets it decides, even to a value not in the image
    }
  }
  return keys;
}

/**
 * The scalar leaves behind `refs` that a probe may replace, as `--set` paths from the top chart. Not
 * booleans, which may switch whole objects on or off, nor empty values, which templates treat as unset
 * (an empty `digest` or `global.imageRegistry` set to a probe would take over the image).
 */
export function probeablePaths(layers: ValuesLayer[], subcharts: string[], refs: string[][]): string[][] {
  const leaves = new Map<string, string[]>();
  for (const ref of refs)
    for (const layer of layers) collectLeaves(getPath(root(layer), ...layer.prefix, ...ref), ref, leaves, 0);
  const paths: string[][] = [];
  for (const leaf of leaves.values()) {
    const highest = layers
      .map((layer) => getPath(root(layer), ...layer.prefix, ...leaf))
      .reverse()
      .find((node) => node?.kind === 'scalar');
    const text = highest?.kind === 'scalar' ? helmText(highest) : '';
    if (highest?.kind === 'scalar' && text !== '' && !/^(true|false)$/.test(text))
      paths.push([...subcharts, ...leaf]);
  }
  return paths;
}

function root(layer: ValuesLayer): YamlNode | undefined {
  return layer.source.documents[0]?.root;
}

function collectLeaves(node: YamlNode | undefined, at: string[], into: Map<string, string[]>, depth: number) {
  if (!node || into.size >= MAX_LEAVES || depth > MAX_DEPTH) return;
  if (node.kind === 'scalar') into.set(at.join('\0'), at);
  else if (node.kind === 'map') {
    for (const entry of node.entries) {
      if (entry.key.kind === 'scalar') collectLeaves(entry.value, [...at, entry.key.value], into, depth + 1);
    }
  }
}

const YAML11_TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const YAML11_FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const YAML11_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/;

/**
 * The text helm prints for a values scalar: helm reads values as YAML 1.1 (go-yaml v2) and turns them
 * into JSON, so an unquoted number becomes a float64 that Go prints in its shortest form (`1.20` → `1.2`,
 * `1000000` → `1e+06`, `010` → `8`), and `yes`/`on` become `true`. Quoted scalars print as written.
 */
export function helmText(node: YamlScalar): string {
  if (!node.plain) return node.value;
  const text = node.value;
  if (YAML11_TRUE.test(text)) return 'true';
  if (YAML11_FALSE.test(text)) return 'false';
  let number: number | undefined;
  if (GO_INT.test(text)) {
    const sign = text.startsWith('-') ? -1 : 1;
    const digits = text.replace(/^[-+]/, '').replace(/_/g, '');
    const radix = /^0[xX]/.test(digits)
      ? 16
      : /^0[bB]/.test(digits)
        ? 2
        : /^0[oO]?[0-7]/.test(digits)
          ? 8
          : 10;
    const body = radix === 8 ? digits.replace(/^0[oO]?/, '') : radix === 10 ? digits : digits.slice(2);
    number = sign * (body === '' ? 0 : parseInt(body, radix));
  } else if (YAML11_FLOAT.test(text)) number = Number(text);
  return number === undefined || !Number.isFinite(number) ? text : goFloat(number);
}

/** Go's `%v` of a float64: the shortest digits, in exponent form when the exponent is below -4 or 6 and up. */
function goFloat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}
