import path from 'node:path';
import { formatDuration } from './duration.js';
import { InputError } from './input-error.js';
import { atLeast, type Finding, type Severity } from './findings.js';
import { parsePendingImage, type PendingImage } from './analysis/pending.js';
import { RULES, type RuleId } from './analysis/rules.js';
import type { WaitFor } from './analysis/wait.js';
import { parsePlatform } from './registry/platforms.js';
import type { Platform } from './registry/types.js';
import type { PathSuppression } from './analysis/suppress.js';
import type { ImagePathSpec } from './manifests/custom-resources.js';
import type { RegistrySettings, ScanOptions } from './scan.js';

/**
 * Every setting, in one table: its action input, CLI flag, parser, default, bounds and description.
 * The action (action.ts) and the CLI (cli.ts) only supply raw strings; `--help`, action.yml and the
 * README tables are checked against this table by test/settings.test.ts.
 */

// Leaf modules the stages import directly; re-exported here for the entry points and the config reader.
export { formatDuration, InputError };

export type FailOn = Severity | 'never';
export type OutputFormat = 'text' | 'json' | 'sarif';
export type ScanScope = 'changed' | 'all';

/** The findings that fail the run at this threshold. */
export function failingFindings(findings: Finding[], failOn: FailOn): Finding[] {
  return failOn === 'never' ? [] : findings.filter((finding) => atLeast(finding.severity, failOn));
}

// ---------------------------------------------------------------------------------------------------
// Parsers. Each names the setting it reads (`input "timeout"`, `--timeout`) in its plain-English error.

export function oneOf<T extends string>(setting: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(`${setting} must be one of ${allowed.join(', ')}; got "${value}"`);
}

export function parseBoolean(setting: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new InputError(`${setting} must be true or false; got "${lower}"`);
}

/** A DNS-1123 label, as Kubernetes requires of namespace names. */
export function parseNamespace(setting: string, value: string): string {
  if (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) return value;
  throw new InputError(
    `${setting} must be a Kubernetes namespace name (lowercase letters, digits and "-", at most 63); got "${value}"`,
  );
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
};

