// §9 Waiting for images (wait-for-images): the lab's 500 references with every image pending, once
// without a wait and once with a 5 s wait. The proxies count what the wait added: it must be one
// HEAD per missing reference per re-check round, and no ping, token or tag list.
import { parsePendingImage, type PendingImage } from '../src/analysis/pending.js';
import type { Lab, LabRegistryName } from './lab.js';
import { proxyCounts, resetObservers, scanLab, sumKinds, tokenLog } from './scan-lab.js';
import { formatBlock, verdict, type Row } from './table.js';

const SECTION = '9 wait';
const WAIT_MS = 5_000;

export async function benchWait(
  lab: Lab,
): Promise<{ rows: Row[]; breakdown: string; details: Record<string, unknown> }> {
  // Every lab registry's images are pending: `host/*` matches every tag there.
  const pending = (['open', 'basic', 'token'] as LabRegistryName[]).map((registry) => {
    const image = lab.image(lab.refs.find((ref) => ref.registry === registry)!);
    return parsePendingImage(`${image.slice(0, image.indexOf('/'))}/*`) as PendingImage;
  });

  const observe = async (wait: number) => {
    await resetObservers(lab);
    const startedAt = performance.now();
    const { result, ms } = await scanLab(lab, {}, { pending, wait: { durationMs: wait, for: 'pending' } });
    // Tag lists (for suggestions) asked for before the wait's deadline.
    const early = Object.values(lab.proxies)
      .flatMap((proxy) => proxy.log())
      .filter((entry) => entry.kind === 'tags' && entry.arrivedAt < startedAt + wait).length;
    // The references a wait re-checked: HEADs of a tag (index children are HEADed by digest).
    const rechecked = new Set(
      Object.values(lab.proxies)
        .flatMap((proxy) => proxy.log())
        .filter((entry) => entry.kind === 'manifest-head' && !entry.path.includes('/manifests/sha256:'))
        .map((entry) => entry.path),
    ).size;
    return {
      result,
      ms,
      early,
      rechecked,
      kinds: sumKinds(proxyCounts(lab)),
      tokens: (await tokenLog(lab)).length,
    };
  };
  const without = await observe(0);
  const waited = await observe(WAIT_MS);

  // The references still missing: distinct (registry, repository, reference, credential) waits.
  const missing = new Set(
    lab.refs
      .filter((ref) => ref.expected === 'not-found')
      .map((ref) => `${ref.withSecret} ${lab.image(ref)}`),
  ).size;
  const pendingCount = without.result.images.filter((image) => image.status === 'pending').length;
  const { rounds, rechecks, perRound } = waited.result.registry?.wait ?? {
    rounds: 0,
    rechecks: 0,
    perRound: [],
  };
  const addedHeads = waited.kinds['manifest-head'] - without.kinds['manifest-head'];
  const others = (['ping', 'manifest-get', 'blob'] as const).map(
    (kind) => `${kind} ${waited.kinds[kind] - without.kinds[kind]}`,
  );
  const addedTokens = waited.tokens - without.tokens;

  const rows: Row[] = [
    {
      section: SECTION,
      figure: 'HEAD requests per re-check round',
      value: `${perRound.join(', ')} (${rechecks} in ${rounds} rounds; proxies saw ${addedHeads} more HEADs, of ${waited.rechecked} distinct references)`,
      goal: `≤ ${missing} missing references (of ${lab.refs.length}) each, the last = ${missing}; = what the proxies saw; only missing references`,
      verdict: verdict(
        rounds > 0 &&
          perRound.every((n) => n <= missing) &&
          perRound.at(-1) === missing &&
          addedHeads === rechecks &&
          waited.rechecked === missing,
      ),
    },
    {
      section: SECTION,
      figure: 'other requests the wait added',
      value: `${others.join(', ')}, tokens ${addedTokens}`,
      goal: '0 each: no re-ping, no GET, tokens reused',
      verdict: verdict(others.every((o) => o.endsWith(' 0')) && addedTokens === 0),
    },
    {
      section: SECTION,
      figure: 'tag lists before / after the deadline',
      value: `${waited.early} / ${waited.kinds.tags - waited.early}`,
      goal: 'none before (suggestions only for what is still missing at the end)',
      verdict: verdict(waited.early === 0),
    },
    {
      section: SECTION,
      figure: 'scan time, no wait → 5 s wait',
      value: `${Math.round(without.ms)} ms → ${Math.round(waited.ms)} ms (${pendingCount} image-pending notices without the wait)`,
      goal: `ends within a round of the deadline (≤ ${WAIT_MS / 1000} s + the scan + one round)`,
      verdict: 'INFO',
    },
  ];
  const breakdown = formatBlock('§9 wait: requests by kind, without → with a 5 s wait', [
    ...(['ping', 'manifest-head', 'manifest-get', 'tags', 'blob'] as const).map(
      (kind) => `${kind.padEnd(14)} ${without.kinds[kind]} → ${waited.kinds[kind]}`,
    ),
    `${'tokens'.padEnd(14)} ${without.tokens} → ${waited.tokens}`,
  ]);
  return {
    rows,
    breakdown,
    details: {
      missing,
      rounds,
      rechecks,
      addedHeads,
      without: without.kinds,
      waited: waited.kinds,
      ms: [without.ms, waited.ms],
    },
  };
}
