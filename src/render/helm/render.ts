import path from 'node:path';
import type { SourceLocation } from '../../findings.js';
import { reportPath } from '../../manifests/files.js';
import { emptyManifestSet, extractFromDocuments } from '../../manifests/extract.js';
import type { ImagePathSpec } from '../../manifests/custom-resources.js';
import type { ContainerImage, ManifestSet } from '../../manifests/types.js';
import { splitImage } from '../kustomize/image-tag.js';
import type { ToolResult } from '../process.js';
import { addProblem, extractRendered, type TracedImage } from '../remap.js';
import { scalarsWithValue, textOccurrences, type SourceFile, type SourceFiles } from '../sources.js';
import { chartLabel, isInside, type Chart, type Dependency, type ValuesSet } from './chart.js';
import { missingDependencies, linksOutOfRoot, prepareChart, type ChartLayout } from './dependencies.js';
import { splitHelmOutput, type HelmDocument } from './output.js';
import { setKey, type HelmRunner, type HelmTemplateRequest } from './runner.js';
import { ChartTemplates, type ImageSite } from './templates.js';
import {
  helmText,
  probeablePaths,
  templateContext,
  valuesKeys,
  type ValuesKey,
  type ValuesLayer,
} from './values.js';

export interface HelmRenderOptions {
  cwd: string;
  defaultNamespace: string;
  /** Configuration-file `imagePaths`. */
  imagePaths?: readonly ImagePathSpec[];
  runner: HelmRunner;
  timeoutMs: number;
  /** helm-dependencies: build dependencies that are not vendored, fetching them over the network. */
  dependencies: boolean;
  /** Addresses a dependency build may not fetch from (link-local, metadata). */
  mayNotFetch?: (address: string) => boolean;
}

/** A scalar that set part of an image: as written, and as helm prints it. */
type WrittenValue = Pick<ValuesKey, 'written' | 'value' | 'renders' | 'source' | 'node'>;

/** What one rendered container's template says about it. */
interface Plan {
  site?: ImageSite;
  keys: ValuesKey[];
  layers: ValuesLayer[];
  /** The top-level subchart the template belongs to, if any. */
  subchart?: string;
}

/** A chart ready to render: where helm reads it, and how its files map back to the user's. */
interface Prepared {
  layout: ChartLayout;
  dependencies: Dependency[];
  read: (file: string) => Promise<SourceFile | undefined>;
  /** Files a dependency build fetched: no line of theirs is reported. */
  foreign: (source: SourceFile) => boolean;
  /** The chart's templates and helpers, read once for all its values sets. */
  templates: ChartTemplates;
}

/** At most this many values keys are confirmed per render (one extra render confirms them all). */
const MAX_PROBES = 64;
const probeValue = (index: number) => `preflightprobe${index}x`;

/** Renders charts with `helm template` and maps their containers back to values, Chart.yaml or templates. */
export class HelmRenderer {
  private missing = false;
  private installed?: Promise<boolean>;
  private readonly prepared = new Map<Chart, Promise<Prepared | undefined>>();

  constructor(
    private readonly sources: SourceFiles,
    private readonly options: HelmRenderOptions,
  ) {}

  /**
   * Whether helm can render the chart: its dependencies are vendored or were built into a temporary
   * copy. When not, the reason is a finding on the chart (once) and helm never renders it, so it
   * takes nothing from the render budget.
   */
  async renderable(chart: Chart, into: ManifestSet): Promise<boolean> {
    let prepared = this.prepared.get(chart);
    if (!prepared) {
      prepared = this.prepare(chart, into);
      this.prepared.set(chart, prepared);
    }
    return (await prepared) !== undefined;
  }

  /** Removes the temporary copies dependency builds made. */
  async close(): Promise<void> {
    const prepared = await Promise.all(this.prepared.values());
    this.prepared.clear();
    await Promise.all(prepared.map((chart) => chart?.layout.dispose()));
  }