/** Bytes, or a number with KB/MB/GB (binary units): `10MB`, `512kb`, `1048576`. */
export function parseSize(setting: string, value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  // At least one byte once rounded down: `0.5` would refuse every file.
  if (!match || unit === undefined || Math.floor(Number(match[1]) * unit) < 1) {
    throw new InputError(
      `${setting} must be a size such as 10MB, 512KB or a number of bytes; got "${value}"`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}

export function parsePositiveInteger(setting: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  if (/^\d+$/.test(value.trim())) {
    const number = Number(value.trim());
    if (number >= 1 && number <= max) return number;
  }
  throw new InputError(`${setting} must be a whole number from 1 to ${max}; got "${value}"`);
}

/** Comma- or newline-separated list, as action inputs are usually written. */
export function parseList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `linux/amd64`, `linux/arm/v7`: the platform of nodes when a pod does not say. */
export function parsePlatformSetting(setting: string, value: string): Platform {
  const platform = parsePlatform(value);
  if (platform) return platform;
  throw new InputError(
    `${setting} must be os/architecture[/variant], e.g. linux/amd64 or linux/arm/v7; got "${value}"`,
  );
}

/** Registry hosts (`host[:port]`, `*` globs allowed where noted), lower-cased. */
export function parseHostList(setting: string, value: string): string[] {
  const hosts = parseList(value).map((host) => host.toLowerCase());
  const bad = hosts.find((host) => !/^(\[[0-9a-f:.]+\]|[a-z0-9*?.-]+)(:\d{1,5})?$/.test(host));
  if (bad !== undefined) {
    throw new InputError(
      `${setting} must list registry hosts such as registry.example.com:5000; "${bad}" is not one`,
    );
  }
  return hosts;
}

/** Seconds (fractions allowed) up to `max`, returned in milliseconds. */
export function parseSeconds(setting: string, value: string, max = 600): number {
  const seconds = Number(value.trim());
  // At least 1 ms once rounded: a timeout of 0 would mean none at all.
  const ms = Math.round(seconds * 1000);
  if (/^\d+(\.\d+)?$/.test(value.trim()) && ms >= 1 && seconds <= max) return ms;
  throw new InputError(`${setting} must be a number of seconds above 0, at most ${max}; got "${value}"`);
}

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Seconds (`600`) or a duration like Go's (`90s`, `10m`, `1h30m`), from 1 s to `maxMs`; in milliseconds. */
export function parseDuration(setting: string, value: string, maxMs: number): number {
  const trimmed = value.trim();
  let ms: number | undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else if (/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(trimmed)) {
    ms = 0;
    for (const [, number, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|h|m|s)/g)) {
      ms += Number(number) * DURATION_UNITS[unit!]!;
    }
  }
  if (ms !== undefined && ms >= 1000 && ms <= maxMs) return Math.round(ms);
  throw new InputError(
    `${setting} must be a number of seconds or a duration such as 90s, 10m or 1h30m, from 1s to ${formatDuration(maxMs)}; got "${value}"`,
  );
}

/** Full image references or globs over them, one a line (docker/metadata-action's `tags`) or comma separated. */
export function parsePendingImages(setting: string, value: string): PendingImage[] {
  return parseList(value).map((written) => {
    const parsed = parsePendingImage(written);
    if ('error' in parsed) {
      throw new InputError(
        `${setting} must list image references or globs such as ghcr.io/acme/app:*; "${written}" is not one (${parsed.error})`,
      );
    }
    return parsed;
  });
}

/** The environment variable docker/metadata-action exports its `tags` output in, for later steps. */
export const METADATA_ACTION_TAGS = 'DOCKER_METADATA_OUTPUT_TAGS';
/** wait-for-images at most. */
export const MAX_WAIT_MS = 60 * 60_000;
/**
 * The longest max-duration and wait-for-images the repository config file may set: the file comes
 * from the pull request, so it may not make the run hold the runner longer than max-duration's default.
 */
export const CONFIG_FILE_MAX_MS = 10 * 60_000;

/** wait-for-images: `0` (no wait) or a duration up to 60m. */
export function parseWait(setting: string, value: string): number {
  if (/^\s*0+(\.0*)?(ms|h|m|s)?\s*$/.test(value)) return 0;
  try {
    return parseDuration(setting, value, MAX_WAIT_MS);
  } catch {
    throw new InputError(
      `${setting} must be 0 (no wait) or a duration such as 90s or 10m, at most 60m; got "${value}"`,
    );
  }
}

/** Rule IDs from the catalogue; an unknown one is a typo the user wants to hear about. */
export function parseRuleList(setting: string, value: string): string[] {
  const rules = parseList(value);
  const unknown = rules.find((rule) => !RULES.has(rule as RuleId));
  if (unknown !== undefined) {
    throw new InputError(
      `${setting} names an unknown rule "${unknown}"; the rules are listed in docs/rules.md`,
    );
  }
  return rules;
}

// ---------------------------------------------------------------------------------------------------
// The table.

interface SettingSpec<T> {
  /** The action input (also the key in action.yml); absent: CLI only. */
  input?: string;
  /** The CLI flag without `--`; absent: action only (or positional, like `paths`). */
  flag?: string;
  /** The flag's argument in `--help`; absent: a boolean switch. */
  arg?: string;
  /** The flag may be repeated; its values are joined with commas. */
  repeatable?: boolean;
  /** The raw default, exactly as action.yml writes it. */
  default: string;
  /** Inclusive bounds of numeric settings, enforced by `parse`. */
  bounds?: { min: number; max: number };
  parse: (label: string, raw: string) => T;
  /** What the repository config file may hold for it (a JSON Schema, shipped in schema/). */
  schema: JsonSchema;
  /**
   * Set when the repository config file may not hold it, saying why (completing "the config file comes
   * from the pull request and …"). The file is read from the checkout, which a fork pull request's
   * author writes (and in pull_request_target workflows it is the one untrusted part): it may weaken
   * the check, as an inline suppression can, but never make the runner fetch, trust, read outside the
   * repository, or choose what the run overwrites. src/config/file.ts refuses these with file:line.
   */
  notInConfigFile?: string;
  /**
   * The most the config file may set (a time in ms): the file may shorten how long the run can hold
   * the runner, never lengthen it past this (the workflow's input or flag can).
   */
  configFileMax?: number;
  /**
   * A path the config file may set only inside the repository: `read` (scanned; no `..`, no link out),
   * `chart` (globs relative to each chart; no `..`, not absolute).
   */
  configFilePath?: 'read' | 'chart';
  /** action.yml's description (and the README's inputs table). */
  description: string;
  /** The `--help` text; `(default: …)` is added from `default` unless `helpDefault` is false. */
  help?: string;
  helpDefault?: boolean;
}

function setting<T>(spec: SettingSpec<T>): SettingSpec<T> {
  return spec;
}

/** The subset of JSON Schema the config file's schema uses (src/config/validate.ts implements it). */
export interface JsonSchema {
  type?: 'string' | 'boolean' | 'integer' | 'number' | 'array' | 'object';
  enum?: readonly string[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: false;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
  description?: string;
  default?: unknown;
  title?: string;
  $schema?: string;
  $id?: string;
}

const STRING: JsonSchema = { type: 'string' };
/** A YAML list, or one string separated by commas or newlines as the inputs take it. */
const LIST: JsonSchema = { anyOf: [{ type: 'array', items: STRING }, STRING] };
const text = { parse: (_label: string, raw: string) => raw, schema: STRING };
const list = { parse: (_label: string, raw: string) => parseList(raw), schema: LIST };
const boolean = { parse: parseBoolean, schema: { type: 'boolean' } as JsonSchema };
function choice<T extends string>(allowed: readonly T[]) {
  return { parse: (label: string, raw: string) => oneOf<T>(label, raw, allowed), schema: { enum: allowed } };
}
function integer(min: number, max: number) {
  return {
    bounds: { min, max },
    parse: (label: string, raw: string) => parsePositiveInteger(label, raw, max),
    schema: { type: 'integer', minimum: min, maximum: max } as JsonSchema,
  };
}
/** What parseDuration reads: seconds, or Go-style `90s`, `10m`, `1h30m`. */
const DURATION_TEXT: JsonSchema = {
  type: 'string',
  pattern: '^\\s*(\\d+(\\.\\d+)?|(\\d+(\\.\\d+)?(ms|h|m|s))+)\\s*$',
};
function duration(minMs: number, maxMs: number) {
  return {
    bounds: { min: minMs / 1000, max: maxMs / 1000 },
    parse: (label: string, raw: string) => parseDuration(label, raw, maxMs),
    schema: {
      anyOf: [{ type: 'number', minimum: minMs / 1000, maximum: maxMs / 1000 }, DURATION_TEXT],
    } as JsonSchema,
  };
}
function seconds(min: number, max: number) {
  return {
    bounds: { min, max },
    parse: (label: string, raw: string) => parseSeconds(label, raw, max),
    schema: { type: 'number', exclusiveMinimum: 0, maximum: max } as JsonSchema,
  };
}
const size = {
  parse: parseSize,
  schema: {
    anyOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgG][bB]?|[bB])?\\s*$' },
    ],
  } as JsonSchema,
};

