// §2 Wall time with 50 ms of added latency per request: our scan, the same engine at concurrency 1,
// and the sequential `skopeo inspect` loop teams script today.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_REGISTRY_SETTINGS } from '../src/scan.js';
import { findOnPath } from '../test/harness/tools.js';
import type { Lab, LabRef } from './lab.js';
import { checkStatuses, proxyCounts, resetObservers, scanLab, sumKinds, tokenLog } from './scan-lab.js';
import { formatBlock, verdict, type Row } from './table.js';
import { describeTimeline, timelines, type RegistryTimeline } from './timeline.js';
import { runChild } from './util.js';

export interface WallTimeReport {
  rows: Row[];
  breakdown: string;
  details: Record<string, unknown>;
}

const SECTION = '2 wall time';
export const DELAY_MS = 50;
const GOAL_SPEEDUP = 20;
/** Our scan is short and the machine may be shared: the median of a few runs. */
const OUR_RUNS = 3;
const SKOPEO_TIMEOUT_MS = 20_000;
/** References the skopeo loop runs by default (every tenth); BENCH_SKOPEO_SAMPLE=500 runs them all. */
const DEFAULT_SKOPEO_SAMPLE = 50;
/** The loop stops early past this, and extrapolates from what it ran. */
const SKOPEO_BUDGET_MS = 180_000;
export const SKOPEO_MISSING = 'skipped: install skopeo (apt-get install -y skopeo)';

interface EngineRun {
  ms: number;
  requests: number;
  correct: number;
  timelines: RegistryTimeline[];
}

export interface SkopeoRun {
  ran: number;
  ms: number;
  meanMs: number;
  /** Estimated time for every reference (equals `ms` when all ran). */
  totalMs: number;
  agreed: number;
  timedOut: number;
  sampleLabel: string;
}

export async function benchWallTime(lab: Lab, workDir: string): Promise<WallTimeReport> {
  for (const proxy of Object.values(lab.proxies)) proxy.setDelay(DELAY_MS);
  try {
    const runs: EngineRun[] = [];
    for (let i = 0; i < OUR_RUNS; i++) runs.push(await engineRun(lab, {}));
    const ours = [...runs].sort((a, b) => a.ms - b.ms)[OUR_RUNS >> 1]!;
    const serial = await engineRun(lab, { concurrency: 1, perRegistryConcurrency: 1 });
    const skopeo = findOnPath('skopeo') ? await skopeoLoop(lab, workDir) : undefined;
    return report(lab, ours, runs, serial, skopeo);
  } finally {
    for (const proxy of Object.values(lab.proxies)) proxy.setDelay(0);
  }
}

async function engineRun(
  lab: Lab,
  limits: { concurrency?: number; perRegistryConcurrency?: number },
): Promise<EngineRun> {
  await resetObservers(lab);
  const startedAt = performance.now();
  const { result, ms } = await scanLab(lab, limits);
  const http = Object.values(sumKinds(proxyCounts(lab))).reduce((a, b) => a + b, 0);
  const tokens = (await tokenLog(lab)).length;
  const statuses = checkStatuses(lab, result);
  return {
    ms,
    requests: http + tokens,
    correct: statuses.checked - statuses.wrong.length,
    timelines: timelines(lab, startedAt, DELAY_MS),
  };
}

/** A deterministic sample: every k-th reference of the lab's (seeded) order. */
export function sampleRefs(refs: readonly LabRef[], size: number): LabRef[] {
  if (size >= refs.length) return [...refs];
  const stride = refs.length / size;
  return Array.from({ length: size }, (_, i) => refs[Math.floor(i * stride)]!);
}

function sampleSize(total: number): number {
  const asked = Number(process.env['BENCH_SKOPEO_SAMPLE'] ?? DEFAULT_SKOPEO_SAMPLE);
  return Number.isInteger(asked) && asked > 0 ? Math.min(asked, total) : DEFAULT_SKOPEO_SAMPLE;
}

/** `skopeo inspect --raw` over a sample of `refs`, one after the other, as teams script it today. */
export async function skopeoLoop(
  lab: Lab,
  workDir: string,
  refs: readonly LabRef[] = lab.refs,
  image: (ref: LabRef) => string = lab.image,
): Promise<SkopeoRun> {
  const authFile = path.join(workDir, 'skopeo-auth.json');
  await writeFile(authFile, '{"auths":{}}\n');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: workDir, REGISTRY_AUTH_FILE: authFile };
  const sample = sampleRefs(refs, sampleSize(refs.length));
  const started = performance.now();
  let ran = 0;
  let agreed = 0;
  let timedOut = 0;
  for (const ref of sample) {
    if (performance.now() - started > SKOPEO_BUDGET_MS) break;
    const result = await runChild('skopeo', skopeoArgs(lab, ref, image), {
      env,
      timeoutMs: SKOPEO_TIMEOUT_MS,
    });
    ran++;
    if (result.timedOut) timedOut++;
    if ((result.code === 0) === (ref.expected !== 'not-found')) agreed++;
  }
  const ms = performance.now() - started;
  const meanMs = ms / Math.max(ran, 1);
  const all = ran === refs.length;
  return {
    ran,
    ms,
    meanMs,
    totalMs: all ? ms : meanMs * refs.length,
    agreed,
    timedOut,
    sampleLabel: all
      ? `all ${ran} run`
      : `EXTRAPOLATED linearly from a sample of N=${ran} (every ${Math.round(refs.length / sample.length)}th ref)`,
  };
}

