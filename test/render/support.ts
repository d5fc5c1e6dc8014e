import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCliIn } from '../support/run.js';
import type { Finding } from '../../src/findings.js';

/** Placeholder for the registry host in test/fixtures/kustomize: tests write the real one in. */
export const HOST_PLACEHOLDER = 'LAB_REGISTRY';

export async function scratchDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `preflight-${prefix}-`));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Copies a fixture directory into `dir`, writing `host` wherever the fixture says LAB_REGISTRY. */
export async function copyFixture(fixture: string, dir: string, host: string): Promise<void> {
  await cp(path.resolve('test/fixtures', fixture), dir, { recursive: true });
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    if (text.includes(HOST_PLACEHOLDER)) await writeFile(file, text.split(HOST_PLACEHOLDER).join(host));
  }
}

/** Writes `files` (path → text) under `dir`. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}

/** The 1-based line of the first line containing `text` in a file of `dir`. */
export async function lineOf(dir: string, file: string, text: string, occurrence = 1): Promise<number> {
  const lines = (await readFile(path.join(dir, file), 'utf8')).split('\n');
  let seen = 0;
  const index = lines.findIndex((line) => line.includes(text) && ++seen === occurrence);
  if (index === -1) throw new Error(`${file} has no line with ${text}`);
  return index + 1;
}

export interface JsonReport {
  findings: Array<Finding & { mapping?: string; renderedBy?: string[] }>;
  images: Array<{
    reference: string;
    status: string;
    locations: Array<{
      file: string;
      line: number;
      column: number;
      container: string;
      mapping?: string;
      renderedBy?: string[];
    }>;
  }>;
  rendered?: { roots: string[]; capped: boolean };
}

/** Runs the CLI in `cwd` with a JSON report; never fails on findings. */
export async function cliJson(cwd: string, ...args: string[]) {
  const { code, stdout, stderr } = await runCliIn(cwd, ['--format', 'json', '--fail-on', 'never', ...args]);
  return { code, stderr, report: code === 2 ? undefined : (JSON.parse(stdout) as JsonReport) };
}