export const SETTINGS = {
  format: setting({
    flag: 'format',
    arg: 'text|json|sarif',
    default: 'text',
    ...choice<OutputFormat>(['text', 'json', 'sarif']),
    description: 'Output format of the CLI.',
    help: 'output format',
  }),
  output: setting({
    flag: 'output',
    arg: 'FILE',
    default: '',
    ...text,
    notInConfigFile: 'must not choose which files the run overwrites',
    description: 'Write the report to this file instead of standard output.',
    help: 'write the report to FILE instead of standard output',
  }),
  paths: setting({
    input: 'paths',
    default: '.',
    schema: LIST,
    parse: (label, raw) => {
      const paths = parseList(raw);
      if (paths.length === 0) throw new InputError(`${label} names no files or directories`);
      return paths;
    },
    configFilePath: 'read',
    description:
      'Manifest files, directories (walked, skipping .git and node_modules) or globs, separated by commas or newlines. Directories yield every .yaml, .yml and .json file.',
  }),
  config: setting({
    input: 'config',
    flag: 'config',
    arg: 'FILE',
    default: '',
    ...text,
    notInConfigFile: 'cannot point at another config file',
    description:
      'Repository config file with any of these settings plus imagePaths and per-path suppressions (schema/imagepull-preflight.schema.json). Default: .imagepull-preflight.yaml at the repository root, when there is one. Inputs set here override it.',
    help: 'repository config file (default: .imagepull-preflight.yaml here, if any)',
  }),
  scan: setting({
    input: 'scan',
    default: 'changed',
    ...choice<ScanScope>(['changed', 'all']),
    description:
      'changed: report on workloads in files the event changed (pull request files, pushed commits), plus pods using a changed Secret or ServiceAccount. all: everything under paths. Secrets and ServiceAccounts are always read from all of paths.',
  }),
  failOn: setting({
    input: 'fail-on',
    flag: 'fail-on',
    arg: 'error|warning|notice|never',
    default: 'error',
    ...choice<FailOn>(['error', 'warning', 'notice', 'never']),
    description:
      'Fail the step when a finding is at or above this severity: error, warning, notice or never.',
    help: 'exit 1 when a finding is at or above this severity',
  }),
  defaultNamespace: setting({
    input: 'default-namespace',
    flag: 'default-namespace',
    arg: 'NAME',
    default: 'default',
    parse: parseNamespace,
    schema: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' },
    description: "Namespace of objects whose manifest names none (as kubectl's -n would apply them).",
    help: 'namespace of objects that name none',
  }),
  maxFileSize: setting({
    input: 'max-file-size',
    flag: 'max-file-size',
    arg: 'SIZE',
    default: '10MB',
    ...size,
    description: 'Larger files are reported as not scanned instead of parsed, e.g. 10MB, 512KB.',
    help: 'skip (and report) larger files, e.g. 10MB',
  }),
  offline: setting({
    input: 'offline',
    flag: 'offline',
    default: 'false',
    ...boolean,
    description:
      'true to check only what the files say (references, policies, secrets), with no registry traffic.',
    help: 'no registry traffic: check only what the files say',
  }),
  defaultPlatform: setting({
    input: 'default-platform',
    flag: 'default-platform',
    arg: 'PLATFORM',
    default: 'linux/amd64',
    parse: parsePlatformSetting,
    schema: STRING,
    description:
      "Platform of the cluster's nodes when a pod does not constrain kubernetes.io/arch, as os/architecture[/variant].",
    help: 'node platform when a pod names none',
  }),
  githubToken: setting({
    input: 'github-token',
    default: '${{ github.token }}',
    // Outside a workflow nothing substitutes the expression: then there is no token.
    parse: (_label, raw) => (raw === '${{ github.token }}' ? '' : raw),
    schema: STRING,
    notInConfigFile: 'must not hold secrets (it is committed to the repository)',
    description:
      'Token used to look at ghcr.io images (never to decide what the kubelet gets). Needs packages: read for private packages.',
  }),
  dockerConfig: setting({
    input: 'docker-config',
    flag: 'docker-config',
    arg: 'FILE',
    default: '',
    ...text,
    notInConfigFile:
      'must not make the check read registry credentials from a file the workflow did not name',
    description:
      'Docker config file the check may use to look at private registries (what docker/login-action writes). Default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. Supports auths, credsStore and credHelpers.',
    help: 'Docker config the check may use to look (default: $DOCKER_CONFIG/config.json,\nelse ~/.docker/config.json); never decides what the kubelet gets',
  }),
  registryAuth: setting({
    input: 'registry-auth',
    default: '',
    ...text,
    notInConfigFile: 'must not hold secrets (it is committed to the repository)',
    description:
      'A Docker config JSON document ({"auths": {...}}), e.g. from a repository secret, that the check may use to look at private registries. Masked in logs.',
  }),
  insecureRegistries: setting({
    input: 'insecure-registries',
    flag: 'insecure-registry',
    arg: 'HOST',
    repeatable: true,
    default: '',
    parse: parseHostList,
    schema: LIST,
    notInConfigFile:
      'must not make the check accept plain HTTP or unverifiable TLS (and send credentials there)',
    description:
      'Registry hosts (host[:port], comma or newline separated) that may be plain HTTP or have TLS certificates that cannot be verified. Loopback registries are always tried over HTTPS, then HTTP.',
    help: 'registry that may be plain HTTP or unverified TLS (repeatable)',
  }),
  caFile: setting({
    input: 'ca-file',
    flag: 'ca-file',
    arg: 'FILE',
    default: '',
    ...text,
    notInConfigFile: 'must not choose which certificate authorities the check trusts',
    description: 'Extra CA certificates (PEM file) to trust for registries. NODE_EXTRA_CA_CERTS works too.',
    help: 'extra CA certificates (PEM) to trust for registries',
  }),
  nodeCredentials: setting({
    input: 'node-credentials',
    flag: 'node-credentials',
    arg: 'HOSTS',
    default: '',
    parse: parseHostList,
    schema: LIST,
    notInConfigFile:
      "must not vouch for the cluster's node credentials, which turns a refused pull into a warning",
    description:
      'Registry host globs whose nodes pull with their own credentials (kubelet credential provider or node config.json), in addition to ECR, GCR/Artifact Registry and ACR. A refused anonymous pull from these is a warning, not an error.',
    help: 'comma-separated host globs whose nodes pull with their own credentials,\nin addition to ECR, GCR/Artifact Registry and ACR',
  }),
  concurrency: setting({
    input: 'concurrency',
    flag: 'concurrency',
    arg: 'N',
    default: '16',
    ...integer(1, 256),
    description: 'Registry requests in flight at once.',
    help: 'requests in flight at once',
  }),
  /**
   * docker (max-concurrent-downloads 3), containerd (CRI max_concurrent_downloads 3), crane
   * (go-containerregistry jobs 4), skopeo (6 parallel layer copies) and regclient (reqConcurrent 3)
   * size theirs for layer downloads, which are bandwidth-bound. A manifest check is a small
   * latency-bound request: concurrency hides latency, so one registry may use every global slot. A
   * 429 halves a registry's concurrency (down to a quarter), then it recovers (registry/limiter.ts).
   */
  perRegistryConcurrency: setting({
    input: 'per-registry-concurrency',
    flag: 'per-registry-concurrency',
    arg: 'N',
    default: '16',
    ...integer(1, 64),
    description:
      'Registry requests in flight at once per registry (and per token service); a 429 lowers it for that registry until it recovers.',
    help: 'requests in flight per registry',
  }),
  /** In milliseconds; written in seconds. */
  timeout: setting({
    input: 'timeout',
    flag: 'timeout',
    arg: 'SECONDS',
    default: '15',
    ...seconds(1, 600),
    description: 'Per-request timeout in seconds; retries of resets, 5xx and 429 are bounded.',
    help: 'per-request timeout',
  }),
  /** In milliseconds; written in seconds or as a duration (`10m`). */
  maxDuration: setting({
    input: 'max-duration',
    flag: 'max-duration',
    arg: 'DURATION',
    default: '10m',
    ...duration(1000, 6 * 3_600_000),
    configFileMax: CONFIG_FILE_MAX_MS,
    schema: { anyOf: [{ type: 'number', minimum: 1, maximum: CONFIG_FILE_MAX_MS / 1000 }, DURATION_TEXT] },
    description:
      'Longest the scan may take, in seconds or as a duration such as 90s, 10m or 1h. Past it no new work starts: what was checked is reported, images not yet checked are unverified with a max-duration-exceeded warning, and the step passes or fails by fail-on. Rendering gets at most half of it. Left at its default, it grows by wait-for-images; set, it must be longer than that wait.',
    help: 'longest the scan may take, e.g. 600, 90s, 10m; past it the rest is unverified;\nleft out, it grows by the wait',
  }),
  maxRenderRoots: setting({
    input: 'max-render-roots',
    flag: 'max-render-roots',
    arg: 'N',
    default: '20',
    ...integer(1, 1000),
    description:
      'Renders that run at most per scan: kustomize roots (kustomizations nothing else references) and Helm charts, with scan: changed only those whose files changed. Roots that cannot render (a remote base, helm not installed) do not count; renders run in parallel, one per core. A render-roots-capped warning names those left out.',
    help: 'kustomize roots and Helm charts rendered at most',
  }),
  kustomizeRemote: setting({
    input: 'kustomize-remote',
    flag: 'kustomize-remote',
    default: 'false',
    ...boolean,
    notInConfigFile: 'must not make the runner fetch remote kustomize bases and URLs',
    description:
      'true to let kustomize fetch remote bases and any URL a kustomization names (patches, generator files, replacements, openapi, configurations, crds), never from loopback, link-local or metadata addresses. Otherwise nothing is fetched and overlays that use one are reported as not rendered.',
    help: 'let kustomize fetch remote bases (network); otherwise they are reported',
  }),
  helmValues: setting({
    input: 'helm-values',
    flag: 'helm-values',
    arg: 'GLOBS',
    default: '',
    ...list,
    configFilePath: 'chart',
    description:
      "Values files to render each chart with: globs relative to the chart, comma or newline separated, e.g. values.yaml,values-prod.yaml. Each match is rendered on its own over the chart's defaults (a+b layers two files). Default: the chart's values.yaml alone. Needs helm on the runner.",
    help: "comma-separated values-file globs relative to each chart, each rendered\non its own (default: the chart's values.yaml)",
  }),
  helmDependencies: setting({
    input: 'helm-dependencies',
    flag: 'helm-dependencies',
    default: 'false',
    ...boolean,
    notInConfigFile:
      'must not make the runner fetch chart dependencies (helm dependency build fetches from any host)',
    description:
      'true to run helm dependency build (network) for charts whose Chart.yaml dependencies are not vendored in charts/, in a temporary copy of the chart. file:// dependencies are always built. Otherwise such charts are reported as not rendered.',
    help: 'let helm dependency build fetch chart dependencies (network); otherwise\nsuch charts are reported (file:// dependencies are always built)',
  }),
  checkRun: setting({
    input: 'check-run',
    default: 'true',
    ...boolean,
    description:
      "true to publish findings as a check run on the pull request's head commit (needs checks: write), which shows every annotation; without that permission (fork pull requests) it falls back to workflow-command annotations.",
  }),
  comment: setting({
    input: 'comment',
    default: 'false',
    ...boolean,
    description:
      'true to keep one sticky pull request comment with the report, updated in place (needs pull-requests: write).',
  }),
  sarifFile: setting({
    input: 'sarif-file',
    default: '',
    ...text,
    notInConfigFile: 'must not choose which files the run overwrites',
    description:
      'Write a SARIF 2.1.0 report here, for github/codeql-action/upload-sarif (needs security-events: write).',
  }),
  ignoreRules: setting({
    input: 'ignore-rules',
    flag: 'ignore-rules',
    arg: 'IDS',
    default: '',
    parse: parseRuleList,
    schema: { anyOf: [{ type: 'array', items: { enum: [...RULES.keys()] } }, STRING] },
    description: 'Rule IDs never reported (comma or newline separated); see docs/rules.md.',
    help: 'comma-separated rule IDs never reported (see docs/rules.md)',
  }),
  ignoreImages: setting({
    input: 'ignore-images',
    flag: 'ignore-images',
    arg: 'GLOBS',
    default: '',
    ...list,
    description:
      'Globs on images as written whose findings are suppressed, e.g. registry.internal/*. Suppressed findings are still counted in the summary.',
    help: 'comma-separated globs on images as written whose findings are suppressed',
  }),
  pendingImages: setting({
    input: 'pending-images',
    flag: 'pending-image',
    arg: 'REF',
    repeatable: true,
    default: '',
    parse: parsePendingImages,
    schema: LIST,
    description:
      "Images this workflow publishes, as full references one per line (docker/metadata-action's tags output verbatim); globs allowed, e.g. ghcr.io/acme/app:*. One that does not exist yet is the notice image-pending instead of an error; its pull secrets are still checked. The action also reads DOCKER_METADATA_OUTPUT_TAGS, which docker/metadata-action exports.",
    help: 'image this workflow publishes (repeatable; globs allowed): missing is\nthe notice image-pending, not an error',
  }),
  pendingFromEnv: setting({
    flag: 'pending-from-env',
    default: 'false',
    ...boolean,
    description: `Also take the pending images from ${METADATA_ACTION_TAGS} (docker/metadata-action); the action always does.`,
    help: `also read pending images from $${METADATA_ACTION_TAGS}`,
  }),
  waitForImages: setting({
    input: 'wait-for-images',
    flag: 'wait',
    arg: 'DURATION',
    default: '0',
    parse: parseWait,
    configFileMax: CONFIG_FILE_MAX_MS,
    schema: {
      anyOf: [{ type: 'number', minimum: 0, maximum: CONFIG_FILE_MAX_MS / 1000 }, DURATION_TEXT],
    },
    description:
      'How long to wait for images that are not found (pending ones, or all with wait-for: all), e.g. 90s or 10m, at most 60m: they are re-checked with back-off until they appear or the time is up. 0: no wait.',
    help: 'wait up to DURATION (e.g. 10m, at most 60m) for missing images to appear',
  }),
  waitFor: setting({
    input: 'wait-for',
    flag: 'wait-for',
    arg: 'pending|all',
    default: 'pending',
    ...choice<WaitFor>(['pending', 'all']),
    description: 'Which missing images wait-for-images waits for: pending (the pending images) or all.',
    help: 'which missing images --wait waits for',
  }),
  reportFile: setting({
    input: 'report-file',
    default: '',
    ...text,
    notInConfigFile: 'must not choose which files the run overwrites',
    description:
      "Where to write the JSON report. Default: imagepull-preflight.json in the runner's temporary directory.",
  }),
};

