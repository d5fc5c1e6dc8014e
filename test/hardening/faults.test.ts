import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ImageStatus } from '../../src/analysis/images.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../src/registry/transport.js';
import { DEFAULT_REGISTRY_SETTINGS, scan, type ScanResult } from '../../src/scan.js';
import { seededImage } from '../harness/lab-info.js';
import {
  NO_FAULTS,
  startFaultProxy,
  type FaultCounts,
  type FaultKind,
  type FaultProxy,
  type FaultRates,
} from './fault-proxy.js';

/**
 * Registries misbehave: resets, 5xx, 429, stalls, truncated bodies, wrong content types. Through a
 * fault-injecting proxy in front of the open and token registries (token service included), every
 * verdict must be the one an unfaulted scan gives, or an honest "could not verify" warning; never a
 * false error for an image that exists. And a scan must finish within what its timeouts and retries
 * allow.
 */

const lab = inject('lab');
const TIMEOUT_MS = 1_000;
/** Slightly past the client's timeout: the client must be the one to give up. */
const STALL_MS = 1_400;
const SEEDS = [0x5eed01, 0x5eed02, 0x5eed03, 0x5eed04];
const RATES: FaultRates = {
  reset: 0.04,
  status5xx: 0.05,
  rateLimit: 0.03,
  stall: 0.01,
  truncate: 0.03,
  wrongType: 0.05,
};
const FAULT_KINDS: FaultKind[] = ['reset', 'status5xx', 'rateLimit', 'stall', 'truncate', 'wrongType'];
/** What a scan may say when a registry did not give an answer. */
const COULD_NOT_VERIFY = new Set(['registry-unreachable', 'registry-error', 'registry-rate-limited']);
/** The longest pause between two attempts: Retry-After 1 s (the most the proxy sends) or the jitter cap. */
const WORST_BACKOFF_MS = Math.max(1_000, DEFAULT_TRANSPORT_OPTIONS.backoffCapMs);
/**
 * One logical request at worst: no retry starts once its attempts took two timeouts, the last may
 * take one more, and every pause between attempts is at its longest.
 */
const WORST_REQUEST_MS = 3 * TIMEOUT_MS + DEFAULT_TRANSPORT_OPTIONS.retries * WORST_BACKOFF_MS;

const tokenAlice = lab.token.users.alice;
let workDir: string;
let openProxy: FaultProxy;
let tokenProxy: FaultProxy;

interface Case {
  image: string;
  arch?: string;
  secret?: 'tok-alice' | 'tok-wrong';
  status: ImageStatus;
  /** Findings on the image line, `mutable-tag` aside. */
  rules: string[];
}

function cases(open: string, token: string): Case[] {
  const list: Case[] = [];
  const add = (image: string, status: ImageStatus, rules: string[], extra: Partial<Case> = {}) =>
    list.push({ image, status, rules, ...extra });
  for (const tag of ['1.0.0', '1.0.1', '1.1.0']) add(`${open}/app:${tag}`, 'available', []);
  add(`${open}/app@${seededImage(lab, 'open', 'app', '1.0.0').digest}`, 'available', []);
  add(`${open}/app@sha256:${'1'.repeat(64)}`, 'not-found', ['digest-not-found']);
  add(`${open}/multi:1`, 'available', []);
  add(`${open}/multi:1`, 'available', [], { arch: 'arm64' });
  add(`${open}/armonly:1`, 'platform-missing', ['platform-not-in-index']);
  add(`${open}/armonly:1`, 'available', [], { arch: 'arm' });
  add(`${open}/single-arm64:1`, 'available', ['platform-mismatch'], { arch: 'amd64' });
  add(`${open}/single-arm64:1`, 'available', [], { arch: 'arm64' });
  add(`${open}/app:1.0.0`, 'available', ['platform-mismatch'], { arch: 'arm64' });
  for (let i = 0; i < 150; i++) add(`${open}/tags/many:v${i}`, 'available', []);
  for (let i = 150; i < 190; i++) add(`${open}/tags/many:v${i}`, 'not-found', ['tag-not-found']);
  for (let i = 0; i < 30; i++) add(`${open}/app:2.${i}`, 'not-found', ['tag-not-found']);
  for (let i = 0; i < 30; i++) add(`${open}/gone/repo${i}:1`, 'not-found', ['repository-not-found']);

  add(`${token}/library/public-app:1`, 'available', []);
  for (let i = 2; i < 22; i++) add(`${token}/library/public-app:${i}`, 'not-found', ['tag-not-found']);
  for (let i = 0; i < 10; i++) add(`${token}/library/nothing${i}:1`, 'not-found', ['repository-not-found']);
  add(`${token}/team/secret-app:1`, 'unauthorized', ['not-found-or-private']);
  add(`${token}/team/secret-app:1`, 'available', [], { secret: 'tok-alice' });
  for (let i = 2; i < 12; i++)
    add(`${token}/team/secret-app:${i}`, 'not-found', ['tag-not-found'], { secret: 'tok-alice' });
  add(`${token}/team/secret-app:1`, 'unauthorized', ['pull-secret-rejected'], { secret: 'tok-wrong' });
  return list;
}

