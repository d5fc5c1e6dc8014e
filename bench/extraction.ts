// §3 Extraction: our position-exact extraction vs a bare js-yaml loadAll of the same 10,000 documents,
// in one text and spread over files; peak RSS and a CPU profile of a child doing only our extraction.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadAll, parseEvents } from 'js-yaml';
import { emptyManifestSet, extractFromText, type ExtractOptions } from '../src/manifests/extract.js';
import type { ManifestSet } from '../src/manifests/types.js';
import { corpusText, generateCorpus, type Corpus } from './corpus.js';
import { liftedLimits } from './limits.js';
import { topSelfTimes, type SelfTime } from './profile.js';
import { formatBlock, verdict, type Row } from './table.js';
import { median, runChild } from './util.js';

export interface ExtractionReport {
  rows: Row[];
  breakdown: string;
  details: Record<string, unknown>;
}

const SECTION = '3 extraction';
const GOAL_RATIO = 1.5;
const WARM_UP = 2;
const RUNS = 9;
const CHILD_TIMEOUT_MS = 120_000;
const DEFAULTS: ExtractOptions = { defaultNamespace: 'default' };
const CHILD = fileURLToPath(new URL('./extract-child.js', import.meta.url));

/** A full collection before each timed run, so one run's garbage is not charged to the next. */
const collectGarbage = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

interface Extracted {
  images: number;
  problems: string[];
}

interface Comparison {
  oursMs: number;
  theirsMs: number;
  ratio: number;
}

interface ChildStats {
  maxRssKb: number;
  ms: number;
  images: number;
}

interface RssStats {
  perFile: ChildStats;
  oneText: ChildStats;
  read: ChildStats;
}

export async function benchExtraction(workDir: string): Promise<ExtractionReport> {
  const corpus = generateCorpus();
  const text = corpusText(corpus);
  const documents = loadAll(text).length;
  const perFile = extractFiles(corpus, DEFAULTS);
  const oneTextDefault = extractText(text, DEFAULTS);
  // The defaults may refuse the corpus as one file (per-file alias budgets): time the parse anyway.
  const refused = oneTextDefault.problems.length > 0;
  const oneTextOptions = refused ? { ...DEFAULTS, limits: liftedLimits() } : DEFAULTS;
  const oneTextTimed = refused ? extractText(text, oneTextOptions) : oneTextDefault;
  const oneText = compare(
    () => extractFromText('corpus.yaml', text, oneTextOptions, emptyManifestSet()),
    () => loadAll(text),
  );
  const files = compare(
    () => extractFiles(corpus, DEFAULTS),
    () => corpus.files.forEach((file) => loadAll(file.text)),
  );
  const eventsMs = timeRuns(() => parseEvents(text, { maxDepth: 100 }));
  const dir = path.join(workDir, 'corpus');
  await writeCorpus(corpus, dir);
  const limits = refused ? 'lifted' : 'default';
  const rss = await childRss(dir, limits);
  const profile = await profileChild(dir, path.join(workDir, 'cpu-profile'), limits);
  const state = { corpus, text, documents, perFile, oneTextDefault, oneTextTimed, refused };
  return report(state, oneText, files, eventsMs, rss, profile);
}

function extractFiles(corpus: Corpus, options: ExtractOptions): Extracted {
  const set = emptyManifestSet();
  for (const file of corpus.files) extractFromText(file.name, file.text, options, set);
  return extracted(set);
}

function extractText(text: string, options: ExtractOptions): Extracted {
  const set = emptyManifestSet();
  extractFromText('corpus.yaml', text, options, set);
  return extracted(set);
}

function extracted(set: ManifestSet): Extracted {
  return { images: set.images.length, problems: set.problems.map((p) => `${p.kind}: ${p.message}`) };
}

/** Warm-up, then interleaved runs (alternating which goes first); medians. */
function compare(ours: () => void, theirs: () => void): Comparison {
  for (let i = 0; i < WARM_UP; i++) {
    ours();
    theirs();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2) b.push(time(theirs));
    a.push(time(ours));
    if (!(i % 2)) b.push(time(theirs));
  }
  const oursMs = median(a);
  const theirsMs = median(b);
  return { oursMs, theirsMs, ratio: oursMs / theirsMs };
}

function timeRuns(fn: () => void): number {
  for (let i = 0; i < WARM_UP; i++) fn();
  return median(Array.from({ length: RUNS }, () => time(fn)));
}

function time(fn: () => void): number {
  collectGarbage();
  const started = performance.now();
  fn();
  return performance.now() - started;
}

async function writeCorpus(corpus: Corpus, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(corpus.files.map((file) => writeFile(path.join(dir, file.name), file.text)));
}

