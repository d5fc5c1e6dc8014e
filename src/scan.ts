import path from 'node:path';
import type { Dispatcher } from 'undici';
import { analyze, type AnalysisResult } from './analysis/analyze.js';
import { pullCheckWithDeadline } from './analysis/deadline.js';
import { DEFAULT_NODE_CREDENTIAL_HOSTS, PullChecker } from './analysis/pull-check.js';
import { restrictToChanged } from './analysis/scope.js';
import type { PendingImage } from './analysis/pending.js';
import { NO_SUPPRESSIONS, type SuppressionSettings } from './analysis/suppress.js';
import { ImageWaiter, NO_WAIT, type WaitProgress, type WaitSettings } from './analysis/wait.js';
import { loadCiCredentials, type CiCredentialOptions } from './credentials/ci-keychain.js';
import { safeLookup, type CredentialLookup } from './credentials/lookup.js';
import { maskPullSecrets } from './credentials/mask.js';
import type { ImagePathSpec } from './manifests/custom-resources.js';
import { appendManifestSet, emptyManifestSet } from './manifests/extract.js';
import { discoverManifestFiles, readManifests, readRegularFile } from './manifests/files.js';
import { DEFAULT_RENDER_SETTINGS, renderManifests, type RenderSettings } from './render/index.js';
import { RegistryClient } from './registry/client.js';
import { isForbiddenAddress, isLoopbackHost } from './registry/guard.js';
import type { Platform } from './registry/types.js';
import type { ScanResult } from './scan-result.js';
import { DEFAULT_SETTINGS, formatDuration, InputError, registrySettings } from './settings.js';

export type { RegistryActivity, ScanResult } from './scan-result.js';

/** Everything the engine needs, already validated: the CLI and the action each build one. */
export interface ScanOptions {
  cwd: string;
  paths: string[];
  defaultNamespace: string;
  maxFileSize: number;
  /** No registry traffic: only what the files say. */
  offline: boolean;
  registry: RegistrySettings;
  /** Report only on workloads in these files (cwd-relative) and those using secrets they define. */
  changedFiles?: string[];
  suppressions?: SuppressionSettings;
  /** Kustomize and Helm rendering; DEFAULT_RENDER_SETTINGS when absent. */
  render?: Partial<RenderSettings>;
  /** Image locations in other custom resources (configuration file `imagePaths`, kustomize fieldSpecs). */
  imagePaths?: ImagePathSpec[];
  /** The overall deadline (max-duration), counted from `startedAt` (default: when `scan` starts). */
  maxDurationMs?: number;
  /** Epoch ms the run started (the action counts the change detection in). */
  startedAt?: number;
  /** Images this workflow publishes (pending-images). */
  pending?: PendingImage[];
  /** A bounded wait for missing images; NO_WAIT when absent. */
  wait?: WaitSettings;
  /** Told, about every 30 s, which images a wait is still waiting for. */
  onWaitProgress?: (progress: WaitProgress) => void;
}

export interface RegistrySettings {
  defaultPlatform: Platform;
  insecureRegistries: string[];
  caFile?: string;
  /** Extra registry host globs whose nodes pull with their own credentials. */
  nodeCredentialHosts: string[];
  concurrency: number;
  perRegistryConcurrency: number;
  timeoutMs: number;
  /** What the CI run may use to look; absent: anonymous looks only. */
  ciCredentials?: Omit<CiCredentialOptions, 'mask'>;
  /** Called with every secret read, before it could be printed. */
  mask: (secret: string) => void;
  /** Tests inject undici's MockAgent here. */
  dispatcher?: Dispatcher;
}

/** The settings table's defaults, with no CI credentials (tests and benchmarks start from these). */
export const DEFAULT_REGISTRY_SETTINGS: RegistrySettings = registrySettings(DEFAULT_SETTINGS);

/** kustomize-remote lets kustomize fetch, never from loopback, link-local or metadata addresses. */
function kustomizeMayNotFetch(address: string): boolean {
  return isLoopbackHost(address) || isForbiddenAddress(address);
}