export type SettingName = keyof typeof SETTINGS;
/** Every setting, parsed. */
export type Settings = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['parse']> };
/** Raw values as the action or the CLI received them; an absent value means "not set". */
export type RawSettings = Partial<Record<SettingName, string>>;

const NAMES = Object.keys(SETTINGS) as SettingName[];

/** The same setting named the way its source names it, for error messages. */
export type Source = 'action' | 'cli';

export function settingLabel(name: SettingName, source: Source): string {
  const spec: SettingSpec<unknown> = SETTINGS[name];
  if (source === 'cli' && spec.flag) return `--${spec.flag}`;
  return `input "${spec.input ?? spec.flag ?? name}"`;
}

/** Settings from the repository config file, with where each is written (for error messages). */
export interface ConfigLayer {
  values: RawSettings;
  labels: Partial<Record<SettingName, string>>;
}

/**
 * Parses every setting: the input or flag when set, else the config file's value, else the table's
 * default. GitHub passes action.yml's default for an input left out, so an action input equal to its
 * default does not override the config file.
 */
export function resolveSettings(raw: RawSettings, source: Source, config?: ConfigLayer): Settings {
  const settings: Record<string, unknown> = {};
  const labels: Partial<Record<SettingName, string>> = {};
  const defaulted = new Set<SettingName>();
  for (const name of NAMES) {
    const spec: SettingSpec<unknown> = SETTINGS[name];
    const given = raw[name];
    const fromConfig = config?.values[name];
    const leftOut = given === undefined || (source === 'action' && given === spec.default);
    const fromFile = leftOut && fromConfig !== undefined;
    if (leftOut && !fromFile) defaulted.add(name);
    labels[name] = (fromFile ? config!.labels[name] : undefined) ?? settingLabel(name, source);
    settings[name] = spec.parse(labels[name], fromFile ? fromConfig : (given ?? spec.default));
  }
  return makeRoomForTheWait(settings as Settings, defaulted, labels);
}

