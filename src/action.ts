import * as core from '@actions/core';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { detectChanges, type ChangeOptions } from './changes/index.js';
import { configExtras, readConfigFile } from './config/file.js';
import { describeProgress } from './analysis/wait.js';
import { logText } from './report/escape.js';
import { publish } from './report/github.js';
import { jsonReport } from './report/json.js';
import { sarifReport } from './report/sarif.js';
import { scan, type ScanOptions } from './scan.js';
import {
  failingFindings,
  InputError,
  resolveSettings,
  scanOptions,
  settingSpecs,
  type FailOn,
  type RawSettings,
  type ScanScope,
} from './settings.js';

/** The only place that reads action inputs: it hands raw strings to the settings table. */

interface ActionSettings {
  scan: ScanOptions;
  failOn: FailOn;
  reportFile: string;
  sarifFile?: string;
  scope: ScanScope;
  token: string;
  checkRun: boolean;
  comment: boolean;
}

/** Every input of the table; an empty input is not set (GitHub passes action.yml's default anyway). */
function rawInputs(): RawSettings {
  const raw: RawSettings = {};
  for (const [name, spec] of settingSpecs()) {
    const value = spec.input ? core.getInput(spec.input) : '';
    if (value !== '') raw[name] = value;
  }
  return raw;
}

export async function readInputs(env: NodeJS.ProcessEnv): Promise<ActionSettings> {
  const cwd = env.GITHUB_WORKSPACE || process.cwd();
  const raw = rawInputs();
  // Masked before anything else can print them.
  for (const secret of [raw.registryAuth, raw.githubToken]) if (secret) core.setSecret(secret);
  const config = await readConfigFile(cwd, raw.config);
  if (config) core.info(`Settings from ${config.file}; inputs set in the workflow override them.`);
  // docker/metadata-action's tags, exported for later steps, are pending images with no wiring.
  const settings = resolveSettings({ ...raw, pendingFromEnv: 'true' }, 'action', config);
  return {
    scan: {
      ...scanOptions(settings, { cwd, env, mask: (secret) => core.setSecret(secret) }, configExtras(config)),
      onWaitProgress: (progress) => core.info(logText(describeProgress(progress))),
    },
    failOn: settings.failOn,
    reportFile: path.resolve(
      cwd,
      settings.reportFile || path.join(env.RUNNER_TEMP || cwd, 'imagepull-preflight.json'),
    ),
    ...(settings.sarifFile ? { sarifFile: path.resolve(cwd, settings.sarifFile) } : {}),
    scope: settings.scan,
    token: settings.githubToken,
    checkRun: settings.checkRun,
    comment: settings.comment,
  };
}

/** `env` is the runner's environment, handed in by main-action.ts: nothing else reads it. */
export async function runAction(env: NodeJS.ProcessEnv): Promise<void> {
  // max-duration counts from here: finding the changed files is part of the run.
  const startedAt = Date.now();
  try {
    const settings = await readInputs(env);
    const changes =
      settings.scope === 'changed' ? await detectChanges(changeOptions(settings, env)) : undefined;
    const scope =
      changes?.mode === 'files'
        ? `changed files (${changes.source})`
        : `all files under ${settings.scan.paths.join(', ')}`;
    const result = await scan({
      ...settings.scan,
      startedAt,
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
      repository: env.GITHUB_REPOSITORY ?? '',
      stepSummary: Boolean(env.GITHUB_STEP_SUMMARY),
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

function changeOptions(settings: ActionSettings, env: NodeJS.ProcessEnv): ChangeOptions {
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    ...(env.GITHUB_EVENT_PATH ? { eventPath: env.GITHUB_EVENT_PATH } : {}),
    ...(settings.token ? { token: settings.token } : {}),
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    repository: env.GITHUB_REPOSITORY ?? '',
    workspace: settings.scan.cwd,
  };
}
