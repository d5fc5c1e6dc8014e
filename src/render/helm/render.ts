import path from 'node:path';
import type { SourceLocation } from '../../findings.js';
import { emptyManifestSet, extractFromDocuments } from '../../manifests/extract.js';
import type { ContainerImage, ManifestSet } from '../../manifests/types.js';
import { str } from '../../manifests/yaml-tree.js';
import { splitImage } from '../kustomize/image-tag.js';
import { addProblem, extractRendered, type TracedImage } from '../remap.js';
import { scalarsWithValue, textOccurrences, type SourceFiles } from '../sources.js';
import { chartLabel, type Chart, type ValuesSet } from './chart.js';
import { splitHelmOutput, type HelmDocument } from './output.js';
import { setKey, type HelmRunner, type HelmTemplateRequest } from './runner.js';
import { ChartTemplates, type ImageSite } from './templates.js';
import { templateContext, valuesKeys, type ValuesKey, type ValuesLayer } from './values.js';

export interface HelmRenderOptions {
  cwd: string;
  defaultNamespace: string;
  runner: HelmRunner;
  timeoutMs: number;
}

/** What one rendered container's template says about it. */
interface Plan {
  site?: ImageSite;
  keys: ValuesKey[];
  layers: ValuesLayer[];
}

/** At most this many values keys are confirmed per render (one extra render confirms them all). */
const MAX_PROBES = 64;
const probeValue = (index: number) => `preflightprobe${index}x`;

/** Renders charts with `helm template` and maps their containers back to values, Chart.yaml or templates. */
export class HelmRenderer {
  private missing = false;

  constructor(
    private readonly sources: SourceFiles,
    private readonly options: HelmRenderOptions,
  ) {}

  async render(chart: Chart, set: ValuesSet, into: ManifestSet): Promise<boolean> {
    const request: HelmTemplateRequest = {
      release: releaseName(chart.name),
      chartDir: chart.dir,
      valuesFiles: set.files,
      setString: [],
      timeoutMs: this.options.timeoutMs,
    };
    const result = this.missing ? undefined : await this.options.runner.template(request);
    if (!result || (!result.ok && result.missing)) {
      this.missing = true;
      addProblem(into, {
        kind: 'render-tool-missing',
        ...chart.anchor,
        message: `${chartLabel(chart, this.options.cwd)} was not rendered and its images were not checked: helm is not installed. Install it before this step (for example with azure/setup-helm) to check the chart.`,
      });
      return false;
    }
    if (!result.ok) {
      addProblem(into, {
        kind: 'helm-render-error',
        ...chart.anchor,
        message: `helm template ${set.label} fails: ${this.clean(result.message)}`,
      });
      return false;
    }
    const documents = splitHelmOutput(result.stdout);
    const templates = new ChartTemplates(chart.dir, this.sources);
    const plans = new Map<string, Plan>();
    for (const document of documents) {
      for (const image of plainImages(document, this.options.defaultNamespace)) {
        plans.set(keyOf(image), await this.plan(chart, set, templates, document, image));
      }
    }
    const confirmed = await this.confirm(request, plans);
    for (const document of documents) {
      await extractRendered(
        document.root,
        document.text,
        set.label,
        {
          image: async (image) => this.choose(chart, plans.get(keyOf(image)), image, confirmed),
          value: async (value) => this.locateValue(chart, plans, value),
        },
        this.options.defaultNamespace,
        into,
      );
    }
    return true;
  }

  /** helm's message without its `Error:` prefix, on one line, with paths relative to the working directory. */
  private clean(message: string): string {
    return message
      .replace(/^Error: /, '')
      .split(`${this.options.cwd}${path.sep}`)
      .join('')
      .replace(/\s+/g, ' ')
      .trim();
  }

  private async plan(
    chart: Chart,
    set: ValuesSet,
    templates: ChartTemplates,
    document: HelmDocument,
    image: ContainerImage,
  ): Promise<Plan> {
    const context = document.source
      ? await templateContext(chart.dir, document.source, set.files, this.sources)
      : undefined;
    if (!context) return { keys: [], layers: [] };
    const site = await templates.site(context.templateFile, image);
    const keys = site ? valuesKeys(context.layers, context.subcharts, site.refs, image.image) : [];
    return { ...(site ? { site } : {}), keys, layers: context.layers };
  }