/**
 * max-duration bounds the whole scan, the wait included. A wait asked for with max-duration left
 * at its default gets its own time on top of that default (`--wait 10m` waits 10m, then checks);
 * one as long as a max-duration set by hand would end in max-duration-exceeded, never a verdict.
 */
function makeRoomForTheWait(
  settings: Settings,
  defaulted: Set<SettingName>,
  labels: Partial<Record<SettingName, string>>,
): Settings {
  const wait = settings.waitForImages;
  if (wait === 0) return settings;
  if (defaulted.has('maxDuration')) return { ...settings, maxDuration: settings.maxDuration + wait };
  if (wait < settings.maxDuration) return settings;
  throw new InputError(
    `${labels.waitForImages} (${formatDuration(wait)}) must be shorter than ${labels.maxDuration} (${formatDuration(settings.maxDuration)}), which bounds the whole scan, the wait included; leave max-duration out or raise it`,
  );
}

/** Every setting at its default. */
export const DEFAULT_SETTINGS: Settings = resolveSettings({}, 'action');

export interface ScanContext {
  cwd: string;
  /** The CI environment, where CI credentials are looked up. */
  env: NodeJS.ProcessEnv;
  /** Called with every secret read. */
  mask?: (secret: string) => void;
}

/** The registry part of the scan options. */
export function registrySettings(settings: Settings, context?: ScanContext): RegistrySettings {
  const registry: RegistrySettings = {
    defaultPlatform: settings.defaultPlatform,
    insecureRegistries: settings.insecureRegistries,
    nodeCredentialHosts: settings.nodeCredentials,
    concurrency: settings.concurrency,
    perRegistryConcurrency: settings.perRegistryConcurrency,
    timeoutMs: settings.timeout,
    mask: context?.mask ?? (() => {}),
  };
  if (settings.caFile) registry.caFile = settings.caFile;
  if (context) {
    const token = settings.githubToken;
    registry.ciCredentials = {
      env: context.env,
      ...(settings.dockerConfig ? { dockerConfigPath: resolvePath(context.cwd, settings.dockerConfig) } : {}),
      ...(settings.registryAuth ? { registryAuthJson: settings.registryAuth } : {}),
      ...(token ? { githubToken: token } : {}),
    };
  }
  return registry;
}

