import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliIn } from '../support/run.js';
import { seeded } from '../support/random.js';

/**
 * Manifests written to hurt: alias bombs, absurd nesting, huge files, binary and invalid text, broken
 * pull secrets, tens of thousands of documents, monster scalars. Each sits next to one normal manifest
 * and must come out as a clear finding on its own file, in bounded time and memory, while the normal
 * manifest's image is still reported.
 */

const MB = 1024 * 1024;
const NORMAL_IMAGE = 'registry.example.com/team/app:1.2.3';
const NORMAL = `apiVersion: v1
kind: Pod
metadata: {name: normal, namespace: apps}
spec:
  containers:
    - name: app
      image: ${NORMAL_IMAGE}
`;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'preflight-hostile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface JsonReport {
  findings: Array<{ rule: string; severity: string; file: string; line: number; message: string }>;
  images: Array<{ reference: string; status: string; locations: Array<{ file: string; line: number }> }>;
}

interface HostileCase {
  name: string;
  file: string;
  /** Writes the hostile file; returns the 1-based line the finding belongs on (default 1). */
  write: (file: string) => Promise<number | void>;
  rule: string;
  message: RegExp;
  maxMs: number;
  /** Peak RSS growth allowed while the CLI runs. */
  maxRssMb: number;
  /** Report size allowed, in bytes (default 1 MB plus four times the hostile file). */
  maxReportBytes?: number;
  /** Runs after every other case (it may leave a high RSS peak behind). */
  runLast?: boolean;
}

