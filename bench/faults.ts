// §7 Faults: 1,000 references on two registries (open, and the token one with its token service)
// through fault-injecting proxies — 15% resets, 10% 5xx, 10% 429 with Retry-After: 1, 2% stalls
// longer than the timeout — at default settings. Every verdict is compared with an unfaulted scan's.
import path from 'node:path';
import type { ScanResult } from '../src/scan.js';
import { tokenServerUrl } from '../test/harness/registries.js';
import {
  NO_FAULTS,
  startFaultProxy,
  type FaultProxy,
  type FaultRates,
} from '../test/hardening/fault-proxy.js';
import { planOneRegistry, seedRefs, writeManifests, type Lab, type LabRef } from './lab.js';
import { checkStatuses, scanDir } from './scan-lab.js';
import { formatBlock, verdict, type Row } from './table.js';

const SECTION = '7 faults';
const RATES: FaultRates = { ...NO_FAULTS, reset: 0.15, status5xx: 0.1, rateLimit: 0.1, stall: 0.02 };
const RETRY_AFTER_S = 1;
/** Past the default 15 s timeout: the client must give up first. */
const STALL_MS = 20_000;
const SEED = 0xfa017;
const GOAL_EXACT = 0.995;
const GOAL_MS = 35_000;
/** A faulted scan that has not finished by then has missed its goal by far: stop waiting. */
const GIVE_UP_MS = 300_000;

export interface FaultsReport {
  rows: Row[];
  breakdown: string;
  details: Record<string, unknown>;
}

interface Verdict {
  status: string;
  texts: string;
}

/** Each image's status and its findings' words (`mutable-tag` aside), as a user reads them. */
function verdicts(result: ScanResult): Map<string, Verdict> {
  const texts = new Map<string, string[]>();
  for (const finding of result.findings) {
    if (!finding.image || finding.rule === 'mutable-tag') continue;
    const list = texts.get(finding.image) ?? [];
    list.push(`${finding.rule}: ${finding.message} / ${finding.fix ?? ''}`);
    texts.set(finding.image, list);
  }
  return new Map(
    result.images.map((image) => [
      image.reference,
      { status: image.status, texts: (texts.get(image.reference) ?? []).sort().join('\n') },
    ]),
  );
}

export async function benchFaults(lab: Lab, workDir: string): Promise<FaultsReport> {
  const refs = [...planOneRegistry('open', 'faults', 600), ...planOneRegistry('token', 'public/faults', 400)];
  await seedRefs(lab.registries, refs, lab.credentials);
  const proxies: Record<'open' | 'token', FaultProxy> = {
    open: await startFaultProxy({
      target: lab.registries.open.url,
      seed: 0,
      rates: NO_FAULTS,
      stallMs: STALL_MS,
      retryAfterSeconds: RETRY_AFTER_S,
    }),
    token: await startFaultProxy({
      target: lab.registries.token.url,
      tokenServer: tokenServerUrl(lab.registries),
      seed: 0,
      rates: NO_FAULTS,
      stallMs: STALL_MS,
      retryAfterSeconds: RETRY_AFTER_S,
    }),
  };
  try {
    const image = (ref: LabRef) =>
      `${proxies[ref.registry === 'token' ? 'token' : 'open'].host}/${ref.repo}:${ref.tag}`;
    const dir = path.join(workDir, 'faults');
    await writeManifests(dir, refs, image);

    const unfaulted = await scanDir(dir);
    const planned = checkStatuses({ ...lab, refs, image }, unfaulted.result);
    const truth = verdicts(unfaulted.result);

    proxies.open.reset(SEED, RATES);
    proxies.token.reset(SEED ^ 0xffff, RATES);
    const faulted = await Promise.race([
      scanDir(dir),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`faulted scan still running after ${GIVE_UP_MS} ms`)),
          GIVE_UP_MS,
        ).unref(),
      ),
    ]);
    const got = verdicts(faulted.result);
    let exact = 0;
    const unverified: string[] = [];
    /** Missing all the same, but the tag list could not be read: said so, not a false claim. */
    const honestNotFound: string[] = [];
    const falseErrors: string[] = [];
    for (const [reference, right] of truth) {
      const verdict = got.get(reference);
      if (verdict && verdict.status === right.status && verdict.texts === right.texts) exact++;
      else if (verdict?.status === 'unverified') unverified.push(`${reference}: ${verdict.texts}`);
      else if (
        verdict?.status === 'not-found' &&
        right.status === 'not-found' &&
        /could not be read/.test(verdict.texts)
      )
        honestNotFound.push(reference);
      else falseErrors.push(`${reference}: ${verdict?.status ?? 'absent'} — unfaulted ${right.status}`);
    }
    const counts = [proxies.open.counts, proxies.token.counts];
    const sum = (key: keyof FaultProxy['counts']) => counts.reduce((n, c) => n + c[key], 0);
    const n = truth.size;
    const rows: Row[] = [
      {
        section: SECTION,
        figure: `exact verdicts, ${n} refs under faults`,
        value: `${exact}/${n} (${((100 * exact) / n).toFixed(1)}%); ${unverified.length} could not verify, ${honestNotFound.length} tag list unread`,
        goal: `≥ ${(GOAL_EXACT * 100).toFixed(1)}%; unfaulted scan ${planned.checked - planned.wrong.length}/${planned.checked} as planned`,
        verdict: verdict(exact / n >= GOAL_EXACT && planned.wrong.length === 0),
      },
      {
        section: SECTION,
        figure: 'false errors under faults',
        value: String(falseErrors.length),
        goal: '0',
        verdict: verdict(falseErrors.length === 0),
      },
      {
        section: SECTION,
        figure: 'faulted scan wall time',
        value: `${(faulted.ms / 1000).toFixed(1)} s (unfaulted ${(unfaulted.ms / 1000).toFixed(1)} s)`,
        goal: `≤ ${GOAL_MS / 1000} s`,
        verdict: verdict(faulted.ms <= GOAL_MS),
      },
    ];
    const breakdown = formatBlock('§7 faults (15% resets, 10% 5xx, 10% 429 Retry-After: 1, 2% stalls)', [
      `${sum('requests')} proxied requests (${sum('tokenRequests')} to the token service): ${sum('reset')} resets, ` +
        `${sum('status5xx')} 5xx, ${sum('rateLimit')} 429, ${sum('stall')} stalls ` +
        `(longest client wait ${Math.round(Math.max(...counts.map((c) => c.longestStallWaitMs)))} ms, ` +
        `${sum('stallsOutwaited')} outwaited)`,
      `engine's logical requests: ${JSON.stringify(faulted.result.registry?.requests ?? {})}`,
      ...falseErrors.slice(0, 5).map((line) => `false error: ${line}`),
      ...unverified.slice(0, 5).map((line) => `could not verify: ${line.replace(/\n/g, ' | ')}`),
    ]);
    return {
      rows,
      breakdown,
      details: {
        n,
        exact,
        unverified,
        honestNotFound,
        falseErrors,
        ms: faulted.ms,
        unfaultedMs: unfaulted.ms,
      },
    };
  } finally {
    await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
  }
}
