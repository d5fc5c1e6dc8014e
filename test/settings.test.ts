import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../src/cli.js';
import {
  DEFAULT_SETTINGS,
  InputError,
  resolveSettings,
  settingSpecs,
  type RawSettings,
  type SettingName,
} from '../src/settings.js';

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

interface ActionInput {
  description: string;
  default: string;
  required: boolean;
}

describe('the settings table', () => {
  it('is what action.yml declares: every input, in order, with its description and default', async () => {
    const action = load(await readFile('action.yml', 'utf8')) as { inputs: Record<string, ActionInput> };
    const fromTable = settingSpecs()
      .filter(([, spec]) => spec.input)
      .map(([, spec]) => ({ input: spec.input, description: spec.description, default: spec.default }));
    const fromAction = Object.entries(action.inputs).map(([input, declared]) => ({
      input,
      description: oneLine(declared.description),
      default: String(declared.default),
    }));
    expect(fromAction).toEqual(fromTable);
    for (const declared of Object.values(action.inputs)) expect(declared.required).toBe(false);
  });

  it('is what --help lists: every flag, with its argument and default', () => {
    const listed = [...USAGE.matchAll(/^ {2}(--[a-z-]+)(?: (\S+))?/gm)].map((m) => `${m[1]} ${m[2] ?? ''}`);
    const flags = settingSpecs()
      .filter(([, spec]) => spec.flag)
      .map(([, spec]) => `--${spec.flag} ${spec.arg ?? ''}`);
    expect(listed).toEqual(flags);
    for (const [, spec] of settingSpecs()) {
      if (spec.flag && spec.arg && spec.default !== '') {
        const entry = USAGE.slice(USAGE.indexOf(`--${spec.flag} `)).split(/\n {2}-/)[0]!;
        expect(oneLine(entry), spec.flag).toContain(`(default: ${spec.default})`);
      }
    }
  });

  it('is what the README option table lists', async () => {
    const readme = await readFile('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Command line'), readme.indexOf('### JSON report'));
    const rows = section.split('\n').filter((line) => line.startsWith('| `--'));
    const documented = new Set(rows.flatMap((row) => [...row.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]!)));
    const flags = settingSpecs()
      .filter(([, spec]) => spec.flag)
      .map(([, spec]) => `--${spec.flag}`);
    expect([...documented].sort()).toEqual([...flags].sort());
  });

  it('parses every default', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      failOn: 'error',
      format: 'text',
      paths: ['.'],
      scan: 'changed',
      maxFileSize: 10 * 1024 * 1024,
      defaultPlatform: { os: 'linux', architecture: 'amd64' },
      concurrency: 16,
      perRegistryConcurrency: 16,
      timeout: 15_000,
      maxRenderRoots: 20,
      offline: false,
      kustomizeRemote: false,
      checkRun: true,
      comment: false,
      githubToken: '',
    });
  });

  it('holds numeric settings to their bounds, naming the input or the flag', () => {
    for (const [name, spec] of settingSpecs()) {
      if (!spec.bounds) continue;
      const { min, max } = spec.bounds;
      const at = (value: number) => resolveSettings({ [name]: String(value) } as RawSettings, 'cli')[name];
      expect(at(min), name).toBeGreaterThan(0);
      expect(at(max), name).toBeGreaterThan(0);
      expect(() => at(max + 1)).toThrow(new RegExp(`^--${spec.flag} must be .*; got "${max + 1}"`));
      expect(() => resolveSettings({ [name]: 'x' } as RawSettings, 'action')).toThrow(
        new RegExp(`^input "${spec.input}" must be`),
      );
    }
  });

  it.each<[SettingName, string, string]>([
    ['failOn', 'sometimes', 'input "fail-on" must be one of error, warning, notice, never; got "sometimes"'],
    ['offline', 'yes', 'input "offline" must be true or false; got "yes"'],
    [
      'maxFileSize',
      'big',
      'input "max-file-size" must be a size such as 10MB, 512KB or a number of bytes; got "big"',
    ],
    ['paths', ' , ', 'input "paths" names no files or directories'],
    [
      'ignoreRules',
      'tag-not-fund',
      'input "ignore-rules" names an unknown rule "tag-not-fund"; the rules are listed in docs/rules.md',
    ],
    [
      'insecureRegistries',
      'http://x',
      'input "insecure-registries" must list registry hosts such as registry.example.com:5000; "http://x" is not one',
    ],
  ])('refuses %s = %j with a plain-English InputError', (name, value, message) => {
    let thrown: unknown;
    try {
      resolveSettings({ [name]: value }, 'action');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as Error).message).toBe(message);
  });

  it('names the CLI flag, not the input, on the command line', () => {
    expect(() => resolveSettings({ insecureRegistries: 'a b' }, 'cli')).toThrow(
      /^--insecure-registry must list/,
    );
  });

  it('is read from the environment only by the two entry points', async () => {
    const entries = await readdir('src', { recursive: true, withFileTypes: true });
    const readers: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const file = path.join(entry.parentPath, entry.name);
      const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.includes('process.env'));
      // Handing the environment on to a child process (git, kubectl, helm) is not reading a setting.
      if (lines.some((line) => !/^\s*const env = .*process\.env\b/.test(line)))
        readers.push(path.relative('src', file));
    }
    expect(readers.sort()).toEqual(['main-action.ts', 'main-cli.ts']);
  });
});

describe('max-duration and the wait', () => {
  const MIN = 60_000;
  it.each<[string, RawSettings, 'cli' | 'action', number]>([
    ['no wait: the default', {}, 'cli', 10 * MIN],
    [
      'a wait with max-duration left out: the default plus the wait',
      { waitForImages: '10m' },
      'cli',
      20 * MIN,
    ],
    // GitHub passes action.yml's default for an input left out: the same as not set.
    [
      'the action, max-duration at its default',
      { waitForImages: '10m', maxDuration: '10m' },
      'action',
      20 * MIN,
    ],
    [
      'a max-duration set longer than the wait',
      { waitForImages: '10m', maxDuration: '15m' },
      'cli',
      15 * MIN,
    ],
  ])('%s', (_what, raw, source, maxDuration) => {
    expect(resolveSettings(raw, source).maxDuration).toBe(maxDuration);
  });

  it.each<[RawSettings, 'cli' | 'action', string]>([
    [
      { waitForImages: '10m', maxDuration: '10m' },
      'cli',
      '--wait (10m) must be shorter than --max-duration (10m), which bounds the whole scan, the wait included; leave max-duration out or raise it',
    ],
    [
      { waitForImages: '30m', maxDuration: '20m' },
      'action',
      'input "wait-for-images" (30m) must be shorter than input "max-duration" (20m), which bounds the whole scan, the wait included; leave max-duration out or raise it',
    ],
  ])('a wait as long as a max-duration set by hand is a usage error: %j', (raw, source, message) => {
    expect(() => resolveSettings(raw, source)).toThrow(new InputError(message));
  });

  it('names where each value was written when they come from the config file', () => {
    const config = {
      values: { waitForImages: '5m', maxDuration: '5m' },
      labels: { waitForImages: 'c.yaml:1:16: waitForImages', maxDuration: 'c.yaml:2:14: maxDuration' },
    };
    expect(() => resolveSettings({}, 'cli', config)).toThrow(
      'c.yaml:1:16: waitForImages (5m) must be shorter than c.yaml:2:14: maxDuration (5m)',
    );
  });
});