/** changes → manifests → reference → credentials → registry → analysis: one pass. */
export async function scan(options: ScanOptions): Promise<ScanResult> {
  const deadline = scanDeadline(
    options.maxDurationMs ?? DEFAULT_SETTINGS.maxDuration,
    options.startedAt ?? Date.now(),
    options.render?.timeoutMs ?? DEFAULT_RENDER_SETTINGS.timeoutMs,
  );
  // The wait counts from the start of the scan (`--wait 3s` ends near 3 s) and ends by max-duration.
  const wait = options.wait ?? NO_WAIT;
  const waitDeadline = Math.min(Date.now() + wait.durationMs, deadline.endsAt);
  const files = await discoverManifestFiles(options.paths, options.cwd);
  // Files of kustomizations and charts are checked as their roots render them, never raw.
  const render = await renderManifests({
    cwd: options.cwd,
    paths: options.paths,
    files,
    defaultNamespace: options.defaultNamespace,
    settings: {
      maxRoots: DEFAULT_SETTINGS.maxRenderRoots,
      ...DEFAULT_RENDER_SETTINGS,
      // helm-dependencies fetches what a pull request's Chart.yaml names: never from metadata addresses.
      helmMayNotFetch: isForbiddenAddress,
      forbiddenAddress: kustomizeMayNotFetch,
      ...options.render,
      timeoutMs: deadline.renderTimeoutMs,
    },
    deadline: deadline.renderBy,
    maxFileSize: options.maxFileSize,
    mask: options.registry.mask,
    ...(options.imagePaths ? { imagePaths: options.imagePaths } : {}),
    ...(options.changedFiles ? { changedFiles: options.changedFiles } : {}),
  });
  const everything = await readManifests(
    files.filter((file) => !render.owned.has(file)),
    {
      cwd: options.cwd,
      maxFileSize: options.maxFileSize,
      defaultNamespace: options.defaultNamespace,
      ...(options.imagePaths ? { imagePaths: options.imagePaths } : {}),
    },
  );
  maskPullSecrets(everything, options.registry.mask);
  maskPullSecrets(render.manifests, options.registry.mask);
  // Only roots a change touches were rendered (scan: changed): all of their output is in scope.
  // Rendered Secrets and ServiceAccounts serve every pod, as written ones do.
  const manifests = appendManifestSet(
    appendManifestSet(
      emptyManifestSet(),
      options.changedFiles ? restrictToChanged(everything, new Set(options.changedFiles)) : everything,
    ),
    render.manifests,
  );
  const suppressions = options.suppressions ?? NO_SUPPRESSIONS;
  const finish = (result: AnalysisResult) => ({
    ...result,
    files: [...manifests.files].sort(),
    rendered: render.summary,
  });
  if (options.offline)
    return { ...finish(await analyze(manifests, undefined, suppressions)), warnings: [...render.warnings] };

  const settings = options.registry;
  const ca = settings.caFile ? await readCa(path.resolve(options.cwd, settings.caFile)) : undefined;
  const client = new RegistryClient({
    transport: {
      connectTimeoutMs: Math.min(settings.timeoutMs, 10_000),
      requestTimeoutMs: settings.timeoutMs,
      ...(ca ? { ca } : {}),
      ...(settings.dispatcher ? { dispatcher: settings.dispatcher } : {}),
      signal: deadline.signal,
    },
    insecureRegistries: settings.insecureRegistries,
    concurrency: settings.concurrency,
    perRegistryConcurrency: settings.perRegistryConcurrency,
  });
  const warnings: string[] = [...render.warnings];
  let ciCredentials: CredentialLookup | undefined;
  if (settings.ciCredentials) {
    const loaded = await loadCiCredentials({ ...settings.ciCredentials, mask: settings.mask });
    warnings.push(...loaded.warnings);
    ciCredentials = safeLookup(loaded.source, warnings);
  }
  const waiter =
    wait.durationMs > 0
      ? new ImageWaiter({
          deadline: waitDeadline,
          ...(options.onWaitProgress ? { onProgress: options.onWaitProgress } : {}),
        })
      : undefined;
  try {
    const checker = new PullChecker({
      client,
      manifests,
      defaultPlatform: settings.defaultPlatform,
      nodeCredentialHosts: [...DEFAULT_NODE_CREDENTIAL_HOSTS, ...settings.nodeCredentialHosts],
      ...(ciCredentials ? { ciCredentials } : {}),
      ...(options.pending?.length ? { pending: options.pending } : {}),
      ...(waiter ? { wait: { settings: wait, waiter } } : {}),
    });
    const check = pullCheckWithDeadline(checker, deadline.signal, deadline.label);
    const result = await analyze(manifests, check, suppressions);
    if (check.unanswered > 0) {
      warnings.push(
        `the scan reached max-duration (${deadline.label}): ${check.unanswered} image check(s) not answered by then are reported unverified`,
      );
    }
    return {
      ...finish(result),
      warnings,
      registry: {
        contacted: [...client.contacted].sort(),
        rateLimits: Object.fromEntries(client.rateLimits),
        requests: client.requestCounts(),
        ...(waiter
          ? {
              wait: {
                rounds: waiter.stats.rounds,
                rechecks: waiter.stats.checks,
                perRound: waiter.stats.perRound,
              },
            }
          : {}),
      },
    };
  } finally {
    await client.close();
  }
}

/**
 * max-duration as the stages use it: the registry stage stops at the deadline (`signal`); rendering
 * starts nothing after half of it, and each render may take at most a quarter of it (or its own
 * timeout, when shorter), so renders always leave the registry checks time.
 */
function scanDeadline(maxDurationMs: number, startedAt: number, renderTimeoutMs: number) {
  return {
    endsAt: startedAt + maxDurationMs,
    signal: AbortSignal.timeout(Math.max(0, startedAt + maxDurationMs - Date.now())),
    renderBy: startedAt + maxDurationMs / 2,
    renderTimeoutMs: Math.max(1, Math.min(renderTimeoutMs, Math.round(maxDurationMs / 4))),
    label: formatDuration(maxDurationMs),
  };
}

/** CA bundles are kilobytes (the system's is ~200 KB): anything far larger is not one. */
const MAX_CA_BYTES = 16 * 1024 * 1024;

/** Only a regular file, bounded, is read: a link to /dev/zero or a FIFO is neither read without end nor waited on. */
async function readCa(file: string): Promise<string> {
  const read = await readRegularFile(file, '/', MAX_CA_BYTES);
  if (read.ok) return read.bytes.toString('utf8');
  const reason =
    read.kind === 'too-large' ? 'it is over 16 MiB' : read.message.replace(/^cannot read this file: /, '');
  throw new InputError(`cannot read the CA file ${file}: ${reason}`);
}
