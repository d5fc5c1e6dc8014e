import { mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, readConfigFile } from '../src/config/file.js';
import { configSchema } from '../src/config/schema.js';
import { resolveSettings, settingSpecs } from '../src/settings.js';
import { removeDir, scratchDir, writeTree } from './render/support.js';
import { CONFIG_FILE, configError } from './support/config.js';
import { runCliIn } from './support/run.js';

/**
 * The config file comes from the pull request: it may weaken the check, never make the runner fetch,
 * trust, or read and write outside the repository (src/settings.ts `notInConfigFile`, `configFilePath`).
 */

const FILE = CONFIG_FILE;
const FROM_PR = 'the config file comes from the pull request and';

// Each trust-sensitive key on line 2, after a key the file may hold.
const TRUST_SENSITIVE: Array<[key: string, value: string, message: string]> = [
  [
    'kustomizeRemote',
    'true',
    `2:1: kustomizeRemote can only be set as action input "kustomize-remote" or CLI flag --kustomize-remote: ${FROM_PR} must not make the runner fetch remote kustomize bases and URLs`,
  ],
  [
    'helmDependencies',
    'true',
    `2:1: helmDependencies can only be set as action input "helm-dependencies" or CLI flag --helm-dependencies: ${FROM_PR} must not make the runner fetch chart dependencies (helm dependency build fetches from any host)`,
  ],
  [
    'insecureRegistries',
    '[registry.example.com]',
    `2:1: insecureRegistries can only be set as action input "insecure-registries" or CLI flag --insecure-registry: ${FROM_PR} must not make the check accept plain HTTP or unverifiable TLS (and send credentials there)`,
  ],
  [
    'caFile',
    'certs/ca.pem',
    `2:1: caFile can only be set as action input "ca-file" or CLI flag --ca-file: ${FROM_PR} must not choose which certificate authorities the check trusts`,
  ],
  [
    'dockerConfig',
    '/home/runner/.docker/config.json',
    `2:1: dockerConfig can only be set as action input "docker-config" or CLI flag --docker-config: ${FROM_PR} must not make the check read registry credentials from a file the workflow did not name`,
  ],
  [
    'nodeCredentials',
    '"*"',
    `2:1: nodeCredentials can only be set as action input "node-credentials" or CLI flag --node-credentials: ${FROM_PR} must not vouch for the cluster's node credentials, which turns a refused pull into a warning`,
  ],
  [
    'output',
    '/home/runner/.bashrc',
    `2:1: output can only be set as CLI flag --output: ${FROM_PR} must not choose which files the run overwrites`,
  ],
  [
    'reportFile',
    'report.json',
    `2:1: reportFile can only be set as action input "report-file": ${FROM_PR} must not choose which files the run overwrites`,
  ],
  [
    'sarifFile',
    'report.sarif',
    `2:1: sarifFile can only be set as action input "sarif-file": ${FROM_PR} must not choose which files the run overwrites`,
  ],
  [
    'githubToken',
    'ghp_x',
    `2:1: githubToken can only be set as action input "github-token": ${FROM_PR} must not hold secrets (it is committed to the repository)`,
  ],
  [
    'registryAuth',
    '"{}"',
    `2:1: registryAuth can only be set as action input "registry-auth": ${FROM_PR} must not hold secrets (it is committed to the repository)`,
  ],
  [
    'config',
    'other.yaml',
    `2:1: config can only be set as action input "config" or CLI flag --config: ${FROM_PR} cannot point at another config file`,
  ],
];