function skopeoArgs(lab: Lab, ref: LabRef, image: (ref: LabRef) => string): string[] {
  const credential = ref.withSecret ? lab.credentials(ref.registry) : undefined;
  return [
    'inspect',
    '--raw',
    '--tls-verify=false',
    ...(credential ? ['--creds', `${credential.username}:${credential.password}`] : []),
    `docker://${image(ref)}`,
  ];
}

function report(
  lab: Lab,
  ours: EngineRun,
  runs: EngineRun[],
  serial: EngineRun,
  skopeo: SkopeoRun | undefined,
): WallTimeReport {
  const n = lab.refs.length;
  const rows: Row[] = [
    {
      section: SECTION,
      figure: `ours, ${n} refs (defaults ${DEFAULT_REGISTRY_SETTINGS.concurrency}/${DEFAULT_REGISTRY_SETTINGS.perRegistryConcurrency})`,
      value: `${Math.round(ours.ms)} ms (median of ${runs.length}), ${ours.requests} requests`,
      goal: `verdicts ${ours.correct}/${n} correct`,
      verdict: 'INFO',
    },
    {
      section: SECTION,
      figure: 'ours at concurrency 1',
      value: `${Math.round(serial.ms)} ms (${(serial.ms / ours.ms).toFixed(1)}× ours)`,
      goal: `${serial.requests} requests, ${(serial.ms / serial.requests).toFixed(1)} ms each`,
      verdict: 'INFO',
    },
  ];
  if (!skopeo) {
    rows.push({ section: SECTION, figure: 'skopeo loop', value: SKOPEO_MISSING, goal: '', verdict: 'SKIP' });
    rows.push({
      section: SECTION,
      figure: 'speed-up vs skopeo loop',
      value: SKOPEO_MISSING,
      goal: `≥ ${GOAL_SPEEDUP}×`,
      verdict: 'SKIP',
    });
  } else {
    rows.push(
      {
        section: SECTION,
        figure: 'skopeo inspect loop (sequential)',
        value: `${(skopeo.totalMs / 1000).toFixed(1)} s (${Math.round(skopeo.meanMs)} ms/ref)`,
        goal: `${skopeo.sampleLabel}; ${skopeo.agreed}/${skopeo.ran} exit codes as expected`,
        verdict: 'INFO',
      },
      {
        section: SECTION,
        figure: 'speed-up vs skopeo loop',
        value: `${(skopeo.totalMs / ours.ms).toFixed(1)}×`,
        goal: `≥ ${GOAL_SPEEDUP}×`,
        verdict: verdict(skopeo.totalMs / ours.ms >= GOAL_SPEEDUP),
      },
      {
        section: SECTION,
        figure: 'concurrency-1 engine vs skopeo loop',
        value: `${(skopeo.totalMs / serial.ms).toFixed(1)}× faster`,
        goal: 'same work, one request at a time',
        verdict: 'INFO',
      },
    );
  }
  const breakdown = formatBlock(`§2 wall time (proxies add ${DELAY_MS} ms before forwarding each request)`, [
    `ours: ${runs.map((r) => Math.round(r.ms)).join(', ')} ms; the median run per registry, from the proxies:`,
    ...ours.timelines.map((t) => `  ${describeTimeline(t)}`),
    `concurrency 1: ${Math.round(serial.ms)} ms; per registry:`,
    ...serial.timelines.map((t) => `  ${describeTimeline(t)}`),
    skopeo
      ? `skopeo: ${skopeo.ran} commands in ${Math.round(skopeo.ms)} ms, ${skopeo.timedOut} timed out; ${skopeo.sampleLabel}`
      : `skopeo: ${SKOPEO_MISSING}`,
    'token requests go straight to the token server (its realm is fixed at start), so they carry no added delay',
  ]);
  return {
    rows,
    breakdown,
    details: {
      delayMs: DELAY_MS,
      ours,
      oursRuns: runs.map((r) => r.ms),
      serial,
      skopeo: skopeo ?? SKOPEO_MISSING,
    },
  };
}
