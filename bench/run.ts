// `npm run bench`: requests per reference, wall time against a skopeo loop, extraction speed and
// start-up/size, each against its goal. Prints a table and writes bench/results.json.
// Loopback only; every registry, proxy and child process started here is stopped before exit.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addGoBinToPath } from '../test/harness/tools.js';
import { benchExtraction } from './extraction.js';
import { benchFaults } from './faults.js';
import { benchHelm } from './helm.js';
import { startLab, type Lab } from './lab.js';
import { benchRender } from './render.js';
import { benchOneRegistry } from './one-registry.js';
import { benchRequests } from './requests.js';
import { benchStartup } from './startup.js';
import { formatTable, type Row } from './table.js';
import { benchWait } from './wait.js';
import { benchWallTime } from './walltime.js';

interface SectionReport {
  rows: Row[];
  breakdown: string;
  details: Record<string, unknown>;
}

const RESULTS = fileURLToPath(new URL('../../../bench/results.json', import.meta.url));
/** BENCH_SECTIONS=1,3 runs only those sections (default: all). */
const SECTIONS = new Set(
  (process.env['BENCH_SECTIONS'] ?? '1,2,3,4,6,7,8,9,r').split(',').map((s) => s.trim()),
);

addGoBinToPath(); // helm, where .ci/run built it
const started = performance.now();
const workDir = await mkdtemp(path.join(os.tmpdir(), 'imagepull-preflight-bench-'));
const rows: Row[] = [];
const details: Record<string, unknown> = {};
const loadAtStart = os.loadavg();
let lab: Lab | undefined;
let cleaned = false;

const cleanup = async (): Promise<void> => {
  if (cleaned) return;
  cleaned = true;
  await lab
    ?.stop()
    .catch((error: Error) => console.error(`bench: stopping the lab failed: ${error.message}`));
  await rm(workDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping registries and proxies`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Runs one section; a failure becomes an ERROR row and the other sections still run. */
async function section(name: string, key: string, run: () => Promise<SectionReport>): Promise<void> {
  const t0 = performance.now();
  console.error(`bench: ${name}…`);
  try {
    const report = await run();
    rows.push(...report.rows);
    details[key] = report.details;
    console.log(`${report.breakdown}\n`);
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    rows.push({
      section: name,
      figure: 'section failed',
      value: message.slice(0, 200),
      goal: '',
      verdict: 'ERROR',
    });
    details[key] = { error: message };
    console.error(`bench: ${name} failed: ${(error as Error).stack ?? message}`);
  }
  console.error(`bench: ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function runSections(): Promise<void> {
  if (SECTIONS.has('3')) await section('3 extraction', 'extraction', () => benchExtraction(workDir));
  if (SECTIONS.has('6')) await section('6 helm', 'helm', () => benchHelm(workDir));
  // `r`, not a number: render's own section, kept out of the way of the numbered ones.
  if (SECTIONS.has('r')) await section('r render', 'render', benchRender);
  if (!['1', '2', '4', '7', '8', '9'].some((s) => SECTIONS.has(s))) return;
  const labStarted = performance.now();
  try {
    lab = await startLab(path.join(workDir, 'lab'));
  } catch (error) {
    const value = (error as Error).message.slice(0, 200);
    rows.push({ section: 'lab', figure: 'registry lab', value, goal: '', verdict: 'ERROR' });
    return;
  }
  const ready = lab;
  console.error(
    `bench: lab of ${ready.refs.length} refs ready in ${Math.round(performance.now() - labStarted)} ms`,
  );
  if (SECTIONS.has('1')) await section('1 requests', 'requests', () => benchRequests(ready));
  if (SECTIONS.has('2')) await section('2 wall time', 'wallTime', () => benchWallTime(ready, workDir));
  const image = ready.image(ready.refs.find((ref) => ref.registry === 'open' && ref.kind === 'existing')!);
  if (SECTIONS.has('4')) {
    await section('4 start-up', 'startup', () => benchStartup(ready.proxies.open, image, workDir));
  }
  if (SECTIONS.has('7')) await section('7 faults', 'faults', () => benchFaults(ready, workDir));
  if (SECTIONS.has('8'))
    await section('8 one registry', 'oneRegistry', () => benchOneRegistry(ready, workDir));
  if (SECTIONS.has('9')) await section('9 wait', 'wait', () => benchWait(ready));
}

try {
  await runSections();
} finally {
  await cleanup();
}

const order = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'r', 'l'];
rows.sort((a, b) => order.indexOf(a.section[0]!) - order.indexOf(b.section[0]!));
const durationMs = performance.now() - started;
console.log(formatTable(rows));
const misses = rows.filter((row) => row.verdict === 'MISS' || row.verdict === 'ERROR');
console.log(
  `\n${rows.filter((row) => row.verdict === 'PASS').length} met, ${misses.length} missed; ` +
    `${(durationMs / 1000).toFixed(0)} s; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at start ` +
    `on ${os.cpus().length} cores (a busy machine slows every figure); results in bench/results.json`,
);
await writeFile(
  RESULTS,
  JSON.stringify(
    {
      version: 1,
      date: new Date().toISOString(),
      node: process.version,
      machine: {
        cpus: os.cpus().length,
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        loadAtStart,
        loadAtEnd: os.loadavg(),
      },
      durationMs: Math.round(durationMs),
      rows,
      sections: details,
    },
    null,
    2,
  ) + '\n',
);
