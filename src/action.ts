import * as core from '@actions/core';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { failingFindings } from './cli.js';
import { InputError } from './manifests/files.js';
import { annotate } from './report/annotations.js';
import { jsonReport } from './report/json.js';
import { scan, type ScanOptions } from './scan.js';
import { DEFAULTS, parseFailOn, parseList, parseNamespace, parseSize, type FailOn } from './settings.js';

/** The only place that reads action inputs. Names and defaults are those of action.yml. */

interface ActionSettings {
  scan: ScanOptions;
  failOn: FailOn;
  offline: boolean;
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
  return {
    scan: {
      cwd,
      paths,
      defaultNamespace: parseNamespace('input "default-namespace"', input('default-namespace', DEFAULTS.defaultNamespace)),
      maxFileSize: parseSize('input "max-file-size"', input('max-file-size', '10MB')),
    },
    failOn: parseFailOn('input "fail-on"', input('fail-on', DEFAULTS.failOn)),
    offline: booleanInput('offline', false),
    reportFile: path.resolve(cwd, input('report-file', path.join(env.RUNNER_TEMP || cwd, 'imagepull-preflight.json'))),
  };
}

export async function runAction(): Promise<void> {
  try {
    const settings = readInputs();
    const result = await scan(settings.scan);
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
    core.setFailed(error instanceof InputError ? error.message : `internal error: ${(error as Error)?.message ?? error}`);
  }
}