function pod(name: string, image: string, extra = ''): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}${extra}}\nspec:\n  containers:\n    - name: c\n      image: "${image}"\n`;
}

function pullSecret(name: string, dataValue: string): string {
  return [
    'apiVersion: v1',
    'kind: Secret',
    `metadata: {name: ${name}, namespace: apps}`,
    'type: kubernetes.io/dockerconfigjson',
    'data:',
    `  .dockerconfigjson: ${dataValue}`,
    '',
  ].join('\n');
}

/** A Pod in `kind: List`s nested `levels` deep, each aliasing the level below `branch` times. */
function listBomb(branch: number, levels: number): string {
  const podNode = `&p0 {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: "busybox:1.36"}]}}`;
  const lines = ['apiVersion: v1', 'kind: List', 'items:'];
  lines.push(`- &l1 {apiVersion: v1, kind: List, items: [${podNode}${', *p0'.repeat(branch - 1)}]}`);
  for (let level = 2; level <= levels; level++) {
    const items = Array.from({ length: branch }, () => `*l${level - 1}`).join(', ');
    lines.push(`- &l${level} {apiVersion: v1, kind: List, items: [${items}]}`);
  }
  return lines.join('\n');
}

/** Writes `total` bytes of `line` repeated, a megabyte at a time (never the whole file in memory). */
async function writeRepeated(file: string, line: string, total: number): Promise<void> {
  const chunk = Buffer.from(line.repeat(Math.ceil(MB / line.length))).subarray(0, MB);
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < total; written += chunk.length) await handle.write(chunk);
  } finally {
    await handle.close();
  }
}

const CASES: HostileCase[] = [
  {
    name: 'a 100 MB file is reported too large without being read',
    file: 'huge.yaml',
    write: (file) => writeRepeated(file, `# ${'x'.repeat(60)}\nkey: value\n`, 100 * MB),
    rule: 'manifest-skipped',
    message: /^file is 10\d{7} bytes, over the 10485760-byte limit \(max-file-size\); not scanned$/,
    maxMs: 2_000,
    maxRssMb: 40,
  },
  {
    name: 'an alias bomb (billion laughs)',
    file: 'laughs.yaml',
    write: async (file) => {
      const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: lol}', 'data:'];
      lines.push(`  a: &a [${Array(9).fill('"lol"').join(', ')}]`);
      for (const [prev, next] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi'])
        lines.push(`  ${next}: &${next} [${Array(9).fill(`*${prev}`).join(', ')}]`);
      await writeFile(file, `${lines.join('\n')}\n`);
    },
    rule: 'manifest-parse-error',
    message: /excessive aliasing/,
    maxMs: 2_000,
    maxRssMb: 60,
  },
  {
    name: 'flow nesting 10,000 deep',
    file: 'deep-flow.yaml',
    write: (file) => writeFile(file, `deep: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`),
    rule: 'manifest-parse-error',
    message: /^invalid YAML: nesting exceeded maxDepth \(100\)$/,
    maxMs: 2_000,
    maxRssMb: 60,
  },
  {
    name: 'block sequences nested 10,000 deep',
    file: 'deep-block-seq.yaml',
    write: async (file) => {
      await writeFile(file, `deep:\n  ${'- '.repeat(10_000)}x\n`);
      return 2;
    },
    rule: 'manifest-parse-error',
    message: /^invalid YAML: nesting exceeded maxDepth \(100\)$/,
    maxMs: 2_000,
    maxRssMb: 60,
  },
  {
    name: 'block mappings nested 4,000 deep (8 MB of indentation)',
    file: 'deep-block-map.yaml',
    write: async (file) => {
      const lines = Array.from({ length: 4_000 }, (_, depth) => `${' '.repeat(depth)}k:`);
      await writeFile(file, `${lines.join('\n')} x\n`);
      return 100;
    },
    rule: 'manifest-parse-error',
    message: /^invalid YAML: nesting exceeded maxDepth \(100\)$/,
    maxMs: 3_000,
    maxRssMb: 150,
  },
  {
    name: 'binary garbage with NULs',
    file: 'garbage.yaml',
    write: async (file) => {
      const random = seeded(7);
      const bytes = Buffer.alloc(256 * 1024, 0);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      await writeFile(file, bytes);
    },
    rule: 'manifest-skipped',
    message: /^this file is not UTF-8 text; not scanned$/,
    maxMs: 1_000,
    maxRssMb: 40,
  },
  {
    name: 'invalid UTF-8 in an otherwise normal manifest',
    file: 'latin1.yaml',
    write: (file) =>
      writeFile(
        file,
        Buffer.concat([
          Buffer.from(pod('latin1', 'busybox:1.36', ', annotations: {owner: "')),
          Buffer.from([0xc3, 0x28, 0xff]),
          Buffer.from('"}\n'),
        ]),
      ),
    rule: 'manifest-skipped',
    message: /^this file is not UTF-8 text; not scanned$/,
    maxMs: 1_000,
    maxRssMb: 40,
  },
  {
    name: 'a pull secret whose data is not base64',
    file: 'secret-base64.yaml',
    write: async (file) => {
      await writeFile(file, pullSecret('bad-b64', '"eyJhdXRocyI6e30=!!not*base64"'));
      return 6;
    },
    rule: 'pull-secret-invalid',
    message:
      /^pull secret "bad-b64" cannot be used: its \.dockerconfigjson value in data is not valid base64$/,
    maxMs: 1_000,
    maxRssMb: 40,
  },
  {
    name: 'a pull secret whose JSON is broken',
    file: 'secret-json.yaml',
    write: async (file) => {
      await writeFile(
        file,
        pullSecret('bad-json', Buffer.from('{"auths": {"r.example": {"auth": ').toString('base64')),
      );
      return 6;
    },
    rule: 'pull-secret-invalid',
    message: /^pull secret "bad-json" cannot be used: the value is not valid JSON$/,
    maxMs: 1_000,
    maxRssMb: 40,
  },
  {
    name: '50,000 small documents, the last with a bad image: found on its line',
    file: 'many-docs.yaml',
    write: async (file) => {
      const configMap = (i: number) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\ndata: {k: v}\n`;
      const docs = Array.from({ length: 49_999 }, (_, i) => configMap(i));
      docs.push(pod('last', 'Busybox:1.36'));
      const text = docs.join('---\n');
      await writeFile(file, text);
      return text.split('\n').findIndex((line) => line.includes('Busybox')) + 1;
    },
    rule: 'invalid-reference',
    message:
      /^"Busybox:1\.36" is not a valid image reference \(.*repository name \(library\/Busybox\) must be lowercase\)/,
    maxMs: 8_000,
    maxRssMb: 400,
  },
  {
    name: 'an 8 MB scalar on one line does not hide the image after it',
    file: 'long-scalar.yaml',
    write: async (file) => {
      const text = pod('long', 'Busybox:2', `, annotations: {blob: "${'y'.repeat(8 * MB)}"}`);
      await writeFile(file, text);
      return 7;
    },
    rule: 'invalid-reference',
    message: /^"Busybox:2" is not a valid image reference/,
    maxMs: 3_000,
    maxRssMb: 200,
  },
  {
    name: 'a 1 MB image reference',
    file: 'long-image.yaml',
    write: async (file) => {
      await writeFile(file, pod('long-image', `registry.example.com/${'a'.repeat(MB)}:1`));
      return 7;
    },
    rule: 'invalid-reference',
    message: /is not a valid image reference \(repository name must not be more than 255 characters\)/,
    maxMs: 2_000,
    maxRssMb: 100,
  },
  {
    name: 'aliasing just under the per-document limit, in four documents: bounded all the same',
    file: 'list-bomb.yaml',
    write: (file) => writeFile(file, Array(4).fill(listBomb(35, 3)).join('\n---\n')),
    rule: 'manifest-parse-error',
    message: /alias/,
    maxMs: 3_000,
    maxRssMb: 150,
    maxReportBytes: 4 * MB,
    runLast: true,
  },
];

function cli(cwd: string, ...args: string[]) {
  return runCliIn(cwd, args);
}

describe('hostile manifests: a clear finding on the right file, bounded, the rest unaffected', () => {
  const measured: string[] = [];
  afterAll(() => console.log(`hostile manifests:\n${measured.join('\n')}`));

  // Peak RSS is per process: cases run in increasing order of the memory they may use, so an earlier
  // case's peak never counts against a later, smaller bound. The alias amplification case runs last.
  const ordered = [...CASES].sort(
    (a, b) => (a.runLast ? Infinity : a.maxRssMb) - (b.runLast ? Infinity : b.maxRssMb),
  );
  it.each(ordered)(
    '$name',
    async (c) => {
      const dir = await mkdtemp(path.join(root, 'case-'));
      try {
        await writeFile(path.join(dir, 'normal.yaml'), NORMAL);
        const line = (await c.write(path.join(dir, c.file))) ?? 1;
        const size = (await stat(path.join(dir, c.file))).size;

        // maxRSS is the process's high-water mark: growth is how far this case raised it above both
        // the earlier peak and today's RSS (an earlier case's freed peak is not this case's doing).
        const baseline = Math.max(process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
        const t0 = performance.now();
        const { code, stdout, stderr } = await cli(dir, '--offline', '--format', 'json', '.');
        const ms = performance.now() - t0;
        const peakGrowthMb = (process.resourceUsage().maxRSS * 1024 - baseline) / MB;
        measured.push(
          `  ${c.name}: ${size} bytes, ${Math.round(ms)} ms, peak RSS +${Math.max(0, Math.round(peakGrowthMb))} MB, report ${stdout.length} bytes`,
        );

        expect(stderr).toBe('');
        expect(code).not.toBe(2);
        const report = JSON.parse(stdout) as JsonReport;
        const onFile = report.findings.filter((f) => f.file === c.file);
        expect(onFile.map((f) => f.rule)).toContain(c.rule);
        const finding = onFile.find((f) => f.rule === c.rule)!;
        expect(finding.message).toMatch(c.message);
        expect(finding.line).toBe(line);
        // The normal manifest is read as if it were alone.
        expect(report.findings.filter((f) => f.file === 'normal.yaml')).toEqual([]);
        const normal = report.images.find((i) => i.reference === NORMAL_IMAGE);
        expect(normal?.locations).toEqual([expect.objectContaining({ file: 'normal.yaml', line: 7 })]);
        expect(normal?.status).toBe('unchecked');
        expect(ms).toBeLessThan(c.maxMs);
        expect(peakGrowthMb).toBeLessThan(c.maxRssMb);
        expect(stdout.length).toBeLessThan(c.maxReportBytes ?? MB + 4 * size);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    30_000,
  );
});