function podDocument(index: number, c: Pick<Case, 'image' | 'arch' | 'secret'>): string {
  const lines = ['apiVersion: v1', 'kind: Pod', `metadata: {name: p${index}, namespace: apps}`, 'spec:'];
  if (c.secret) lines.push(`  imagePullSecrets: [{name: ${c.secret}}]`);
  if (c.arch) lines.push(`  nodeSelector: {kubernetes.io/arch: ${c.arch}}`);
  lines.push('  containers:', '    - name: c', `      image: "${c.image}"`);
  return lines.join('\n');
}

function secretDocument(name: string, host: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  const json = JSON.stringify({ auths: { [host]: { auth } } });
  return [
    'apiVersion: v1',
    'kind: Secret',
    `metadata: {name: ${name}, namespace: apps}`,
    'type: kubernetes.io/dockerconfigjson',
    `data: {.dockerconfigjson: ${Buffer.from(json).toString('base64')}}`,
  ].join('\n');
}

interface Verdict {
  image: string;
  status: ImageStatus;
  rules: string[];
  /** `rule: message / fix` of each finding, as the user reads them. */
  texts: string[];
}

/** Verdict per `image:` line of `file`: its status and the registry findings on it. */
function verdicts(result: ScanResult, file: string): Map<number, Verdict> {
  const byLine = new Map<number, Verdict>();
  for (const report of result.images) {
    for (const at of report.locations) {
      if (at.file === file)
        byLine.set(at.line, { image: report.reference, status: at.status, rules: [], texts: [] });
    }
  }
  for (const finding of result.findings) {
    if (finding.file !== file || finding.rule === 'mutable-tag') continue;
    const verdict = byLine.get(finding.line);
    verdict?.rules.push(finding.rule);
    verdict?.texts.push(`${finding.rule}: ${finding.message} / ${finding.fix}`);
  }
  for (const verdict of byLine.values()) {
    verdict.rules.sort();
    verdict.texts.sort();
  }
  return byLine;
}

async function scanFile(file: string, timeoutMs: number): Promise<{ result: ScanResult; ms: number }> {
  const t0 = performance.now();
  const result = await scan({
    cwd: workDir,
    paths: [file, 'secrets.yaml'],
    defaultNamespace: 'default',
    maxFileSize: 10 * 1024 * 1024,
    offline: false,
    registry: { ...DEFAULT_REGISTRY_SETTINGS, timeoutMs },
  });
  return { result, ms: performance.now() - t0 };
}

function couldNotVerify(verdict: Verdict): boolean {
  return (
    verdict.status === 'unverified' &&
    verdict.rules.length > 0 &&
    verdict.rules.every((rule) => COULD_NOT_VERIFY.has(rule))
  );
}

/**
 * A missing image whose tag list could not be read: the pull fails all the same, so a not-found
 * error is right, but it may not claim what it could not see (which tags exist, or that the
 * repository does).
 */
function honestNotFound(verdict: Verdict, truth: Verdict): boolean {
  if (verdict.status !== 'not-found' || truth.status !== 'not-found' || verdict.texts.length !== 1)
    return false;
  const text = verdict.texts[0]!;
  return !/lists no tags/.test(text) && /could not|couldn't|unknown|unavailable/i.test(text);
}

function acceptable(verdict: Verdict, truth: Verdict): boolean {
  const same = verdict.status === truth.status && verdict.texts.join('\n') === truth.texts.join('\n');
  return same || couldNotVerify(verdict) || honestNotFound(verdict, truth);
}