describe('settings the config file may not hold', () => {
  it.each(TRUST_SENSITIVE)('refuses %s with file:line and why', (key, value, message) => {
    expect(configError(`failOn: warning\n${key}: ${value}\n`)).toBe(`${FILE}:${message}`);
  });

  it('refuses exactly the settings the table marks, and the schema does not offer them', () => {
    const marked = settingSpecs()
      .filter(([, spec]) => spec.notInConfigFile !== undefined)
      .map(([name]) => name);
    expect(marked.sort()).toEqual(TRUST_SENSITIVE.map(([key]) => key).sort());
    const properties = Object.keys(configSchema().properties!);
    for (const name of marked) expect(properties).not.toContain(name);
  });

  it.each([
    ['the input name', 'kustomize-remote: true\n', '1:1: kustomize-remote can only be set as action input'],
    [
      'the flag name',
      'insecure-registry: a.example\n',
      '1:1: insecure-registry can only be set as action input',
    ],
    ['snake case', 'helm_dependencies: true\n', '1:1: helm_dependencies can only be set as action input'],
    ['a merge key', 'failOn: warning\n<<: {caFile: ca.pem}\n', '2:6: caFile can only be set as action input'],
    [
      'a later line, after valid keys',
      'offline: true\npaths: [deploy]\n\nkustomizeRemote: false\n',
      '4:1: kustomizeRemote',
    ],
  ])('refuses one spelled as %s', (_name, text, message) => {
    expect(configError(text)).toContain(`${FILE}:${message}`);
  });

  it('documents each of them in the README config section', async () => {
    const readme = await readFile('README.md', 'utf8');
    const section = readme.slice(
      readme.indexOf('### Repository config file'),
      readme.indexOf('## Command line'),
    );
    for (const [, spec] of settingSpecs().filter(([, spec]) => spec.notInConfigFile !== undefined))
      expect(section).toContain(`\`${spec.input ?? `--${spec.flag}`}\``);
  });
});

describe('settings the config file may hold', () => {
  it('keeps the ones that only weaken the check or stay inside the repository', () => {
    const config = parseConfig(
      FILE,
      [
        'offline: true',
        'failOn: never',
        'ignoreRules: [mutable-tag]',
        'ignoreImages: [registry.internal/*]',
        'pendingImages: [ghcr.io/acme/app:*]',
        'paths: [deploy, "charts/**/*.yaml", ./k8s]',
        'helmValues: [values.yaml, "env/*.yaml", values.yaml+env/prod.yaml]',
        'maxDuration: 5m',
        '',
      ].join('\n'),
    );
    expect(resolveSettings({}, 'cli', config)).toMatchObject({
      offline: true,
      failOn: 'never',
      ignoreRules: ['mutable-tag'],
      ignoreImages: ['registry.internal/*'],
      paths: ['deploy', 'charts/**/*.yaml', './k8s'],
      helmValues: ['values.yaml', 'env/*.yaml', 'values.yaml+env/prod.yaml'],
      maxDuration: 5 * 60_000,
      kustomizeRemote: false,
      helmDependencies: false,
    });
  });

  // The file may shorten how long the run holds the runner, never lengthen it past max-duration's default.
  it.each([
    ['maxDuration', '11m', '2:14: maxDuration may be at most 10m in the config file'],
    ['maxDuration', '3600', '2:14: maxDuration may be at most 10m in the config file'],
    ['waitForImages', '60m', '2:16: waitForImages may be at most 10m in the config file'],
    ['waitForImages', '601', '2:16: waitForImages may be at most 10m in the config file'],
  ])('refuses %s: %s (longer than 10m)', (key, value, message) => {
    const text = `failOn: warning\n${key}: ${value}\n`;
    expect(configError(text)).toBe(
      `${FILE}:${message}, which comes from the pull request and must not hold the runner longer; set ${key === 'maxDuration' ? 'action input "max-duration" or CLI flag --max-duration' : 'action input "wait-for-images" or CLI flag --wait'} in the workflow for more`,
    );
  });

  it.each([
    ['maxDuration', '10m', 600_000],
    ['waitForImages', '600', 600_000],
  ])('keeps %s: %s (at the limit)', (key, value, ms) => {
    const config = parseConfig(FILE, `${key}: ${value}\n`);
    expect(resolveSettings({}, 'cli', config)).toMatchObject({ [key]: ms });
  });

  it('lets a flag set a longer max-duration than the file may', () => {
    const config = parseConfig(FILE, 'maxDuration: 5m\n');
    expect(resolveSettings({ maxDuration: '2h' }, 'cli', config)).toMatchObject({
      maxDuration: 2 * 3_600_000,
    });
  });

  it('lets an input or flag set what the file may not', () => {
    const config = parseConfig(FILE, 'failOn: warning\n');
    expect(
      resolveSettings({ kustomizeRemote: 'true', caFile: '/etc/ca.pem' }, 'action', config),
    ).toMatchObject({
      failOn: 'warning',
      kustomizeRemote: true,
      caFile: '/etc/ca.pem',
    });
  });
});

