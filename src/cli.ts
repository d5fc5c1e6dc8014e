import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from './manifests/files.js';
import { DEFAULT_RENDER_SETTINGS } from './render/index.js';
import { jsonReport } from './report/json.js';
import { sarifReport } from './report/sarif.js';
import { textReport } from './report/text.js';
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
import { VERSION } from './version.js';

/** The only place that reads argv. */

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  colour: boolean;
  env: NodeJS.ProcessEnv;
}

export const USAGE = `Usage: imagepull-preflight [options] <paths...>

Checks every container image in Kubernetes manifests (files, directories or globs) and predicts
the ImagePullBackOff the cluster would show.

Options:
  --format text|json|sarif    output format (default: text)
  --output FILE               write the report to FILE instead of standard output
  --fail-on error|warning|notice|never
                              exit 1 when a finding is at or above this severity (default: error)
  --default-namespace NAME    namespace of objects that name none (default: default)
  --max-file-size SIZE        skip (and report) larger files, e.g. 10MB (default: 10MB)
  --offline                   no registry traffic: check only what the files say
  --ignore-rules IDS          comma-separated rule IDs never reported (see docs/rules.md)
  --ignore-images GLOBS       comma-separated globs on images as written whose findings are suppressed
  --default-platform PLATFORM node platform when a pod names none (default: linux/amd64)
  --docker-config FILE        Docker config the check may use to look (default: $DOCKER_CONFIG/config.json,
                              else ~/.docker/config.json); never decides what the kubelet gets
  --insecure-registry HOST    registry that may be plain HTTP or unverified TLS (repeatable)
  --ca-file FILE              extra CA certificates (PEM) to trust for registries
  --node-credentials HOSTS    comma-separated host globs whose nodes pull with their own credentials,
                              in addition to ECR, GCR/Artifact Registry and ACR
  --concurrency N             requests in flight at once (default: 16)
  --per-registry-concurrency N
                              requests in flight per registry (default: 6)
  --timeout SECONDS           per-request timeout (default: 15)
  --max-render-roots N        kustomize roots and Helm charts rendered at most (default: 20)
  --kustomize-remote          let kustomize fetch remote bases (network); otherwise they are reported
  --helm-values GLOBS         comma-separated values-file globs relative to each chart, each rendered
                              on its own (default: the chart's values.yaml)
  -h, --help                  show this help
  -v, --version               show the version

Exit status: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or internal error.
`;

interface CliSettings {
  scan: ScanOptions;
  format: 'text' | 'json' | 'sarif';
  output?: string;
  failOn: FailOn;
}

function parseCli(argv: string[], io: CliIo): CliSettings | 'help' | 'version' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string', default: DEFAULTS.format },
        output: { type: 'string' },
        'fail-on': { type: 'string', default: DEFAULTS.failOn },
        'default-namespace': { type: 'string', default: DEFAULTS.defaultNamespace },
        'max-file-size': { type: 'string' },
        offline: { type: 'boolean', default: false },
        'ignore-rules': { type: 'string', default: '' },
        'ignore-images': { type: 'string', default: '' },
        'default-platform': { type: 'string', default: DEFAULTS.defaultPlatform },
        'docker-config': { type: 'string' },
        'insecure-registry': { type: 'string', multiple: true, default: [] },
        'ca-file': { type: 'string' },
        'node-credentials': { type: 'string', default: '' },
        concurrency: { type: 'string', default: String(DEFAULTS.concurrency) },
        'per-registry-concurrency': { type: 'string', default: String(DEFAULTS.perRegistryConcurrency) },
        timeout: { type: 'string', default: String(DEFAULTS.timeoutSeconds) },
        'max-render-roots': { type: 'string', default: String(DEFAULT_RENDER_SETTINGS.maxRoots) },
        'kustomize-remote': { type: 'boolean', default: false },
        'helm-values': { type: 'string', default: '' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  if (positionals.length === 0)
    throw new InputError('no paths given: name the manifest files or directories to check');
  const registry: RegistrySettings = {
    ...DEFAULT_REGISTRY_SETTINGS,
    defaultPlatform: parsePlatformSetting('--default-platform', values['default-platform']),
    insecureRegistries: parseHostList('--insecure-registry', values['insecure-registry'].join(',')),
    nodeCredentialHosts: parseHostList('--node-credentials', values['node-credentials']),
    concurrency: parsePositiveInteger('--concurrency', values.concurrency, 256),
    perRegistryConcurrency: parsePositiveInteger(
      '--per-registry-concurrency',
      values['per-registry-concurrency'],
      64,
    ),
    timeoutMs: parseSeconds('--timeout', values.timeout),
    ciCredentials: {
      env: io.env,
      ...(values['docker-config'] ? { dockerConfigPath: values['docker-config'] } : {}),
    },
  };
  if (values['ca-file'] !== undefined) registry.caFile = values['ca-file'];
  const settings: CliSettings = {
    scan: {
      cwd: io.cwd,
      paths: positionals,
      offline: values.offline,
      registry,
      suppressions: {
        ignoreRules: parseRuleList('--ignore-rules', values['ignore-rules']),
        ignoreImages: parseList(values['ignore-images']),
      },
      defaultNamespace: parseNamespace('--default-namespace', values['default-namespace']),
      render: {
        maxRoots: parsePositiveInteger('--max-render-roots', values['max-render-roots'], 1000),
        kustomizeRemote: values['kustomize-remote'],
        helmValues: parseList(values['helm-values']),
      },
      maxFileSize:
        values['max-file-size'] === undefined
          ? DEFAULTS.maxFileSize
          : parseSize('--max-file-size', values['max-file-size']),
    },
    format: oneOf('--format', values.format, ['text', 'json', 'sarif'] as const),
    failOn: parseFailOn('--fail-on', values['fail-on']),
  };
  if (values.output !== undefined) settings.output = values.output;
  return settings;
}

/** Runs the CLI; returns the exit status. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const settings = parseCli(argv, io);
    if (settings === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    if (settings === 'version') {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    const result = await scan(settings.scan);
    for (const warning of result.warnings) io.stderr(`imagepull-preflight: warning: ${warning}\n`);
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
    io.stderr(`imagepull-preflight: ${message.split('\n')[0]}\n`);
    return 2;
  }
}