  async render(chart: Chart, set: ValuesSet, into: ManifestSet): Promise<boolean> {
    if (!(await this.renderable(chart, into))) return false;
    const prepared = (await this.prepared.get(chart))!;
    for (const file of set.files) {
      if (!(await linksOutOfRoot(file, this.options.cwd))) continue;
      addProblem(into, {
        kind: 'helm-render-error',
        ...chart.anchor,
        message: `${set.label} was not rendered and its images were not checked: ${reportPath(file, this.options.cwd)} links to outside the repository, which helm would read.`,
      });
      return false;
    }
    const request: HelmTemplateRequest = {
      release: releaseName(chart.name),
      chartDir: prepared.layout.dir,
      valuesFiles: set.files,
      setString: [],
      timeoutMs: this.options.timeoutMs,
    };
    if (this.missing) {
      this.helmMissing(chart, into);
      return false;
    }
    // The probe render needs nothing from the plain one: it starts while the plain one runs.
    const plain = this.options.runner.template(request);
    const { templates } = prepared;
    const probes = await this.probes(chart, prepared, set, templates);
    const [result, probed] = await Promise.all([
      plain,
      probes.size > 0 ? this.options.runner.template({ ...request, setString: [...probes] }) : undefined,
    ]);
    if (!result.ok && result.missing) {
      this.helmMissing(chart, into);
      return false;
    }
    if (!result.ok) {
      addProblem(into, {
        kind: 'helm-render-error',
        ...chart.anchor,
        message: `helm template ${set.label} fails: ${this.clean(result.message, prepared.layout.dir, chart)}`,
      });
      return false;
    }
    const documents = splitHelmOutput(result.stdout);
    const plans = new Map<string, Plan>();
    for (const document of documents) {
      for (const image of plainImages(document, this.options.defaultNamespace, this.options.imagePaths)) {
        plans.set(keyOf(image), await this.plan(prepared, set, templates, document, image));
      }
    }
    const confirmed = this.confirm(probes, probed);
    for (const document of documents) {
      await extractRendered(
        document.root,
        document.text,
        set.label,
        {
          image: async (image) => {
            const plan = plans.get(keyOf(image));
            const traced = this.choose(chart, prepared, plan, image, confirmed);
            if (traced.key) this.checkNumber(traced.key, image, into);
            return traced;
          },
          value: async (value) => this.locateValue(chart, prepared, plans, value),
        },
        this.options.defaultNamespace,
        into,
        this.options.imagePaths,
      );
    }
    return true;
  }

  private helmMissing(chart: Chart, into: ManifestSet): void {
    this.missing = true;
    addProblem(into, {
      kind: 'render-tool-missing',
      ...chart.anchor,
      message: `${chartLabel(chart, this.options.cwd)} was not rendered and its images were not checked: helm is not installed. Install it before this step (for example with azure/setup-helm) to check the chart.`,
    });
  }

  private async prepare(chart: Chart, into: ManifestSet): Promise<Prepared | undefined> {
    this.installed ??= this.options.runner.installed();
    if (!(await this.installed)) {
      this.helmMissing(chart, into);
      return undefined;
    }
    const { dependencies } = chart;
    const missing = await missingDependencies(chart, dependencies, this.sources);
    const result = await prepareChart(chart, dependencies, missing, {
      network: this.options.dependencies,
      root: this.options.cwd,
      ...(this.options.mayNotFetch ? { mayNotFetch: this.options.mayNotFetch } : {}),
      timeoutMs: this.options.timeoutMs,
      runner: this.options.runner,
    });
    const label = chartLabel(chart, this.options.cwd);
    if (!result.ok && result.missing) {
      const named = result.missing.map((d) => `${d.name} (${d.repository || 'no repository'})`).join(', ');
      addProblem(into, {
        kind: 'helm-dependencies-missing',
        ...result.missing[0]!.location,
        message: `${label} was not rendered and its images were not checked: its ${result.missing.length === 1 ? 'dependency' : 'dependencies'} ${named} ${result.missing.length === 1 ? 'is' : 'are'} not in ${label}/charts. Set helm-dependencies: true (CLI --helm-dependencies) to let the check run helm dependency build, or vendor ${result.missing.length === 1 ? 'it' : 'them'} there.`,
      });
      return undefined;
    }
    if (!result.ok) {
      if (result.toolMissing) this.helmMissing(chart, into);
      else
        addProblem(into, {
          kind: 'helm-render-error',
          ...(result.at ?? missing[0]!.location),
          message: result.at
            ? `${label} was not rendered and its images were not checked: ${result.message}.`
            : `helm dependency build ${label} fails: ${this.clean(result.message, undefined, chart)}`,
        });
      return undefined;
    }
    const { layout } = result;
    const copied = layout.dir !== chart.dir;
    const read = (file: string) => this.sources.get(layout.userFile(file) ?? file);
    const foreign = (source: SourceFile) => copied && isInside(layout.dir, source.absolute);
    return { layout, dependencies, read, foreign, templates: new ChartTemplates(layout.dir, read) };
  }