/** The config file's structured parts: custom image paths and per-path suppressions. */
export interface ScanExtras {
  imagePaths?: ImagePathSpec[];
  pathSuppressions?: PathSuppression[];
}

/** What the engine needs from the settings; the CLI passes its positional paths. */
export function scanOptions(settings: Settings, context: ScanContext, extras: ScanExtras = {}): ScanOptions {
  return {
    cwd: context.cwd,
    paths: settings.paths,
    defaultNamespace: settings.defaultNamespace,
    maxFileSize: settings.maxFileSize,
    offline: settings.offline,
    render: {
      maxRoots: settings.maxRenderRoots,
      kustomizeRemote: settings.kustomizeRemote,
      helmValues: settings.helmValues,
      helmDependencies: settings.helmDependencies,
      // The workflow's repository names this repository for Argo CD and Flux sources, as origin does.
      ...(context.env.GITHUB_REPOSITORY
        ? {
            repositoryUrls: [
              `${context.env.GITHUB_SERVER_URL || 'https://github.com'}/${context.env.GITHUB_REPOSITORY}`,
            ],
          }
        : {}),
    },
    registry: registrySettings(settings, context),
    suppressions: {
      ignoreRules: settings.ignoreRules,
      ignoreImages: settings.ignoreImages,
      ...(extras.pathSuppressions?.length ? { paths: extras.pathSuppressions } : {}),
    },
    ...(extras.imagePaths?.length ? { imagePaths: extras.imagePaths } : {}),
    maxDurationMs: settings.maxDuration,
    pending: [
      ...settings.pendingImages,
      ...(settings.pendingFromEnv
        ? parsePendingImages(
            `environment variable ${METADATA_ACTION_TAGS}`,
            context.env[METADATA_ACTION_TAGS] ?? '',
          )
        : []),
    ],
    wait: { durationMs: settings.waitForImages, for: settings.waitFor },
  };
}

