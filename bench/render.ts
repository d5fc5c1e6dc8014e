// Render time: each kustomize root of a real-shaped corpus (the kustomize examples vendored under
// test/fixtures/real-world) rendered by the scan against a bare `kubectl kustomize` of the same root.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { discoverManifestFiles } from '../src/manifests/files.js';
import { DEFAULT_RENDER_SETTINGS, renderManifests } from '../src/render/index.js';
import { DEFAULT_SETTINGS } from '../src/settings.js';
import { verdict, type Row } from './table.js';

const run = promisify(execFile);
const CORPUS = fileURLToPath(new URL('../../../test/fixtures/real-world/', import.meta.url));
/** [repository, root]: the kustomize examples, and kube-prometheus (1.2 MB rendered). */
const ROOTS: Array<[string, string]> = [
  ['kube-prometheus', '.'],
  ...[
    'helloWorld',
    'wordpress',
    'multibases',
    'springboot/overlays/production',
    'springboot/overlays/staging',
    'ldap/overlays/production',
    'ldap/overlays/staging',
  ].map((root): [string, string] => ['kustomize-examples', `examples/${root}`]),
];
const RUNS = Number(process.env['BENCH_RENDER_RUNS'] ?? 7);
const GOAL = 1.3;

/**
 * The fastest run of each: the machine is shared, and other work only ever adds time, so the minimum
 * is the figure least disturbed by it (medians moved by ±50% between identical runs).
 */
function fastest(values: number[]): number {
  return Math.min(...values);
}

export interface RenderTiming {
  root: string;
  bareMs: number;
  scanMs: number;
  ratio: number;
  /** CPU time (this process and its children) per run: what load on the machine cannot inflate. */
  bareCpuMs: number;
  scanCpuMs: number;
  images: number;
}

/** CPU milliseconds used by waited-for children (kubectl), from /proc (clock ticks of 10 ms). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** RUNS alternating runs of each, so load drifts hit both alike. */
export async function timeRoot(root: string, cwd: string, runs = RUNS): Promise<RenderTiming> {
  const bare: number[] = [];
  const scan: number[] = [];
  let images = 0;
  let bareCpu = 0;
  let scanCpu = 0;
  const files = await discoverManifestFiles([root], cwd);
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    let c0 = childrenCpuMs();
    await run('kubectl', ['kustomize', path.join(cwd, root)], { maxBuffer: 64 * 1024 * 1024 });
    bare.push(performance.now() - t0);
    bareCpu += childrenCpuMs() - c0;
    t0 = performance.now();
    c0 = childrenCpuMs() + ownCpuMs();
    const outcome = await renderManifests({
      cwd,
      paths: [root],
      files,
      defaultNamespace: 'default',
      settings: { ...DEFAULT_RENDER_SETTINGS, maxRoots: DEFAULT_SETTINGS.maxRenderRoots },
    });
    scan.push(performance.now() - t0);
    scanCpu += childrenCpuMs() + ownCpuMs() - c0;
    if (outcome.summary.roots.length !== 1) throw new Error(`${root} did not render`);
    images = outcome.manifests.images.length;
  }
  const bareMs = fastest(bare);
  const scanMs = fastest(scan);
  return {
    root,
    bareMs,
    scanMs,
    ratio: scanMs / bareMs,
    bareCpuMs: bareCpu / runs,
    scanCpuMs: scanCpu / runs,
    images,
  };
}

export async function benchRender(): Promise<{
  rows: Row[];
  breakdown: string;
  details: Record<string, unknown>;
}> {
  const timings: RenderTiming[] = [];
  for (const [repository, root] of ROOTS) {
    const timing = await timeRoot(root, path.join(CORPUS, repository));
    timings.push({ ...timing, root: `${repository}/${root}` });
  }
  const worst = timings.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const sum = (pick: (t: RenderTiming) => number) => timings.reduce((total, t) => total + pick(t), 0);
  const total = sum((t) => t.scanMs) / sum((t) => t.bareMs);
  const cpu = sum((t) => t.scanCpuMs) / sum((t) => t.bareCpuMs);
  const breakdown = [
    `render: ${timings.length} kustomize roots, fastest of ${RUNS} alternating runs each (scan render / bare kubectl kustomize)`,
    ...timings.map(
      (t) =>
        `  ${t.root.padEnd(32)} bare ${t.bareMs.toFixed(0).padStart(5)} ms  scan ${t.scanMs.toFixed(0).padStart(5)} ms  ×${t.ratio.toFixed(2)}  cpu ${t.bareCpuMs.toFixed(0)} → ${t.scanCpuMs.toFixed(0)} ms  (${t.images} images)`,
    ),
  ].join('\n');
  return {
    rows: [
      {
        section: 'r render',
        figure: 'worst root: scan / bare kustomize',
        value: `×${worst.ratio.toFixed(2)} (${worst.root})`,
        goal: `≤ ×${GOAL}`,
        verdict: verdict(worst.ratio <= GOAL),
      },
      {
        section: 'r render',
        figure: 'all roots: scan / bare kustomize',
        value: `×${total.toFixed(2)}`,
        goal: `≤ ×${GOAL}`,
        verdict: verdict(total <= GOAL),
      },
      {
        section: 'r render',
        figure: 'all roots: CPU, scan / bare',
        value: `×${cpu.toFixed(2)}`,
        goal: 'the same work, load-independent',
        verdict: 'INFO',
      },
    ],
    breakdown,
    details: { runs: RUNS, timings },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await benchRender();
  console.log(report.breakdown);
  for (const row of report.rows) console.log(`${row.verdict} ${row.figure}: ${row.value} (goal ${row.goal})`);
}
