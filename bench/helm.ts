// §6 Helm: a chart's render-and-map (renderManifests: helm template, the --set-string probe render,
// tracing every container back to its values line) against a bare `helm template` of the same chart.
// Offline: the charts' registries are never asked.
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverManifestFiles } from '../src/manifests/files.js';
import { DEFAULT_HELM_RUNNER } from '../src/render/helm/runner.js';
import { DEFAULT_RENDER_SETTINGS, renderManifests, type HelmRunner } from '../src/render/index.js';
import { DEFAULT_SETTINGS } from '../src/settings.js';
import { formatBlock, verdict, type Row } from './table.js';
import { median, round, runChild } from './util.js';

export interface HelmReport {
  rows: Row[];
  breakdown: string;
  details: Record<string, unknown>;
}

const SECTION = '6 helm';
const GOAL_RATIO = 1.5;
const WARM_UP = 2;
const RUNS = 9;
const TIMEOUT_MS = 60_000;
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/helm', import.meta.url));

interface BenchChart {
  name: string;
  dir: string;
  /** helm-values for the render-and-map (the bare render takes the same files). */
  values: string[];
}

interface Figures {
  chart: string;
  images: number;
  probes: boolean;
  oursMs: number;
  bareMs: number;
  /** From the first helm process's start to the last one's end, within a render-and-map. */
  helmMs: number;
  ratio: number;
}

export async function benchHelm(workDir: string): Promise<HelmReport> {
  const charts = await prepareCharts(path.join(workDir, 'helm'));
  const figures: Figures[] = [];
  for (const chart of charts) figures.push(await compare(chart));
  const rows: Row[] = figures.map((f) => ({
    section: SECTION,
    figure: `render-and-map / helm template (${f.chart})`,
    value: `${round(f.ratio, 2)}× (${round(f.oursMs)} ms vs ${round(f.bareMs)} ms)`,
    goal: `≤ ${GOAL_RATIO}×, probes included`,
    verdict: verdict(f.ratio <= GOAL_RATIO),
  }));
  const breakdown = formatBlock(
    'helm render-and-map vs bare helm template (medians)',
    figures.map(
      (f) =>
        `${f.chart}: ${f.images} containers traced, probe render ${f.probes ? 'run alongside' : 'not needed'}; ours ${round(f.oursMs)} ms (helm processes ${round(f.helmMs)} ms of it, first start to last end), helm template ${round(f.bareMs)} ms, ${round(f.ratio, 2)}×`,
    ),
  );
  return { rows, breakdown, details: { runs: RUNS, figures } };
}

/**
 * The bitnami-shaped chart with its `common` library vendored (as `helm dependency build` leaves it)
 * and values-prod.yaml, and the plain chart with helpers: copies, with a registry name that is never
 * asked.
 */
async function prepareCharts(dir: string): Promise<BenchChart[]> {
  await mkdir(dir, { recursive: true });
  const nginx = path.join(dir, 'nginx');
  await copyWithHost(path.join(FIXTURES, 'lab/nginx'), nginx);
  await copyWithHost(path.join(FIXTURES, 'lab/common'), path.join(nginx, 'charts/common'));
  const web = path.join(dir, 'web');
  await cp(path.join(FIXTURES, 'web'), web, { recursive: true });
  return [
    { name: 'nginx', dir: nginx, values: ['values-prod.yaml'] },
    { name: 'web', dir: web, values: ['values-prod.yaml'] },
  ];
}

async function copyWithHost(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
  for (const entry of await readdir(to, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    if (text.includes('LAB_REGISTRY'))
      await writeFile(file, text.split('LAB_REGISTRY').join('registry.bench'));
  }
}

async function compare(chart: BenchChart): Promise<Figures> {
  const files = await discoverManifestFiles([chart.dir], chart.dir);
  // When each helm process of a render-and-map started and ended, from its start.
  let spans: Array<[number, number]> = [];
  let t0 = 0;
  const timed: HelmRunner = {
    ...DEFAULT_HELM_RUNNER,
    async template(request) {
      const start = performance.now() - t0;
      const result = await DEFAULT_HELM_RUNNER.template(request);
      spans.push([start, performance.now() - t0]);
      return result;
    },
  };
  const ours = async () => {
    spans = [];
    t0 = performance.now();
    const outcome = await renderManifests({
      cwd: chart.dir,
      paths: ['.'],
      files,
      defaultNamespace: 'default',
      settings: {
        ...DEFAULT_RENDER_SETTINGS,
        maxRoots: DEFAULT_SETTINGS.maxRenderRoots,
        helmValues: chart.values,
        helmRunner: timed,
      },
    });
    const ms = performance.now() - t0;
    const problems = outcome.manifests.problems.map((p) => `${p.kind}: ${p.message}`);
    if (problems.length > 0) throw new Error(`${chart.name} did not render: ${problems.join('; ')}`);
    const helmMs = Math.max(...spans.map(([, end]) => end)) - Math.min(...spans.map(([start]) => start));
    return { ms, images: outcome.manifests.images.length, probes: spans.length > 1, helmMs };
  };
  const bare = async () => {
    const args = ['template', chart.name, chart.dir, '--skip-tests'];
    for (const file of chart.values) args.push('--values', path.join(chart.dir, file));
    const result = await runChild('helm', args, { timeoutMs: TIMEOUT_MS });
    if (result.code !== 0) throw new Error(`helm template ${chart.name} failed: ${result.stderr}`);
    return result.ms;
  };
  let warm = { images: 0, probes: false, helmMs: 0 };
  for (let i = 0; i < WARM_UP; i++) {
    warm = await ours();
    await bare();
  }
  const a: number[] = [];
  const b: number[] = [];
  const helm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2) b.push(await bare());
    const run = await ours();
    a.push(run.ms);
    helm.push(run.helmMs);
    if (!(i % 2)) b.push(await bare());
  }
  const helmMs = median(helm);
  const oursMs = median(a);
  const bareMs = median(b);
  return {
    chart: chart.name,
    images: warm.images,
    probes: warm.probes,
    oursMs,
    bareMs,
    helmMs,
    ratio: oursMs / bareMs,
  };
}
