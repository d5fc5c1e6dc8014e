// §8 One registry: 500 references all on the open registry, behind 50 ms of added latency, at default
// settings, against the sequential `skopeo inspect` loop. Per-registry concurrency is what counts here.
import path from 'node:path';
import { DEFAULT_REGISTRY_SETTINGS } from '../src/scan.js';
import { findOnPath } from '../test/harness/tools.js';
import { planOneRegistry, seedRefs, writeManifests, type Lab, type LabRef } from './lab.js';
import { checkStatuses, scanDir } from './scan-lab.js';
import { formatBlock, verdict, type Row } from './table.js';
import { describeTimeline, timelines } from './timeline.js';
import { median } from './util.js';
import { DELAY_MS, SKOPEO_MISSING, skopeoLoop } from './walltime.js';

const SECTION = '8 one registry';
const SIZE = 500;
const GOAL_SPEEDUP = 30;
const RUNS = 3;

export interface OneRegistryReport {
  rows: Row[];
  breakdown: string;
  details: Record<string, unknown>;
}

export async function benchOneRegistry(lab: Lab, workDir: string): Promise<OneRegistryReport> {
  const refs = planOneRegistry('open', 'one', SIZE);
  await seedRefs(lab.registries, refs, lab.credentials);
  const proxy = lab.proxies.open;
  const image = (ref: LabRef) => `${proxy.host}/${ref.repo}:${ref.tag}`;
  const dir = path.join(workDir, 'one-registry');
  await writeManifests(dir, refs, image);
  proxy.setDelay(DELAY_MS);
  try {
    const runs: number[] = [];
    let correct = 0;
    let busiest = '';
    for (let i = 0; i < RUNS; i++) {
      proxy.reset();
      const startedAt = performance.now();
      const { result, ms } = await scanDir(dir);
      runs.push(ms);
      const statuses = checkStatuses({ ...lab, refs, image }, result);
      correct = statuses.checked - statuses.wrong.length;
      busiest = describeTimeline(timelines(lab, startedAt, DELAY_MS).find((t) => t.registry === 'open')!);
    }
    const ours = median(runs);
    const requests = Object.values(proxy.counts().byKind).reduce((a, b) => a + b, 0);
    const skopeo = findOnPath('skopeo') ? await skopeoLoop(lab, workDir, refs, image) : undefined;
    const floorMs = (requests * DELAY_MS) / DEFAULT_REGISTRY_SETTINGS.concurrency;
    const rows: Row[] = [
      {
        section: SECTION,
        figure: `ours, ${SIZE} refs on one registry`,
        value: `${Math.round(ours)} ms (median of ${RUNS}), ${requests} requests`,
        goal: `verdicts ${correct}/${SIZE} correct; floor ${Math.round(floorMs)} ms at ${DEFAULT_REGISTRY_SETTINGS.concurrency} in flight`,
        verdict: 'INFO',
      },
      skopeo
        ? {
            section: SECTION,
            figure: 'speed-up vs skopeo loop',
            value: `${(skopeo.totalMs / ours).toFixed(1)}× (skopeo ${(skopeo.totalMs / 1000).toFixed(1)} s, ${Math.round(skopeo.meanMs)} ms/ref)`,
            goal: `≥ ${GOAL_SPEEDUP}× at defaults ${DEFAULT_REGISTRY_SETTINGS.concurrency}/${DEFAULT_REGISTRY_SETTINGS.perRegistryConcurrency}; ${skopeo.sampleLabel}`,
            verdict: verdict(skopeo.totalMs / ours >= GOAL_SPEEDUP && correct === SIZE),
          }
        : {
            section: SECTION,
            figure: 'speed-up vs skopeo loop',
            value: SKOPEO_MISSING,
            goal: `≥ ${GOAL_SPEEDUP}×`,
            verdict: 'SKIP',
          },
    ];
    const breakdown = formatBlock(`§8 one registry (${DELAY_MS} ms added before each request)`, [
      `ours: ${runs.map((ms) => Math.round(ms)).join(', ')} ms; last run: ${busiest}`,
      skopeo
        ? `skopeo: ${skopeo.ran} commands in ${Math.round(skopeo.ms)} ms; ${skopeo.sampleLabel}`
        : `skopeo: ${SKOPEO_MISSING}`,
    ]);
    return {
      rows,
      breakdown,
      details: { delayMs: DELAY_MS, runs, requests, floorMs, skopeo: skopeo ?? null },
    };
  } finally {
    proxy.setDelay(0);
  }
}
