// When each registry's requests happened during one scan, from the proxies' logs: what limits wall time.
import type { Lab, LabRegistryName } from './lab.js';
import { median } from './util.js';

export interface RegistryTimeline {
  registry: LabRegistryName;
  /** Milliseconds after the scan started. */
  firstFailedHttpsMs?: number;
  pingMs?: number;
  firstManifestMs?: number;
  lastDoneMs: number;
  requests: number;
  /** Mean requests in flight at the proxy between the first manifest request and the last answer. */
  meanInFlight: number;
  maxInFlight: number;
  /** Median time the registry itself took (proxy time minus the added delay). */
  medianUpstreamMs: number;
}

export function timelines(lab: Lab, scanStartedAt: number, delayMs: number): RegistryTimeline[] {
  return (Object.keys(lab.proxies) as LabRegistryName[]).map((registry) => {
    const proxy = lab.proxies[registry];
    const log = proxy.log().filter((e) => e.doneAt > 0 && e.arrivedAt >= scanStartedAt);
    const at = (t: number | undefined) => (t === undefined ? undefined : Math.round(t - scanStartedAt));
    const manifests = log.filter((e) => e.kind === 'manifest-get' || e.kind === 'manifest-head');
    const start = Math.min(...manifests.map((e) => e.arrivedAt));
    const end = Math.max(...log.map((e) => e.doneAt));
    const busy = log.filter((e) => e.arrivedAt >= start).reduce((a, e) => a + (e.doneAt - e.arrivedAt), 0);
    const timeline: RegistryTimeline = {
      registry,
      lastDoneMs: Math.round(end - scanStartedAt),
      requests: log.length,
      meanInFlight: Math.round((busy / Math.max(end - start, 1)) * 10) / 10,
      maxInFlight: maxInFlight(log),
      medianUpstreamMs: Math.round(median(log.map((e) => e.doneAt - e.arrivedAt - delayMs)) * 10) / 10,
    };
    const failedHttps = at(proxy.tlsHandshakeTimes()[0]);
    const ping = at(log.find((e) => e.kind === 'ping')?.arrivedAt);
    const manifest = at(manifests[0]?.arrivedAt);
    if (failedHttps !== undefined) timeline.firstFailedHttpsMs = failedHttps;
    if (ping !== undefined) timeline.pingMs = ping;
    if (manifest !== undefined) timeline.firstManifestMs = manifest;
    return timeline;
  });
}

function maxInFlight(log: ReadonlyArray<{ arrivedAt: number; doneAt: number }>): number {
  const edges = log.flatMap((e) => [
    [e.arrivedAt, 1],
    [e.doneAt, -1],
  ]) as Array<[number, number]>;
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, step] of edges) max = Math.max(max, (current += step));
  return max;
}

export function describeTimeline(t: RegistryTimeline): string {
  return [
    `${t.registry.padEnd(6)}`,
    `failed HTTPS at ${t.firstFailedHttpsMs ?? '-'} ms,`,
    `ping at ${t.pingMs ?? '-'} ms,`,
    `first manifest at ${t.firstManifestMs ?? '-'} ms,`,
    `last answer at ${t.lastDoneMs} ms;`,
    `${t.requests} requests, in flight mean ${t.meanInFlight} / max ${t.maxInFlight};`,
    `registry's own median ${t.medianUpstreamMs} ms`,
  ].join(' ');
}