  /**
   * helm's message without its `Error:` prefix, on one line, with paths relative to the working
   * directory (a temporary copy's path as the chart's own).
   */
  private clean(message: string, copy: string | undefined, chart: Chart): string {
    // helm's advice to rerun with --debug is for its own command line, not this check's.
    let text = message
      .replace(/^Error: /, '')
      .replace(/\s*Use --debug flag to render out invalid YAML\s*$/, '');
    if (copy && copy !== chart.dir) text = text.split(copy).join(chart.dir);
    return text.split(`${this.options.cwd}${path.sep}`).join('').replace(/\s+/g, ' ').trim();
  }

  private async plan(
    prepared: Prepared,
    set: ValuesSet,
    templates: ChartTemplates,
    document: HelmDocument,
    image: ContainerImage,
  ): Promise<Plan> {
    const context = document.source
      ? await templateContext(prepared.layout.dir, document.source, set.files, prepared.read)
      : undefined;
    if (!context) return { keys: [], layers: [] };
    const site = await templates.site(context.templateFile, image);
    const keys = site ? valuesKeys(context.layers, context.subcharts, site.refs, image.image) : [];
    return {
      ...(site ? { site } : {}),
      keys,
      layers: context.layers,
      ...(context.subcharts[0] ? { subchart: context.subcharts[0] } : {}),
    };
  }

  /**
   * A distinct probe value for every values key an `image:` line of the chart may read (through its
   * helpers too), from the values files of this render.
   */
  private async probes(
    chart: Chart,
    prepared: Prepared,
    set: ValuesSet,
    templates: ChartTemplates,
  ): Promise<Map<string, string>> {
    const probes = new Map<string, string>();
    for (const { file, refs } of await templates.imageRefs()) {
      const relative = path.relative(prepared.layout.dir, file).split(path.sep).join('/');
      const context = await templateContext(
        prepared.layout.dir,
        `${chart.name}/${relative}`,
        set.files,
        prepared.read,
      );
      if (!context) continue;
      for (const leaf of probeablePaths(context.layers, context.subcharts, refs)) {
        const key = setKey(leaf);
        if (!probes.has(key) && probes.size < MAX_PROBES) probes.set(key, probeValue(probes.size));
      }
    }
    return probes;
  }

  /**
   * From the render with every candidate key set to its probe: a key is confirmed for a container when
   * its probe shows up in that container's image. Undefined when nothing could be confirmed that way
   * (no candidates, or the probe render failed).
   */
  private confirm(probes: Map<string, string>, probed: ToolResult | undefined) {
    if (!probed?.ok) return undefined;
    const images = new Map<string, string>();
    for (const document of splitHelmOutput(probed.stdout)) {
      for (const image of plainImages(document, this.options.defaultNamespace, this.options.imagePaths))
        images.set(keyOf(image), image.image);
    }
    return (container: string, key: ValuesKey) =>
      images.get(container)?.includes(probes.get(setKey(key.setPath)) ?? '\0') ?? false;
  }

