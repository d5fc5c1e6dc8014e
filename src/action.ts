import * as core from '@actions/core';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './manifests/files.js';
import { detectChanges, type ChangeOptions } from './changes/index.js';
import { publish } from './report/github.js';
import { jsonReport } from './report/json.js';
import { sarifReport } from './report/sarif.js';
import { DEFAULT_REGISTRY_SETTINGS, scan, type RegistrySettings, type ScanOptions } from './scan.js';
import {
  DEFAULTS,
  failingFindings,
  oneOf,
  parseFailOn,
  parseHostList,
  parseList,
  parseNamespace,
  parsePlatformSetting,
  parsePositiveInteger,
  parseRuleList,
  parseSeconds,
  parseSize,
  type FailOn,
} from './settings.js';

/** The only place that reads action inputs. Names and defaults are those of action.yml. */

interface ActionSettings {
  scan: ScanOptions;
  failOn: FailOn;
  reportFile: string;
  sarifFile?: string;
  scope: 'changed' | 'all';
  token: string;
  checkRun: boolean;
  comment: boolean;
}

function input(name: string, fallback: string): string {
  const value = core.getInput(name);
  return value === '' ? fallback : value;
}

function booleanInput(name: string, fallback: boolean): boolean {
  const value = input(name, String(fallback)).toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InputError(`input "${name}" must be true or false; got "${value}"`);
}

export function readInputs(env: NodeJS.ProcessEnv = process.env): ActionSettings {
  const cwd = env.GITHUB_WORKSPACE || process.cwd();
  const paths = parseList(input('paths', '.'));
  if (paths.length === 0) throw new InputError('input "paths" names no files or directories');
  const registryAuth = core.getInput('registry-auth');
  const githubToken = core.getInput('github-token');
  const dockerConfig = core.getInput('docker-config');
  // Masked before anything else can print them.
  for (const secret of [registryAuth, githubToken]) if (secret) core.setSecret(secret);
  const registry: RegistrySettings = {
    ...DEFAULT_REGISTRY_SETTINGS,
    defaultPlatform: parsePlatformSetting(
      'input "default-platform"',
      input('default-platform', DEFAULTS.defaultPlatform),
    ),
    insecureRegistries: parseHostList('input "insecure-registries"', input('insecure-registries', '')),
    nodeCredentialHosts: parseHostList('input "node-credentials"', input('node-credentials', '')),
    concurrency: parsePositiveInteger(
      'input "concurrency"',
      input('concurrency', String(DEFAULTS.concurrency)),
      256,
    ),
    perRegistryConcurrency: parsePositiveInteger(
      'input "per-registry-concurrency"',
      input('per-registry-concurrency', String(DEFAULTS.perRegistryConcurrency)),
      64,
    ),
    timeoutMs: parseSeconds('input "timeout"', input('timeout', String(DEFAULTS.timeoutSeconds))),
    ciCredentials: {
      env,
      ...(dockerConfig ? { dockerConfigPath: path.resolve(cwd, dockerConfig) } : {}),
      ...(registryAuth ? { registryAuthJson: registryAuth } : {}),
      ...(githubToken ? { githubToken } : {}),
    },
    mask: (secret) => core.setSecret(secret),
  };
  const sarifFile = core.getInput('sarif-file');
  const caFile = core.getInput('ca-file');
  if (caFile) registry.caFile = caFile;
  return {
    scan: {
      cwd,
      paths,
      defaultNamespace: parseNamespace(
        'input "default-namespace"',
        input('default-namespace', DEFAULTS.defaultNamespace),
      ),
      maxFileSize: parseSize('input "max-file-size"', input('max-file-size', '10MB')),
      offline: booleanInput('offline', false),
      render: {
        maxRoots: parsePositiveInteger('input "max-render-roots"', input('max-render-roots', '20'), 1000),
        kustomizeRemote: booleanInput('kustomize-remote', false),
        helmValues: parseList(input('helm-values', '')),
      },
      registry,
      suppressions: {
        ignoreRules: parseRuleList('input "ignore-rules"', input('ignore-rules', '')),
        ignoreImages: parseList(input('ignore-images', '')),
      },
    },
    failOn: parseFailOn('input "fail-on"', input('fail-on', DEFAULTS.failOn)),
    reportFile: path.resolve(
      cwd,
      input('report-file', path.join(env.RUNNER_TEMP || cwd, 'imagepull-preflight.json')),
    ),
    ...(sarifFile ? { sarifFile: path.resolve(cwd, sarifFile) } : {}),
    scope: oneOf('input "scan"', input('scan', 'changed'), ['changed', 'all'] as const),
    token: githubToken,
    checkRun: booleanInput('check-run', true),
    comment: booleanInput('comment', false),
  };
}

export async function runAction(): Promise<void> {
  try {
    const settings = readInputs();
    const changes = settings.scope === 'changed' ? await detectChanges(changeOptions(settings)) : undefined;
    const scope =
      changes?.mode === 'files'
        ? `changed files (${changes.source})`
        : `all files under ${settings.scan.paths.join(', ')}`;
    const result = await scan({
      ...settings.scan,
      ...(changes?.mode === 'files' ? { changedFiles: changes.files } : {}),
    });
    for (const warning of result.warnings) core.warning(warning);
    const failing = failingFindings(result.findings, settings.failOn);
    await writeFile(settings.reportFile, jsonReport(result));
    if (settings.sarifFile)
      await writeFile(
        settings.sarifFile,
        sarifReport(result, { repositoryRoot: settings.scan.cwd, cwd: settings.scan.cwd }),
      );
    await publish(result, {
      token: settings.token,
      checkRun: settings.checkRun,
      comment: settings.comment,
      failed: failing.length > 0,
      scope,
      notes: changes?.notes ?? [],
    });
    const count = (severity: string) => result.findings.filter((f) => f.severity === severity).length;
    core.setOutput('errors', count('error'));
    core.setOutput('warnings', count('warning'));
    core.setOutput('notices', count('notice'));
    core.setOutput('images-checked', result.images.length);
    core.setOutput('report-file', settings.reportFile);
    core.setOutput('sarif-file', settings.sarifFile ?? '');
    core.setOutput('result', failing.length ? 'fail' : 'pass');
    if (failing.length) {
      const first = failing[0]!;
      core.setFailed(
        `${failing.length} finding(s) at or above fail-on "${settings.failOn}"; first: ${first.file}:${first.line} ${first.message}`,
      );
    }
  } catch (error) {
    core.setFailed(
      error instanceof InputError ? error.message : `internal error: ${(error as Error)?.message ?? error}`,
    );
  }
}

function changeOptions(settings: ActionSettings): ChangeOptions {
  const env = process.env;
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    ...(env.GITHUB_EVENT_PATH ? { eventPath: env.GITHUB_EVENT_PATH } : {}),
    ...(settings.token ? { token: settings.token } : {}),
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    repository: env.GITHUB_REPOSITORY ?? '',
    workspace: settings.scan.cwd,
  };
}