let allCases: Case[];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'preflight-faults-'));
  openProxy = await startFaultProxy({ target: lab.open.url, seed: 0, rates: NO_FAULTS, stallMs: STALL_MS });
  tokenProxy = await startFaultProxy({
    target: lab.token.url,
    tokenServer: lab.token.tokenServerUrl,
    seed: 0,
    rates: NO_FAULTS,
    stallMs: STALL_MS,
  });
  allCases = cases(openProxy.host, tokenProxy.host);
  await writeFile(path.join(workDir, 'pods.yaml'), allCases.map((c, i) => podDocument(i, c)).join('\n---\n'));
  await writeFile(
    path.join(workDir, 'secrets.yaml'),
    [
      secretDocument('tok-alice', tokenProxy.host, tokenAlice.username, tokenAlice.password),
      secretDocument('tok-wrong', tokenProxy.host, tokenAlice.username, `${tokenAlice.password}-wrong`),
    ].join('\n---\n'),
  );
});
afterAll(async () => {
  await Promise.all([openProxy?.close(), tokenProxy?.close()]);
  await rm(workDir, { recursive: true, force: true });
});

interface Run {
  seed: number;
  ms: number;
  boundMs: number;
  counts: FaultCounts;
  verdicts: Map<number, Verdict>;
  manifestGets: number;
}

function sumCounts(all: FaultCounts[]): FaultCounts {
  const total = { ...all[0]! };
  for (const key of Object.keys(total) as Array<keyof FaultCounts>) {
    total[key] =
      key === 'longestStallWaitMs'
        ? Math.max(...all.map((c) => c[key]))
        : all.reduce((n, c) => n + c[key], 0);
  }
  return total;
}

