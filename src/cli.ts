import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeProgress } from './analysis/wait.js';
import { logText } from './report/escape.js';
import { configExtras, readConfigFile } from './config/file.js';
import { jsonReport } from './report/json.js';
import { sarifReport } from './report/sarif.js';
import { textReport } from './report/text.js';
import { scan, type ScanOptions } from './scan.js';
import {
  cliOptionsHelp,
  cliParseOptions,
  cliRawSettings,
  failingFindings,
  InputError,
  optionLines,
  resolveSettings,
  scanOptions,
  type FailOn,
  type OutputFormat,
} from './settings.js';
import { VERSION } from './version.js';

/** The only place that reads argv: it hands raw strings to the settings table. */

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  colour: boolean;
  env: NodeJS.ProcessEnv;
  /** Standard error is a terminal: show a wait's progress there. */
  progress?: boolean;
}

export const USAGE = `Usage: imagepull-preflight [options] <paths...>

Checks every container image in Kubernetes manifests (files, directories or globs) and predicts
the ImagePullBackOff the cluster would show.

Options:
${cliOptionsHelp()}
${[...optionLines('-h, --help', 'show this help'), ...optionLines('-v, --version', 'show the version')].join('\n')}

Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or internal error.
`;

interface CliSettings {
  scan: ScanOptions;
  format: OutputFormat;
  output?: string;
  failOn: FailOn;
}

async function parseCli(argv: string[], io: CliIo): Promise<CliSettings | 'help' | 'version'> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...cliParseOptions(),
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    // parseArgs words some errors over several lines (`--wait -3s`: "ambiguous… use '--wait=-XYZ'").
    throw new InputError((error as Error).message.split('\n').join(' '));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  const raw = cliRawSettings(values);
  const config = await readConfigFile(io.cwd, raw.config);
  // Values first: `--wait pod.yaml` (a forgotten value) is about --wait, not about missing paths.
  const settings = resolveSettings(raw, 'cli', config);
  if (positionals.length === 0 && config?.values.paths === undefined)
    throw new InputError('no paths given: name the manifest files or directories to check');
  return {
    scan: {
      ...scanOptions(settings, { cwd: io.cwd, env: io.env }, configExtras(config)),
      ...(positionals.length ? { paths: positionals } : {}),
      ...(io.progress
        ? {
            onWaitProgress: (progress) =>
              io.stderr(`imagepull-preflight: ${logText(describeProgress(progress))}\n`),
          }
        : {}),
    },
    format: settings.format,
    failOn: settings.failOn,
    ...(settings.output !== '' ? { output: settings.output } : {}),
  };
}

/** Runs the CLI; returns the exit status. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const settings = await parseCli(argv, io);
    if (settings === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    if (settings === 'version') {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    const result = await scan(settings.scan);
    for (const warning of result.warnings) io.stderr(`imagepull-preflight: warning: ${logText(warning)}\n`);
    const toFile = settings.output !== undefined;
    const formats = {
      json: () => jsonReport(result),
      sarif: () => sarifReport(result, { repositoryRoot: io.cwd, cwd: io.cwd }),
      text: () => textReport(result, io.colour && !toFile),
    };
    const report = formats[settings.format]();
    if (toFile) await writeFile(path.resolve(io.cwd, settings.output!), report);
    else io.stdout(report);
    return failingFindings(result.findings, settings.failOn).length > 0 ? 1 : 0;
  } catch (error) {
    const message =
      error instanceof InputError ? error.message : `internal error: ${(error as Error)?.message ?? error}`;
    // Escaped whole, not cut at a newline: a value quoted in the message is shown as it was given.
    io.stderr(`imagepull-preflight: ${logText(message)}\n`);
    return 2;
  }
}