  /**
   * Renders once more with every candidate key set to a distinct probe value: a key is confirmed for
   * a container when its probe shows up in that container's image. Undefined when nothing could be
   * confirmed that way (no candidates, or the probe render failed).
   */
  private async confirm(request: HelmTemplateRequest, plans: Map<string, Plan>) {
    const probes = new Map<string, string>();
    for (const plan of plans.values()) {
      for (const key of plan.keys) {
        const set = setKey(key.setPath);
        if (!probes.has(set) && probes.size < MAX_PROBES) probes.set(set, probeValue(probes.size));
      }
    }
    if (probes.size === 0) return undefined;
    const probed = await this.options.runner.template({ ...request, setString: [...probes] });
    if (!probed.ok) return undefined;
    const images = new Map<string, string>();
    for (const document of splitHelmOutput(probed.stdout)) {
      for (const image of plainImages(document, this.options.defaultNamespace))
        images.set(keyOf(image), image.image);
    }
    return (container: string, key: ValuesKey) =>
      images.get(container)?.includes(probes.get(setKey(key.setPath)) ?? '\0') ?? false;
  }

  private choose(
    chart: Chart,
    plan: Plan | undefined,
    image: ContainerImage,
    confirmed: ((container: string, key: ValuesKey) => boolean) | undefined,
  ): TracedImage {
    const { tag, digest } = splitImage(image.image);
    const decides = (key: ValuesKey) => key.value === tag || key.value === digest;
    const keys = plan?.keys ?? [];
    const container = keyOf(image);
    const sure = confirmed ? keys.filter((key) => confirmed(container, key)) : [];
    const fromKey = (key: ValuesKey, mapping: 'derived' | 'heuristic'): TracedImage => ({
      location: key.source.locate(key.node),
      mapping,
      via: `${mapping === 'derived' ? 'set' : 'probably set'} by ${key.source.file} ${key.written}`,
    });
    const byTag = sure.find(decides);
    if (byTag) return fromKey(byTag, 'derived');
    const appVersion = chart.appVersion;
    if (plan?.site?.appVersion && appVersion && str(appVersion) === tag && !keys.some(decides)) {
      return {
        location: chart.source.locate(appVersion),
        mapping: 'derived',
        via: `appVersion in ${chart.source.file}`,
      };
    }
    // Of several keys, the one from the highest-precedence file: the one a person chose for this render.
    const highest = (list: ValuesKey[]) => list.find(decides) ?? rankByLayer(list, plan?.layers ?? [])[0];
    const key = highest(sure);
    if (key) return fromKey(key, 'derived');
    const guess = confirmed ? undefined : highest(keys);
    if (guess) return fromKey(guess, 'heuristic');
    const site = plan?.site;
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

  /** A pull secret's name and the like: a unique mention in a template or values file, else the chart. */
  private async locateValue(chart: Chart, plans: Map<string, Plan>, value: string): Promise<SourceLocation> {
    if (value === '') return chart.anchor;
    const templates = new Set([...plans.values()].flatMap((plan) => (plan.site ? [plan.site.template] : [])));
    const hits = [...templates].flatMap((template) =>
      textOccurrences(template, value, 2).map((offset) => template.at(offset, value.length)),
    );
    if (hits.length === 1) return hits[0]!;
    const layers = [...plans.values()][0]?.layers ?? [];
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

function plainImages(document: HelmDocument, defaultNamespace: string): ContainerImage[] {
  const set = emptyManifestSet();
  extractFromDocuments('<rendered>', document.text, [{ root: document.root }], { defaultNamespace }, set);
  return set.images;
}

function keyOf(image: ContainerImage): string {
  const { kind, name } = image.pod.resource;
  return `${kind}/${name}\0${image.field}\0${image.container}`;
}
