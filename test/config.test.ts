import { readFile } from 'node:fs/promises';
import Ajv2020 from 'ajv/dist/2020.js';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/file.js';
import { configSchema, SCHEMA_FILE } from '../src/config/schema.js';
import { SUPPORTED_KEYWORDS } from '../src/config/validate.js';
import { resolveSettings } from '../src/settings.js';
import { removeDir, scratchDir, writeTree } from './render/support.js';
import { CONFIG_FILE, configError } from './support/config.js';
import { runCliIn } from './support/run.js';

const FILE = CONFIG_FILE;

function keywords(schema: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const item of schema) keywords(item, found);
  else if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      found.add(key);
      // Property names are not keywords; their schemas are.
      if (key === 'properties')
        for (const property of Object.values(value as object)) keywords(property, found);
      else if (key !== 'enum' && key !== 'default' && key !== 'required') keywords(value, found);
    }
  }
  return found;
}

describe('the config file schema', () => {
  it('is shipped exactly as the settings table makes it', async () => {
    expect(JSON.parse(await readFile(SCHEMA_FILE, 'utf8')), 'run npm run schema').toEqual(configSchema());
  });

  it('uses only keywords the runtime validator implements', () => {
    expect([...keywords(configSchema())].filter((keyword) => !SUPPORTED_KEYWORDS.has(keyword))).toEqual([]);
  });

  it('holds every configurable setting, but no secret and not the config path itself', () => {
    const properties = Object.keys(configSchema().properties!);
    expect(properties).toEqual(
      expect.arrayContaining(['failOn', 'maxFileSize', 'maxDuration', 'imagePaths']),
    );
    for (const excluded of ['githubToken', 'registryAuth', 'config'])
      expect(properties).not.toContain(excluded);
  });

  // The file comes with the pull request: it must not choose which files the run overwrites.
  it.each(['output', 'reportFile', 'sarifFile'])('refuses %s: where reports go is the workflow’s', (key) => {
    expect(Object.keys(configSchema().properties!)).not.toContain(key);
    expect(() => parseConfig(FILE, `${key}: /home/runner/.bashrc\n`)).toThrow(
      new RegExp(
        `^\\.imagepull-preflight\\.yaml:1:1: ${key} can only be set as .*: the config file comes from the pull request and must not choose which files the run overwrites$`,
      ),
    );
  });

  // ajv (the reference implementation editors and CI linters use) and the runtime must agree.
  const ajv = new Ajv2020.default({ allErrors: true, strict: true });
  const ajvValidate = ajv.compile(configSchema() as object);
  it.each([
    [
      'every kind of setting',
      'failOn: warning\nconcurrency: 8\ntimeout: 2.5\nmaxFileSize: 5MB\noffline: true\npaths: [deploy, charts]\nignoreRules: mutable-tag\nmaxDuration: 90s\n',
      true,
    ],
    ['sizes and durations as numbers', 'maxFileSize: 1048576\nmaxDuration: 600\n', true],
    [
      'imagePaths and suppressions',
      'imagePaths:\n  - {group: example.com, version: v1, kind: Runner, path: spec/image}\n  - {kind: Job2, path: spec/x}\nsuppressions:\n  - path: legacy/\n    rules: [mutable-tag]\n    reason: frozen\n',
      true,
    ],
    ['a $schema line for editors', '$schema: ./schema/imagepull-preflight.schema.json\n', true],
    ['an unknown key', 'fail-on: warning\n', false],
    ['a quoted boolean', 'offline: "true"\n', false],
    ['a number out of bounds', 'concurrency: 0\n', false],
    ['a fraction where a whole number goes', 'concurrency: 2.5\n', false],
    ['an unknown severity', 'failOn: sometimes\n', false],
    ['an imagePaths entry without kind', 'imagePaths:\n  - path: spec/image\n', false],
    ['an imagePaths entry with an unknown key', 'imagePaths:\n  - {kind: A, path: b, create: true}\n', false],
    ['a suppression naming an unknown rule', 'suppressions:\n  - {path: a, rules: [tag-not-fund]}\n', false],
    ['a size that is not one', 'maxFileSize: big\n', false],
    ['a duration that is not one', 'maxDuration: soon\n', false],
    ['a list where a switch goes', 'offline: [true]\n', false],
  ])('agrees with ajv on %s', (_name, text, valid) => {
    expect(ajvValidate(load(text)), JSON.stringify(ajvValidate.errors)).toBe(valid);
    let accepted = true;
    try {
      parseConfig(FILE, text);
    } catch {
      accepted = false;
    }
    expect(accepted).toBe(valid);
  });
});

