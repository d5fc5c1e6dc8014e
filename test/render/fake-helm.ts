import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from 'js-yaml';
import type { HelmRunner, HelmTemplateRequest } from '../../src/render/helm/runner.js';

/**
 * Stands in for `helm template` where helm is not installed: enough of Go templates for the test
 * charts (`.Values` paths, `.Chart.*`, `.Release.Name`, `default`, `include`, `fail`), printing the
 * documented output format: `---\n# Source: <chart>/templates/<file>\n<object>` per template.
 */
export function fakeHelm(): HelmRunner & { calls: HelmTemplateRequest[] } {
  const calls: HelmTemplateRequest[] = [];
  return {
    calls,
    async template(request) {
      calls.push(request);
      try {
        return { ok: true, stdout: await render(request) };
      } catch (error) {
        return { ok: false, missing: false, message: `Error: ${(error as Error).message}` };
      }
    },
  };
}

/** What the runner answers when helm is not on PATH. */
export const NO_HELM: HelmRunner = {
  template: async () => ({ ok: false, missing: true, message: 'helm is not installed' }),
};

type Tree = Record<string, unknown>;

async function render(request: HelmTemplateRequest): Promise<string> {
  let values = await readYaml(path.join(request.chartDir, 'values.yaml'));
  for (const file of request.valuesFiles) values = merge(values, await readYaml(file));
  for (const [key, value] of request.setString) {
    set(
      values,
      key.split(/(?<!\\)\./).map((k) => k.replace(/\\(.)/g, '$1')),
      value,
    );
  }
  return renderChart(request.chartDir, values, request.release, undefined);
}

async function readYaml(file: string): Promise<Tree> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return (load(text) ?? {}) as Tree;
}

/** A chart's templates, then its subcharts' (under `charts/`, with their values under their name). */
async function renderChart(dir: string, values: Tree, release: string, parent: string | undefined) {
  const chart = await readYaml(path.join(dir, 'Chart.yaml'));
  const source = parent ? `${parent}/charts/${String(chart.name)}` : String(chart.name);
  const templates = path.join(dir, 'templates');
  const helpers = new Map<string, string>();
  const files = (await readdir(templates)).sort();
  for (const file of files.filter((f) => f.endsWith('.tpl'))) {
    const text = await readFile(path.join(templates, file), 'utf8');
    for (const match of text.matchAll(/\{\{-? define "([^"]+)" -?\}\}\n?([\s\S]*?)\{\{-? end -?\}\}/g))
      helpers.set(match[1]!, match[2]!.trim());
  }
  const context = { values, chart, release, helpers };
  const out: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.yaml'))) {
    const text = await readFile(path.join(templates, file), 'utf8');
    out.push(`---\n# Source: ${source}/templates/${file}\n${expand(text, context)}`);
  }
  const subcharts = await readdir(path.join(dir, 'charts')).catch(() => [] as string[]);
  for (const name of subcharts.sort()) {
    const subdir = path.join(dir, 'charts', name);
    const own = await readYaml(path.join(subdir, 'values.yaml'));
    const given = isTree(values[name]) ? (values[name] as Tree) : {};
    out.push(await renderChart(subdir, merge(own, given), release, source));
  }
  return out.join('\n');
}

interface Context {
  values: Tree;
  chart: Tree;
  release: string;
  helpers: Map<string, string>;
}

function expand(text: string, context: Context): string {
  return text.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_all, expression: string) =>
    evaluate(expression, context),
  );
}

function evaluate(expression: string, context: Context): string {
  const include = /^include "([^"]+)" \.$/.exec(expression);
  if (include) return expand(context.helpers.get(include[1]!) ?? '', context);
  const fail = /^fail "([^"]*)"$/.exec(expression);
  if (fail) throw new Error(`execution error: ${fail[1]}`);
  const [first, ...pipes] = expression.split('|').map((part) => part.trim());
  let value = term(first!, context);
  for (const pipe of pipes) {
    const fallback = /^default (.+)$/.exec(pipe);
    if (fallback && (value === '' || value === undefined)) value = term(fallback[1]!, context);
  }
  return value === undefined ? '' : String(value);
}

function term(text: string, context: Context): unknown {
  if (text.startsWith('.Values.'))
    return text
      .slice(8)
      .split('.')
      .reduce<unknown>((at, key) => (at as Tree)?.[key], context.values);
  if (text === '.Chart.AppVersion') return context.chart.appVersion;
  if (text === '.Chart.Name') return context.chart.name;
  if (text === '.Release.Name') return context.release;
  throw new Error(`the fake helm does not understand {{ ${text} }}`);
}

function merge(base: Tree, over: Tree): Tree {
  const result: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    result[key] = isTree(current) && isTree(value) ? merge(current, value) : value;
  }
  return result;
}

function set(tree: Tree, keys: string[], value: string): void {
  let at = tree;
  for (const key of keys.slice(0, -1)) {
    if (!isTree(at[key])) at[key] = {};
    at = at[key] as Tree;
  }
  at[keys[keys.length - 1]!] = value;
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