async function runExtractChild(args: string[]): Promise<ChildStats> {
  const result = await runChild(process.execPath, args, { timeoutMs: CHILD_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`extract child failed: ${result.stderr.slice(-2000)}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as ChildStats;
}

async function childRss(dir: string, limits: string): Promise<RssStats> {
  return {
    perFile: await runExtractChild([CHILD, dir, 'extract']),
    oneText: await runExtractChild([CHILD, dir, 'extract-one', limits]),
    read: await runExtractChild([CHILD, dir, 'read']),
  };
}

/** Profiles the one-text extraction (the goal's main figure). */
async function profileChild(dir: string, profileDir: string, limits: string): Promise<SelfTime[]> {
  await mkdir(profileDir, { recursive: true });
  await runExtractChild(['--cpu-prof', `--cpu-prof-dir=${profileDir}`, CHILD, dir, 'extract-one', limits]);
  return topSelfTimes(profileDir, 8);
}

interface State {
  corpus: Corpus;
  text: string;
  documents: number;
  perFile: Extracted;
  oneTextDefault: Extracted;
  oneTextTimed: Extracted;
  refused: boolean;
}

function report(
  state: State,
  oneText: Comparison,
  files: Comparison,
  eventsMs: number,
  rss: RssStats,
  profile: SelfTime[],
): ExtractionReport {
  const { corpus, text, perFile, oneTextDefault, oneTextTimed, refused } = state;
  const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
  const expected = corpus.images;
  const complete = (e: Extracted) => e.images === expected && e.problems.length === 0;
  const ratioRow = (figure: string, c: Comparison, valid: boolean): Row => ({
    section: SECTION,
    figure,
    value: `${c.oursMs.toFixed(0)} ms vs loadAll ${c.theirsMs.toFixed(0)} ms = ${c.ratio.toFixed(2)}×`,
    goal: `≤ ${GOAL_RATIO}× (median of ${RUNS} after ${WARM_UP} warm-ups)`,
    verdict: valid ? verdict(c.ratio <= GOAL_RATIO) : 'ERROR',
  });
  const rows: Row[] = [
    {
      section: SECTION,
      figure: 'corpus, extracted file by file',
      value: `${state.documents} docs, ${corpus.files.length} files, ${(text.length / 1e6).toFixed(1)} MB`,
      goal: `${perFile.images}/${expected} images found, ${perFile.problems.length} problems`,
      verdict: verdict(complete(perFile)),
    },
    {
      section: SECTION,
      figure: 'corpus as one text, default limits',
      value: refused ? `REFUSED: ${oneTextDefault.problems[0]}`.slice(0, 80) : 'accepted',
      goal: `${oneTextDefault.images}/${expected} images found`,
      verdict: refused ? 'INFO' : verdict(complete(oneTextDefault)),
    },
    ratioRow(`extractFromText, one text${refused ? ' (lifted)' : ''}`, oneText, complete(oneTextTimed)),
    ratioRow(`extractFromText, ${corpus.files.length} files`, files, complete(perFile)),
    {
      section: SECTION,
      figure: 'js-yaml parseEvents alone, one text',
      value: `${eventsMs.toFixed(0)} ms (${((eventsMs / oneText.oursMs) * 100).toFixed(0)}% of ours)`,
      goal: `loadAll = ${oneText.theirsMs.toFixed(0)} ms`,
      verdict: 'INFO',
    },
    {
      section: SECTION,
      figure: 'peak RSS, child extracting per file',
      value: `${mb(rss.perFile.maxRssKb)} (${rss.perFile.ms.toFixed(0)} ms)`,
      goal: `child only reading the files: ${mb(rss.read.maxRssKb)}`,
      verdict: 'INFO',
    },
    {
      section: SECTION,
      figure: 'peak RSS, child extracting one text',
      value: `${mb(rss.oneText.maxRssKb)} (${rss.oneText.ms.toFixed(0)} ms)`,
      goal: `${rss.oneText.images} images${refused ? ', alias limits lifted' : ''}`,
      verdict: 'INFO',
    },
  ];
  const breakdown = formatBlock('§3 extraction', [
    refused
      ? `one text with default limits: ${oneTextDefault.problems.join('; ')}; timed and profiled with alias limits lifted`
      : 'one text accepted with default limits',
    'CPU profile of a child extracting the corpus as one text (self time, top functions):',
    ...profile.map((p) => `  ${String(p.ms).padStart(5)} ms ${String(p.share).padStart(5)}%  ${p.name}`),
  ]);
  return {
    rows,
    breakdown,
    details: {
      corpus: {
        documents: state.documents,
        bytes: text.length,
        files: corpus.files.length,
        images: expected,
      },
      perFile,
      oneTextDefault,
      oneTextTimed,
      oneText,
      files,
      eventsMs,
      rss,
      profile,
    },
  };
}