  private choose(
    chart: Chart,
    prepared: Prepared,
    plan: Plan | undefined,
    image: ContainerImage,
    confirmed: ((container: string, key: ValuesKey) => boolean) | undefined,
  ): TracedImage & { key?: WrittenValue } {
    const { tag, digest } = splitImage(image.image);
    const decides = (key: ValuesKey) => key.renders === tag || key.value === digest;
    const keys = plan?.keys ?? [];
    const container = keyOf(image);
    const sure = confirmed ? keys.filter((key) => confirmed(container, key)) : [];
    // What a dependency build fetched is not the user's to edit: the dependency's entry in Chart.yaml is.
    const dependency = (): TracedImage => {
      const entry = prepared.dependencies.find((d) => d.name === plan?.subchart);
      return {
        location: entry?.location ?? chart.anchor,
        mapping: 'root',
        via: `from the dependency ${plan?.subchart ?? ''} of ${chart.source.file}`,
      };
    };
    const fromKey = (
      key: ValuesKey,
      mapping: 'derived' | 'heuristic',
    ): TracedImage & { key?: WrittenValue } =>
      prepared.foreign(key.source)
        ? dependency()
        : {
            location: key.source.locate(key.node),
            mapping,
            via: `${mapping === 'derived' ? 'set' : 'probably set'} by ${key.source.file} ${key.written}`,
            ...(mapping === 'derived' ? { key } : {}),
          };
    const byTag = sure.find(decides);
    if (byTag) return fromKey(byTag, 'derived');
    const appVersion = chart.appVersion;
    // A subchart falls back to its own appVersion, not this chart's.
    const own = plan?.subchart === undefined;
    // helm reads Chart.yaml's appVersion like a values file: unquoted 1.20 renders 1.2.
    const renders = appVersion && helmText(appVersion);
    // Charts often prefix it (kube-state-metrics: `printf "v%s" .Chart.AppVersion`).
    const fromAppVersion = renders !== undefined && (tag === renders || tag === `v${renders}`);
    if (own && plan?.site?.appVersion && appVersion && fromAppVersion && !keys.some(decides)) {
      return {
        location: chart.source.locate(appVersion),
        mapping: 'derived',
        via: `appVersion in ${chart.source.file}`,
        key: {
          written: 'appVersion',
          value: appVersion.value,
          renders,
          source: chart.source,
          node: appVersion,
        },
      };
    }
    // Of several keys, the one from the highest-precedence file: the one a person chose for this render.
    const highest = (list: ValuesKey[]) => list.find(decides) ?? rankByLayer(list, plan?.layers ?? [])[0];
    const key = highest(sure);
    if (key) return fromKey(key, 'derived');
    const guess = confirmed ? undefined : highest(keys);
    if (guess) return fromKey(guess, 'heuristic');
    const site = plan?.site;
    if (site && prepared.foreign(site.template)) return dependency();
    if (site) {
      const literal =
        !site.value.includes('{{') && site.value.replace(/^(["'])(.*)\1$/, '$2') === image.image;
      return {
        location: site.location,
        mapping: literal ? 'exact' : 'heuristic',
        via: literal ? `as written in ${site.template.file}` : `from the image line of ${site.template.file}`,
      };
    }
    return { location: chart.anchor, mapping: 'root', via: `traced no further than ${chart.source.file}` };
  }

  /**
   * A values tag written as a number renders as Go prints that number (`1.20` → `1.2`): a warning on
   * the key when that changed the text, since the image pulled is not the one the file appears to name.
   */
  private checkNumber(key: WrittenValue, image: ContainerImage, into: ManifestSet): void {
    if (key.renders === key.value || !key.node.plain) return;
    addProblem(into, {
      kind: 'helm-values-number',
      ...key.source.locate(key.node),
      message: `${key.written} is written ${key.value}, an unquoted number to YAML, so helm renders it as ${key.renders}: the image is ${image.image}. Quote it (${key.written.split('.').pop()}: "${key.value}") to keep the text as written.`,
    });
  }

  /** A pull secret's name and the like: a unique mention in a template or values file, else the chart. */
  private async locateValue(
    chart: Chart,
    prepared: Prepared,
    plans: Map<string, Plan>,
    value: string,
  ): Promise<SourceLocation> {
    if (value === '') return chart.anchor;
    const templates = new Set(
      [...plans.values()].flatMap((plan) =>
        plan.site && !prepared.foreign(plan.site.template) ? [plan.site.template] : [],
      ),
    );
    const hits = [...templates].flatMap((template) =>
      textOccurrences(template, value, 2).map((offset) => template.at(offset, value.length)),
    );
    if (hits.length === 1) return hits[0]!;
    const layers = ([...plans.values()][0]?.layers ?? []).filter((layer) => !prepared.foreign(layer.source));
    const scalars = layers.flatMap((layer) =>
      scalarsWithValue(layer.source, value).map((node) => layer.source.locate(node)),
    );
    return scalars.length === 1 ? scalars[0]! : chart.anchor;
  }
}

/** A release name helm accepts (lowercase DNS label, at most 53 characters), from the chart's name. */
export function releaseName(chartName: string): string {
  const name = chartName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 53)
    .replace(/-+$/, '');
  return name || 'release';
}

function rankByLayer(keys: ValuesKey[], layers: ValuesLayer[]): ValuesKey[] {
  const rank = (key: ValuesKey) => layers.findIndex((layer) => layer.source === key.source);
  return [...keys].sort((a, b) => rank(b) - rank(a));
}

function plainImages(
  document: HelmDocument,
  defaultNamespace: string,
  imagePaths: readonly ImagePathSpec[] = [],
): ContainerImage[] {
  const set = emptyManifestSet();
  extractFromDocuments(
    '<rendered>',
    document.text,
    [{ root: document.root }],
    { defaultNamespace, imagePaths },
    set,
  );
  return set.images;
}

function keyOf(image: ContainerImage): string {
  const { kind, name } = image.pod.resource;
  return `${kind}/${name}\0${image.field}\0${image.container}`;
}
