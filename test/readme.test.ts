import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../src/cli.js';

describe('README', () => {
  it('documents every input and output exactly as action.yml does', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'preflight-readme-'));
    try {
      for (const file of ['README.md', 'action.yml']) await copyFile(file, path.join(dir, file));
      // The generator reads and rewrites the copies in its working directory.
      await promisify(execFile)(process.execPath, [path.resolve('scripts/readme-tables.mjs')], { cwd: dir });
      expect(await readFile(path.join(dir, 'README.md'), 'utf8')).toBe(await readFile('README.md', 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shows the two set-up commands, and CI runs exactly the test command', async () => {
    const readme = await readFile('README.md', 'utf8');
    expect(readme).toContain('npm ci\nnpm test\n');
    const ci = await readFile('.ci/run', 'utf8');
    expect(ci.trimEnd().split('\n').slice(-2)).toEqual(['npm ci', 'npm test']);
  });

  it('lists every CLI option the CLI accepts', async () => {
    const readme = await readFile('README.md', 'utf8');
    const options = [...USAGE.matchAll(/^\s+(--[a-z-]+)/gm)].map((match) => match[1]!);
    for (const option of options) expect(readme, option).toContain(`\`${option}`);
  });

  it('runs the action on Node 24 from the committed bundle', async () => {
    const action = load(await readFile('action.yml', 'utf8')) as { runs: { using: string; main: string } };
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });
});
