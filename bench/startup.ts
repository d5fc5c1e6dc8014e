// §4 Start-up and size: from spawning the action bundle to the first request its registry proxy sees,
// and the size of both bundles.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CountingProxy } from './proxy.js';
import { formatBlock, verdict, type Row } from './table.js';
import { median, runChild } from './util.js';

export interface StartupReport {
  rows: Row[];
  breakdown: string;
  details: Record<string, unknown>;
}

const SECTION = '4 start-up';
const RUNS = 5;
const GOAL_MS = 300;
/** 2 MB as 2,000,000 bytes. */
const GOAL_BYTES = 2_000_000;
const RUN_TIMEOUT_MS = 30_000;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ACTION_BUNDLE = path.join(ROOT, 'dist', 'index.js');
const CLI_BUNDLE = path.join(ROOT, 'dist', 'cli', 'index.js');

interface StartRun {
  firstConnectionMs?: number;
  firstHttpMs?: number;
  exitMs: number;
  code: number | null;
  outputs: boolean;
}

/** `image` must name a repository behind `proxy` (a plain-HTTP loopback registry). */
export async function benchStartup(
  proxy: CountingProxy,
  image: string,
  workDir: string,
): Promise<StartupReport> {
  const dir = path.join(workDir, 'startup');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'deploy.yaml'), deploymentYaml(image));
  const runOnce = () => startOnce(proxy, dir);
  await runOnce(); // warm the file cache; not counted
  const runs: StartRun[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runOnce());
  const node = await nodeBaseline();
  const sizes = { action: await sizeOf(ACTION_BUNDLE), cli: await sizeOf(CLI_BUNDLE) };
  return report(runs, node, sizes);
}

function deploymentYaml(image: string): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: startup, namespace: default}',
    'spec:',
    '  selector: {matchLabels: {app: startup}}',
    '  template:',
    '    metadata: {labels: {app: startup}}',
    '    spec:',
    '      containers:',
    `        - {name: app, image: "${image}"}`,
    '',
  ].join('\n');
}

async function startOnce(proxy: CountingProxy, dir: string): Promise<StartRun> {
  const summary = path.join(dir, 'summary.md');
  const output = path.join(dir, 'output.txt');
  await Promise.all([writeFile(summary, ''), writeFile(output, '')]);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: dir,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
    INPUT_PATHS: 'deploy.yaml',
    INPUT_SCAN: 'all',
    'INPUT_CHECK-RUN': 'false',
    'INPUT_FAIL-ON': 'never',
  };
  proxy.reset();
  const started = performance.now();
  const result = await runChild(process.execPath, [ACTION_BUNDLE], {
    env,
    cwd: dir,
    timeoutMs: RUN_TIMEOUT_MS,
  });
  const first = proxy.firstConnectionAt();
  const http = proxy.log()[0]?.arrivedAt;
  const outputs = (await readFile(output, 'utf8')).includes('images-checked');
  const run: StartRun = { exitMs: result.ms, code: result.code, outputs };
  if (first !== undefined) run.firstConnectionMs = first - started;
  if (http !== undefined) run.firstHttpMs = http - started;
  return run;
}

/** `node -e 0`: what any Node program pays before its first line runs. */
async function nodeBaseline(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++)
    times.push((await runChild(process.execPath, ['-e', '0'], { timeoutMs: 10_000 })).ms);
  return median(times);
}

async function sizeOf(file: string): Promise<{ bytes: number; modified: string } | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info ? { bytes: info.size, modified: info.mtime.toISOString() } : undefined;
}

function report(
  runs: StartRun[],
  nodeMs: number,
  sizes: Record<'action' | 'cli', { bytes: number; modified: string } | undefined>,
): StartupReport {
  const firsts = runs.flatMap((r) => (r.firstConnectionMs === undefined ? [] : [r.firstConnectionMs]));
  const https = runs.flatMap((r) => (r.firstHttpMs === undefined ? [] : [r.firstHttpMs]));
  const first = firsts.length === runs.length ? median(firsts) : NaN;
  const ok = runs.every((r) => r.code === 0 && r.outputs);
  const sizeRow = (name: string, size: { bytes: number } | undefined): Row => ({
    section: SECTION,
    figure: `bundle size ${name}`,
    value: size ? `${(size.bytes / 1e6).toFixed(2)} MB (${size.bytes} bytes)` : 'missing: run npm run build',
    goal: '< 2 MB',
    verdict: size ? verdict(size.bytes < GOAL_BYTES) : 'MISS',
  });
  const rows: Row[] = [
    {
      section: SECTION,
      figure: 'spawn → first request at registry',
      value: Number.isNaN(first) ? 'no request seen' : `${Math.round(first)} ms (median of ${RUNS})`,
      goal: `< ${GOAL_MS} ms`,
      verdict: verdict(first < GOAL_MS),
    },
    {
      section: SECTION,
      figure: 'spawn → first HTTP request parsed',
      value: `${Math.round(median(https))} ms; whole run ${Math.round(median(runs.map((r) => r.exitMs)))} ms`,
      goal: `node -e 0 alone: ${Math.round(nodeMs)} ms; runs ok: ${ok}`,
      verdict: 'INFO',
    },
    sizeRow('dist/index.js', sizes.action),
    sizeRow('dist/cli/index.js', sizes.cli),
  ];
  const breakdown = formatBlock('§4 start-up runs (ms after spawn)', [
    ...runs.map(
      (r, i) =>
        `run ${i + 1}: first connection ${fmt(r.firstConnectionMs)}, first HTTP request ${fmt(r.firstHttpMs)}, exit ${Math.round(r.exitMs)} (code ${r.code})`,
    ),
    'the first connection is the HTTPS attempt a loopback registry gets before plain HTTP',
    `bundles: ${JSON.stringify(sizes)}`,
  ]);
  return {
    rows,
    breakdown,
    details: { runs, nodeBaselineMs: nodeMs, sizes, goalMs: GOAL_MS, goalBytes: GOAL_BYTES },
  };
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? '-' : String(Math.round(ms));
}
