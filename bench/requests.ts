// §1 Requests per reference: every request the engine makes, counted by the proxies and the token
// server, against the goal "unique references + index GETs + matched index children + 2 per registry
// and credential".
import type { Lab, LabRef } from './lab.js';
import type { ProxyKind } from './proxy.js';
import {
  checkStatuses,
  proxyCounts,
  resetObservers,
  scanLab,
  sumKinds,
  tokenLog,
  type StatusCheck,
} from './scan-lab.js';
import { formatBlock, verdict, type Row } from './table.js';
import { describeTimeline, timelines } from './timeline.js';

export interface RequestsReport {
  rows: Row[];
  breakdown: string;
  details: Record<string, unknown>;
}

const SECTION = '1 requests';
/** All three lab registries behind the proxies speak plain HTTP on loopback. */
const PLAIN_HTTP_REGISTRIES = 3;

export async function benchRequests(lab: Lab): Promise<RequestsReport> {
  await resetObservers(lab);
  const startedAt = performance.now();
  const { result, ms } = await scanLab(lab);
  const timing = timelines(lab, startedAt, 0);
  const perRegistry = proxyCounts(lab);
  const kinds = sumKinds(perRegistry);
  const tokens = await tokenLog(lab);
  const statuses = checkStatuses(lab, result);

  const unique = new Set(lab.refs.map((ref) => lab.image(ref))).size;
  const indexes = lab.refs.filter(isIndexRef).length;
  const pairs = new Set(lab.refs.map(credentialPair)).size;
  // Each repository holds one index, re-tagged: its linux/amd64 child is checked once per credential
  // (one HEAD; containerd GETs it next), however many tags and images point at it.
  const children = new Set(lab.refs.filter((r) => r.kind === 'index').map(credentialRepository)).size;
  const budget = unique + indexes + children + 2 * pairs;
  const http = Object.values(kinds).reduce((a, b) => a + b, 0) + tokens.length;
  const failedHttps = Object.values(perRegistry).reduce((a, c) => a + c.tlsHandshakes, 0);
  const notFoundRepos = new Set(lab.refs.filter(isNotFoundRef).map(credentialRepository));
  const explainedBudget = budget + notFoundRepos.size + PLAIN_HTTP_REGISTRIES;
  const explained = http + failedHttps;
  const tags = tagListsPerRepository(lab);

  const rows: Row[] = [
    {
      section: SECTION,
      figure: 'requests by type (all registries)',
      value: breakdownLine(kinds, tokens.length),
      goal: `failed HTTPS pings: ${failedHttps}`,
      verdict: 'INFO',
    },
    {
      section: SECTION,
      figure: 'HTTP requests, goal as the issue says',
      value: `${http} (${(http / unique).toFixed(2)} per reference)`,
      goal: `≤ ${budget} = ${unique} refs + ${indexes} index GETs + ${children} matched children + 2×${pairs} registry·credential`,
      verdict: verdict(http <= budget),
    },
    {
      section: SECTION,
      figure: 'all attempts, explained budget',
      value: `${explained} = ${http} HTTP + ${failedHttps} failed HTTPS`,
      goal: `≤ ${explainedBudget} = ${budget} + ${notFoundRepos.size} tag lists (1 per not-found repo) + ${PLAIN_HTTP_REGISTRIES} failed HTTPS (1 per plain-HTTP registry)`,
      verdict: verdict(explained <= explainedBudget),
    },
    {
      section: SECTION,
      figure: 'tags lists (suggestions/not-found)',
      value: `${tags.total} for ${tags.repositories} repos (max ${tags.max} per repo)`,
      goal: `${notFoundRepos.size} not-found repos; ${lab.refs.filter(isNotFoundRef).length} not-found refs`,
      verdict: 'INFO',
    },
    {
      section: SECTION,
      figure: 'verdicts as built',
      value: `${statuses.checked - statuses.wrong.length}/${statuses.checked} correct (scan ${Math.round(ms)} ms)`,
      goal: 'all',
      verdict: verdict(statuses.wrong.length === 0),
    },
  ];
  const engine = result.registry?.requests ?? {};
  const breakdown = formatBlock('§1 requests per registry (proxy counts; token server log)', [
    ...Object.entries(perRegistry).map(
      ([name, c]) =>
        `${name.padEnd(6)} ${breakdownLine(c.byKind, 0)} | failed HTTPS ${c.tlsHandshakes} | TCP connections ${c.connections}`,
    ),
    `token  ${tokens.length} requests: ${describeTokens(tokens)}`,
    `engine's own counters: ${JSON.stringify(engine)} (logical requests; a retried attempt counts once)`,
    `lab: ${unique} unique references = ${countBy(lab.refs, (r) => r.kind)}; ${pairs} registry·credential pairs`,
    ...statusLines(statuses),
    `timeline (no added delay), scan ${Math.round(ms)} ms:`,
    ...timing.map((t) => `  ${describeTimeline(t)}`),
  ]);
  return {
    rows,
    breakdown,
    details: {
      scanMs: Math.round(ms),
      timelines: timing,
      uniqueReferences: unique,
      indexReferences: indexes,
      matchedChildren: children,
      registryCredentialPairs: pairs,
      perRegistry,
      tokenRequests: tokens,
      totals: { ...kinds, token: tokens.length, failedHttps, http, explained },
      budget: { issue: budget, explained: explainedBudget, notFoundRepositories: notFoundRepos.size },
      tagLists: tags,
      engineCounters: engine,
      statuses,
    },
  };
}