describe('registry faults never become false errors', () => {
  let truth: Map<number, Verdict>;
  let baselineMs = 0;
  const runs: Run[] = [];

  beforeAll(async () => {
    openProxy.reset(0, NO_FAULTS);
    tokenProxy.reset(0, NO_FAULTS);
    const unfaulted = await scanFile('pods.yaml', 5_000);
    baselineMs = unfaulted.ms;
    truth = verdicts(unfaulted.result, 'pods.yaml');
    for (const seed of SEEDS) {
      openProxy.reset(seed, RATES);
      tokenProxy.reset(seed ^ 0xffff, RATES);
      const { result, ms } = await scanFile('pods.yaml', TIMEOUT_MS);
      const counts = sumCounts([openProxy.counts, tokenProxy.counts]);
      const faults = FAULT_KINDS.reduce((n, kind) => n + counts[kind], 0);
      // The delay faults add to the whole scan: each stall costs a timeout, each 429 its Retry-After,
      // each other fault at most one back-off; spread over the registry's slots, plus one worst-case
      // request for the unlucky last verdict, on top of twice the unfaulted time.
      const faultDelayMs =
        counts.stall * TIMEOUT_MS + counts.retryAfterSeconds * 1_000 + faults * WORST_BACKOFF_MS;
      const boundMs =
        2 * baselineMs + faultDelayMs / DEFAULT_REGISTRY_SETTINGS.perRegistryConcurrency + WORST_REQUEST_MS;
      runs.push({
        seed,
        ms,
        boundMs,
        counts,
        verdicts: verdicts(result, 'pods.yaml'),
        manifestGets: result.registry!.requests.get ?? 0,
      });
    }
    const total = sumCounts(runs.map((r) => r.counts));
    const probes = runs.reduce((n, r) => n + r.verdicts.size, 0);
    const unverified = runs.reduce((n, r) => n + [...r.verdicts.values()].filter(couldNotVerify).length, 0);
    console.log(
      [
        `fault injection: ${runs.length} scans, ${probes} probes (${runs.reduce((n, r) => n + r.manifestGets, 0)} manifest GETs),`,
        `${total.requests} proxied requests (${total.tokenRequests} to the token service);`,
        `faults: ${total.reset} resets, ${total.status5xx} 5xx, ${total.rateLimit} 429`,
        `(Retry-After ${total.retryAfterSeconds} s in all), ${total.stall} stalls (longest client wait`,
        `${Math.round(total.longestStallWaitMs)} ms), ${total.truncate} truncated bodies,`,
        `${total.wrongType} wrong content types; ${unverified} verdicts "could not verify";`,
        `unfaulted scan ${Math.round(baselineMs)} ms; faulted scans`,
        runs.map((r) => `${Math.round(r.ms)} ms (bound ${Math.round(r.boundMs)})`).join(', '),
      ].join(' '),
    );
  }, 120_000);

  it('without faults the proxy is transparent: the ground truth is what the lab holds', () => {
    const expected = allCases.map((c) => ({ image: c.image, status: c.status, rules: [...c.rules].sort() }));
    const got = [...truth.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, v]) => ({ image: v.image, status: v.status, rules: v.rules }));
    expect(got).toEqual(expected);
  });

  it('over 1,000 probes met every kind of fault, token service included', () => {
    expect(runs.reduce((n, r) => n + r.verdicts.size, 0)).toBeGreaterThanOrEqual(1_000);
    const total = sumCounts(runs.map((r) => r.counts));
    for (const kind of FAULT_KINDS) expect(total[kind], kind).toBeGreaterThan(0);
    expect(total.tokenRequests).toBeGreaterThan(0);
  });

  it('a stalled request ends on the client’s timeout, not on the server hanging up', () => {
    const total = sumCounts(runs.map((r) => r.counts));
    expect(total.stall).toBeGreaterThan(0);
    expect(total.stallsOutwaited).toBe(0);
    expect(total.longestStallWaitMs).toBeLessThan(TIMEOUT_MS + 300);
  });

  it('each scan finishes within the bound its timeout and retries allow', () => {
    for (const run of runs) expect(run.ms, `seed ${run.seed.toString(16)}`).toBeLessThan(run.boundMs);
  });

  it('an image that exists is never reported missing, refused or broken', () => {
    const falseErrors: string[] = [];
    for (const run of runs) {
      for (const [line, verdict] of run.verdicts) {
        const right = truth.get(line)!;
        if (right.status !== 'available' && right.status !== 'platform-missing') continue;
        const extra = verdict.rules.filter(
          (rule) => !right.rules.includes(rule) && !COULD_NOT_VERIFY.has(rule),
        );
        if (extra.length || (verdict.status !== right.status && verdict.status !== 'unverified'))
          falseErrors.push(
            `seed ${run.seed.toString(16)} ${verdict.image}: ${verdict.status} [${verdict.rules}]`,
          );
      }
    }
    expect(falseErrors).toEqual([]);
  });

  it('every verdict is the unfaulted one, or says it could not verify', () => {
    const wrong: string[] = [];
    for (const run of runs) {
      for (const [line, verdict] of run.verdicts) {
        const right = truth.get(line)!;
        if (!acceptable(verdict, right)) {
          wrong.push(
            `seed ${run.seed.toString(16)} ${verdict.image}: ${verdict.texts.join(' | ') || verdict.status}` +
              ` — unfaulted: ${right.texts.join(' | ') || right.status}`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('a follow-up request that fails is not evidence', () => {
  // Every matching request answers 503 (retries included); everything else passes.
  const ALWAYS_503: FaultRates = { ...NO_FAULTS, status5xx: 1 };

  it.each([
    {
      name: 'the tag list of a missing repository fails: not "the tag is missing" or "lists no tags"',
      only: /\/tags\/list/,
      image: (open: string) => `${open}/gone/for-good:1`,
      arch: undefined,
    },
    {
      name: 'the tag list of an existing repository fails: not "the repository lists no tags"',
      only: /\/tags\/list/,
      image: (open: string) => `${open}/tags/many:v999`,
      arch: undefined,
    },
    {
      name: 'the config blob fails: the platform check is not silently passed',
      only: /\/blobs\//,
      image: (open: string) => `${open}/single-arm64:1`,
      arch: 'amd64',
    },
  ])('$name', async ({ only, image, arch }) => {
    const file = `followup-${only.source.replace(/\W/g, '')}-${arch ?? 'any'}.yaml`;
    const c = { image: image(openProxy.host), ...(arch ? { arch } : {}) };
    await writeFile(path.join(workDir, file), podDocument(0, c));
    openProxy.reset(1, NO_FAULTS);
    const right = [...verdicts((await scanFile(file, 5_000)).result, file).values()][0]!;
    openProxy.reset(1, ALWAYS_503, only);
    const got = [...verdicts((await scanFile(file, 5_000)).result, file).values()][0]!;
    expect(openProxy.counts.status5xx).toBeGreaterThan(0);
    expect(
      acceptable(got, right),
      `faulted: ${got.status} ${got.texts.join(' | ') || '(no finding)'}\nunfaulted: ${right.texts.join(' | ')}`,
    ).toBe(true);
  });
});