describe('paths in the config file', () => {
  const INSIDE = 'paths in the config file must stay inside the repository';
  it.each([
    [
      "a scanned path up the tree (the list item's line)",
      'paths:\n  - deploy\n  - ../other-repo\n',
      `3:5: paths: "../other-repo" goes up with ".."; ${INSIDE} (set action input "paths" in the workflow for another place)`,
    ],
    ['an absolute scanned path', 'paths: /etc\n', `1:8: paths: "/etc" is an absolute path; ${INSIDE}`],
    [
      'a glob reaching up through braces',
      'paths: ["deploy/{..,x}/*.yaml"]\n',
      '1:9: paths: "deploy/{.." goes up with ".."',
    ],
    [
      'a values file above the chart',
      'helmValues: [values.yaml, ../../secrets.yaml]\n',
      '1:27: helmValues: "../../secrets.yaml" goes up with ".."; helmValues globs in the config file must name files inside each chart (set action input "helm-values" or CLI flag --helm-values in the workflow for others)',
    ],
    [
      'an absolute values file in a layered set',
      'helmValues: values.yaml+/etc/passwd\n',
      '1:13: helmValues: "/etc/passwd" is an absolute path',
    ],
  ])('refuses %s with file:line and why', (_name, text, message) => {
    expect(configError(text)).toContain(`${FILE}:${message}`);
  });
});

describe('symbolic links out of the repository', () => {
  let dir: string;
  let repo: string;
  beforeAll(async () => {
    dir = await scratchDir('config-trust');
    repo = path.join(dir, 'repo');
    await writeTree(dir, {
      'outside/values.yaml': 'secret: runner-only\n',
      'repo/deploy/pod.yaml': '',
    });
    await symlink(path.join(dir, 'outside'), path.join(repo, 'away'));
    await symlink(path.join(dir, 'outside', 'missing.json'), path.join(repo, 'dangling.json'));
    await symlink(path.join(repo, 'deploy'), path.join(repo, 'manifests'));
    await mkdir(path.join(repo, 'charts'));
  });
  afterAll(async () => {
    await removeDir(dir);
  });

  async function readWith(text: string) {
    await writeTree(repo, { [FILE]: text });
    return readConfigFile(repo);
  }

  it.each([
    [
      'a scanned path through a dangling link',
      'failOn: warning\npaths: dangling.json\n',
      '2:8: paths: "dangling.json"',
    ],
    ['a scanned directory that is a link', 'paths: [deploy, away]\n', '1:8: paths: "away"'],
    ['a glob under a linked directory', 'paths: ["away/**/*.yaml"]\n', '1:8: paths: "away/**/*.yaml"'],
  ])('refuses %s', async (_name, text, message) => {
    await expect(readWith(text)).rejects.toThrow(
      `${FILE}:${message} leads outside the repository through a symbolic link; paths in the config file must stay inside the repository`,
    );
  });

  it('accepts links that stay inside, and paths that do not exist yet', async () => {
    const config = await readWith('paths: [manifests, "charts/*", later/deploy]\n');
    expect(config?.values).toEqual({ paths: 'manifests,charts/*,later/deploy' });
  });

  it('stops the CLI with exit status 2 before anything is fetched', async () => {
    await writeTree(repo, { [FILE]: 'paths: [deploy]\nkustomizeRemote: true\n' });
    expect(await runCliIn(repo, ['--format', 'json'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `imagepull-preflight: ${FILE}:2:1: kustomizeRemote can only be set as action input "kustomize-remote" or CLI flag --kustomize-remote: ${FROM_PR} must not make the runner fetch remote kustomize bases and URLs\n`,
    });
  });
});