function credentialRepository(ref: LabRef): string {
  return `${credentialPair(ref)} ${ref.repo}`;
}

function isIndexRef(ref: LabRef): boolean {
  return ref.kind === 'index' || ref.kind === 'index-no-amd64';
}

function isNotFoundRef(ref: LabRef): boolean {
  return ref.kind === 'missing-tag' || ref.kind === 'missing-repo';
}

function credentialPair(ref: LabRef): string {
  return `${ref.registry} ${ref.withSecret ? 'alice' : 'anonymous'}`;
}

function breakdownLine(kinds: Record<ProxyKind, number>, tokens: number): string {
  const parts = [
    `ping ${kinds.ping}`,
    ...(tokens ? [`token ${tokens}`] : []),
    `HEAD ${kinds['manifest-head']}`,
    `GET ${kinds['manifest-get']}`,
    `tags ${kinds.tags}`,
    `blob ${kinds.blob}`,
  ];
  if (kinds.other) parts.push(`other ${kinds.other}`);
  return parts.join(' · ');
}

function describeTokens(tokens: Awaited<ReturnType<typeof tokenLog>>): string {
  return tokens
    .map((t) => `${t.method} ${t.user ?? 'anonymous'} ${t.scopes.length} scope(s) → ${t.status}`)
    .join('; ');
}

/** How many `/tags/list` requests each repository got. */
function tagListsPerRepository(lab: Lab): { total: number; repositories: number; max: number } {
  const perRepo = new Map<string, number>();
  for (const [name, proxy] of Object.entries(lab.proxies)) {
    for (const entry of proxy.log()) {
      if (entry.kind !== 'tags') continue;
      const key = `${name} ${entry.path.split('?', 1)[0]}`;
      perRepo.set(key, (perRepo.get(key) ?? 0) + 1);
    }
  }
  const counts = [...perRepo.values()];
  return {
    total: counts.reduce((a, b) => a + b, 0),
    repositories: perRepo.size,
    max: Math.max(0, ...counts),
  };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

function statusLines(statuses: StatusCheck): string[] {
  return statuses.wrong
    .slice(0, 5)
    .map((w) => `WRONG VERDICT ${w.image}: expected ${w.expected}, got ${w.got}`);
}
