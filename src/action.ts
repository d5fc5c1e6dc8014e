import * as core from '@actions/core';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { failingFindings } from './cli.js';
import { InputError } from './manifests/files.js';
import { annotate } from './report/annotations.js';
import { jsonReport } from './report/json.js';
import { DEFAULT_REGISTRY_SETTINGS, scan, type RegistrySettings, type ScanOptions } from './scan.js';
import {
  DEFAULTS,
  parseFailOn,
  parseHostList,
  parseList,
  parseNamespace,
  parsePlatformSetting,
  parsePositiveInteger,
  parseSeconds,
  parseSize,
  type FailOn,
} from './settings.js';

/** The only place that reads action inputs. Names and defaults are those of action.yml. */

interface ActionSettings {
  scan: ScanOptions;
  failOn: FailOn;
  reportFile: string;
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
      registry,
    },
    failOn: parseFailOn('input "fail-on"', input('fail-on', DEFAULTS.failOn)),
    reportFile: path.resolve(
      cwd,
      input('report-file', path.join(env.RUNNER_TEMP || cwd, 'imagepull-preflight.json')),
    ),
  };
}

export async function runAction(): Promise<void> {
  try {
    const settings = readInputs();
    const result = await scan(settings.scan);
    for (const warning of result.warnings) core.warning(warning);
    annotate(result.findings);
    await writeFile(settings.reportFile, jsonReport(result));
    const count = (severity: string) => result.findings.filter((f) => f.severity === severity).length;
    const failing = failingFindings(result.findings, settings.failOn);
    core.setOutput('errors', count('error'));
    core.setOutput('warnings', count('warning'));
    core.setOutput('notices', count('notice'));
    core.setOutput('images-checked', result.images.length);
    core.setOutput('report-file', settings.reportFile);
    core.setOutput('result', failing.length ? 'fail' : 'pass');
    if (failing.length) {
      core.setFailed(
        `${failing.length} finding(s) at or above fail-on "${settings.failOn}"; the first: ${failing[0]!.file}:${failing[0]!.line} ${failing[0]!.message}`,
      );
    }
  } catch (error) {
    core.setFailed(
      error instanceof InputError ? error.message : `internal error: ${(error as Error)?.message ?? error}`,
    );
  }
}