/** `~/…` is left for the credential loader to expand against HOME. */
function resolvePath(cwd: string, file: string): string {
  return file === '~' || file.startsWith('~/') ? file : path.resolve(cwd, file);
}

// ---------------------------------------------------------------------------------------------------
// What the table shows: `--help` and the parseArgs options.

/** The options block of `--help`, in table order. */
export function cliOptionsHelp(): string {
  const lines: string[] = [];
  for (const name of NAMES) {
    const spec: SettingSpec<unknown> = SETTINGS[name];
    if (!spec.flag || !spec.help) continue;
    const showDefault = spec.helpDefault !== false && spec.default !== '' && spec.arg !== undefined;
    const help = `${spec.help}${showDefault ? ` (default: ${spec.default})` : ''}`;
    lines.push(...optionLines(`--${spec.flag}${spec.arg ? ` ${spec.arg}` : ''}`, help));
  }
  return lines.join('\n');
}

const HELP_COLUMN = 30;

export function optionLines(option: string, help: string): string[] {
  const [first = '', ...rest] = help.split('\n');
  const head = `  ${option}`;
  const lines =
    head.length + 1 <= HELP_COLUMN
      ? [`${head.padEnd(HELP_COLUMN)}${first}`]
      : [head, `${' '.repeat(HELP_COLUMN)}${first}`];
  return [...lines, ...rest.map((line) => `${' '.repeat(HELP_COLUMN)}${line}`)];
}

/** node:util parseArgs options for every flag of the table (values stay raw strings). */
export function cliParseOptions(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const name of NAMES) {
    const spec: SettingSpec<unknown> = SETTINGS[name];
    if (!spec.flag) continue;
    options[spec.flag] =
      spec.arg === undefined
        ? { type: 'boolean' }
        : { type: 'string', ...(spec.repeatable ? { multiple: true } : {}) };
  }
  return options;
}

/** parseArgs values → raw settings: switches given are "true", repeated flags joined with commas. */
export function cliRawSettings(values: Record<string, string | boolean | string[] | undefined>): RawSettings {
  const raw: RawSettings = {};
  for (const name of NAMES) {
    const spec: SettingSpec<unknown> = SETTINGS[name];
    const value = spec.flag ? values[spec.flag] : undefined;
    if (value === undefined || value === false) continue;
    raw[name] = value === true ? 'true' : Array.isArray(value) ? value.join(',') : value;
  }
  return raw;
}

/** The setting specs, for the tests that hold action.yml, `--help` and the README to the table. */
export function settingSpecs(): Array<[SettingName, SettingSpec<unknown>]> {
  return NAMES.map((name) => [name, SETTINGS[name]]);
}