describe('reading the config file', () => {
  it('turns settings into raw values and keeps imagePaths and suppressions typed', () => {
    const config = parseConfig(
      FILE,
      'failOn: warning\nignoreImages: [a/*, b/*]\nimagePaths:\n  - {group: example.com, kind: Runner, path: spec/template/image}\nsuppressions:\n  - path: legacy\n',
    );
    expect(config.values).toEqual({ failOn: 'warning', ignoreImages: 'a/*,b/*' });
    expect(config.imagePaths).toEqual([
      { group: 'example.com', kind: 'Runner', path: 'spec/template/image' },
    ]);
    expect(config.suppressions).toEqual([{ path: 'legacy', rules: [], reason: '' }]);
  });

  it('accepts an empty file', () => {
    expect(parseConfig(FILE, '# nothing yet\n').values).toEqual({});
  });

  it.each([
    [
      'an input name',
      'offline: false\nfail-on: warning\n',
      '.imagepull-preflight.yaml:2:1: unknown key "fail-on"; did you mean "failOn"?',
    ],
    [
      'a wrong type',
      'concurrency: many\n',
      '.imagepull-preflight.yaml:1:14: concurrency must be a whole number from 1 to 256; got "many"',
    ],
    [
      'a malformed size',
      'paths: deploy\nmaxFileSize: 10 MiB\n',
      '.imagepull-preflight.yaml:2:14: maxFileSize must be a size such as 10MB, 512KB or a number of bytes; got "10 MiB"',
    ],
    [
      'an imagePaths entry without kind',
      'imagePaths:\n  - path: spec/image\n',
      '.imagepull-preflight.yaml:2:5: imagePaths[0] needs kind',
    ],
    [
      'an unknown rule',
      'suppressions:\n  - path: a\n    rules: [tag-not-fund]\n',
      '.imagepull-preflight.yaml:3:13: suppressions[0].rules[0] must be one of',
    ],
    ['broken YAML', 'failOn: [warning\n', '.imagepull-preflight.yaml:2:1: not valid YAML'],
    [
      'a key written twice',
      'failOn: warning\nfailOn: error\n',
      '.imagepull-preflight.yaml:2:1: "failOn" is written twice',
    ],
    [
      'two documents',
      'failOn: warning\n---\noffline: true\n',
      '.imagepull-preflight.yaml:3:1: the config file must be one YAML document',
    ],
    [
      'a list at the top',
      '- failOn\n',
      '.imagepull-preflight.yaml:1:1: the config file must be a mapping of settings',
    ],
  ])('refuses %s with file:line:column', (_name, text, message) => {
    expect(configError(text)).toContain(message);
  });

  it('loses to inputs and flags; an action input left at its default does not override it', () => {
    const config = parseConfig(FILE, 'failOn: warning\nconcurrency: 4\n');
    expect(resolveSettings({}, 'cli', config)).toMatchObject({ failOn: 'warning', concurrency: 4 });
    expect(resolveSettings({ failOn: 'never' }, 'cli', config).failOn).toBe('never');
    // GitHub passes "error" for fail-on when the workflow leaves it out.
    expect(resolveSettings({ failOn: 'error', concurrency: '8' }, 'action', config)).toMatchObject({
      failOn: 'warning',
      concurrency: 8,
    });
  });
});

describe('the CLI with a config file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await scratchDir('config');
    await writeTree(dir, {
      [FILE]: [
        '# yaml-language-server: $schema=./schema/imagepull-preflight.schema.json',
        'paths: [deploy, legacy]',
        'offline: true',
        'failOn: notice',
        'imagePaths:',
        '  - group: runners.example.com',
        '    kind: Runner',
        '    path: spec/template/image',
        'suppressions:',
        '  - path: legacy',
        '    rules: [mutable-tag]',
        '    reason: frozen until the migration',
        '',
      ].join('\n'),
      'deploy/runner.yaml':
        'apiVersion: runners.example.com/v1\nkind: Runner\nmetadata:\n  name: build\nspec:\n  template:\n    image: Example/Runner:1\n',
      'legacy/pod.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: old\nspec:\n  containers:\n    - name: app\n      image: nginx:latest\n',
    });
  });
  afterAll(async () => {
    await removeDir(dir);
  });

  it('checks custom resources at imagePaths, suppresses per path, and exits by its fail-on', async () => {
    const run = await runCliIn(dir, ['--format', 'json']);
    const report = JSON.parse(run.stdout) as {
      findings: Array<{ rule: string; file: string; line: number; column: number }>;
    };
    expect(report.findings.map((f) => [f.rule, f.file, f.line, f.column])).toEqual([
      ['invalid-reference', 'deploy/runner.yaml', 7, 12],
    ]);
    expect(run.code).toBe(1);
    const text = await runCliIn(dir, []);
    expect(text.stdout).toMatch(/1 suppressed/);
  });

  it('lets a flag override it', async () => {
    expect((await runCliIn(dir, ['--format', 'json', '--fail-on', 'never'])).code).toBe(0);
  });

  it('refuses a broken config file with exit status 2 and where the mistake is', async () => {
    const broken = await scratchDir('config-broken');
    try {
      await writeTree(broken, { 'ci.yaml': 'offline: true\nmax-file-size: 1MB\n', 'pod.yaml': '' });
      expect(await runCliIn(broken, ['--config', 'ci.yaml', 'pod.yaml'])).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'imagepull-preflight: ci.yaml:2:1: unknown key "max-file-size"; did you mean "maxFileSize"?\n',
      });
      expect((await runCliIn(broken, ['--config', 'missing.yaml', 'pod.yaml'])).stderr).toBe(
        'imagepull-preflight: config file missing.yaml does not exist\n',
      );
    } finally {
      await removeDir(broken);
    }
  });
});
