import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnalysisResult } from '../analysis/analyze.js';
import { RULES, type Rule } from '../analysis/rules.js';
import { SEVERITY_ORDER, type Finding, type Severity, type SourceLocation } from '../findings.js';
import { VERSION } from '../version.js';

/*
 * SARIF 2.1.0 for GitHub code scanning (github/codeql-action/upload-sarif).
 *
 * GitHub's limits per upload (docs: "SARIF results exceed limit"): 10 MB gzipped file, 20 runs per file,
 * 25,000 results per run (only the 5,000 most severe are shown), 25,000 rules per run, 1,000 locations
 * per result (100 shown), 20 tags per rule (10 shown). We emit one run, ~25 rules and 3 tags each, one
 * location per result; only the result count could ever reach a limit, so results are capped (most
 * severe kept) rather than have the whole upload rejected. Results repeating a rule on the same region
 * are dropped: GitHub would show them as one alert anyway.
 *
 * Suppressed findings are left out, only counted in run.properties: GitHub does not reliably honour
 * SARIF `suppressions` (it opens alerts for them unless a repository setting says otherwise).
 */

export const SARIF_SCHEMA_URI =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
export const INFORMATION_URI = 'https://github.com/imagepull-preflight/imagepull-preflight';
export const RULES_DOC_URI = `${INFORMATION_URI}/blob/main/docs/rules.md`;
/** Key of our own fingerprint; bump the version if its inputs ever change (alerts would reopen). */
export const FINGERPRINT_KEY = 'imagepullPreflight/v1';
export const MAX_RESULTS = 25_000;
const SRCROOT = '%SRCROOT%';

export interface SarifOptions {
  /** Absolute path of the repository checkout (GITHUB_WORKSPACE); URIs are made relative to it. */
  repositoryRoot: string;
  /** Absolute working directory that `finding.file` is relative to. */
  cwd: string;
  /** GitHub's hard limit unless told otherwise (tests). */
  maxResults?: number;
}

type Level = 'error' | 'warning' | 'note';

const LEVELS: Record<Severity, Level> = { error: 'error', warning: 'warning', notice: 'note' };

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

/** The whole SARIF log as a JSON string. Pure: paths are computed, never read. */
export function sarifReport(result: AnalysisResult, options: SarifOptions): string {
  return `${JSON.stringify(sarifLog(result, options), null, 2)}\n`;
}

export function sarifLog(result: AnalysisResult, options: SarifOptions): object {
  const catalogue = [...RULES.values()];
  const ruleIndex = new Map(catalogue.map((rule, index) => [rule.id, index]));
  const unique = dedupe(result.findings, options);
  const max = options.maxResults ?? MAX_RESULTS;
  const kept = capResults(unique, max);
  const fingerprints = fingerprintAll(kept, options);
  const run = {
    tool: {
      driver: {
        name: 'imagepull-preflight',
        informationUri: INFORMATION_URI,
        version: VERSION,
        semanticVersion: VERSION,
        rules: catalogue.map(ruleDescriptor),
      },
    },
    // Our columns count UTF-16 code units (src/manifests/positions.ts); this is SARIF's default, stated.
    columnKind: 'utf16CodeUnits',
    originalUriBaseIds: {
      [SRCROOT]: {
        uri: directoryUri(resolve(options.cwd, options.repositoryRoot)),
        description: { text: 'The repository root.' },
      },
    },
    ...(kept.length < unique.length
      ? { invocations: [truncationNotice(unique.length - kept.length, max)] }
      : {}),
    results: kept.map((finding, i) =>
      sarifResult(finding, options, ruleIndex.get(finding.rule), fingerprints[i]!),
    ),
    ...(result.suppressed.length ? { properties: { suppressedFindings: result.suppressed.length } } : {}),
  };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

export function ruleDescriptor(rule: Rule): object {
  const level = LEVELS[rule.severity];
  return {
    id: rule.id,
    name: pascalCase(rule.id),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.clusterShows },
    helpUri: `${RULES_DOC_URI}#${rule.id}`,
    help: {
      text: `${rule.fix}\n\nWhat the cluster shows: ${rule.clusterShows}`,
      markdown:
        `**Fix:** ${escapeMarkdown(rule.fix)}\n\n` +
        `**What the cluster shows:** ${escapeMarkdown(rule.clusterShows)}\n\n` +
        `[Rule documentation](${RULES_DOC_URI}#${rule.id})`,
    },
    defaultConfiguration: { level },
    properties: { tags: ruleTags(rule) },
  };
}

function sarifResult(
  finding: Finding,
  options: SarifOptions,
  ruleIndex: number | undefined,
  fingerprint: string,
): object {
  const properties = resultProperties(finding);
  return {
    ruleId: finding.rule,
    ...(ruleIndex === undefined ? {} : { ruleIndex }),
    level: LEVELS[finding.severity],
    message: { text: plainMessage(`${finding.message} Fix: ${finding.fix}`) },
    locations: [{ physicalLocation: physicalLocation(finding, options) }],
    ...(finding.related?.length
      ? {
          relatedLocations: finding.related.map((related, i) => ({
            id: i + 1,
            physicalLocation: physicalLocation(related, options),
            message: { text: plainMessage(related.message) },
          })),
        }
      : {}),
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint },
    ...(properties ? { properties } : {}),
  };
}

function physicalLocation(location: SourceLocation, options: SarifOptions): object {
  return {
    artifactLocation: artifactLocation(location.file, options),
    // Both ours and SARIF's endColumn point just past the last character: copied as is.
    region: {
      startLine: location.line,
      startColumn: location.column,
      endLine: location.endLine,
      endColumn: location.endColumn,
    },
  };
}

/**
 * `finding.file` is relative to cwd; code scanning wants it relative to the repository root. A file
 * outside the repository keeps an absolute file: URI (GitHub will not place it, but the log stays true).
 */
export function artifactLocation(file: string, options: SarifOptions): ArtifactLocation {
  const absolute = resolve(options.cwd, file);
  const fromRoot = relative(resolve(options.cwd, options.repositoryRoot), absolute);
  const outside =
    fromRoot === '' || fromRoot === '..' || fromRoot.startsWith(`..${sep}`) || isAbsolute(fromRoot);
  if (outside) return { uri: pathToFileURL(absolute).href };
  return { uri: encodePath(fromRoot.split(sep).join('/')), uriBaseId: SRCROOT };
}

/** Percent-encodes each segment so spaces, `#` or `%` in file names still form a valid URI reference. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function directoryUri(path: string): string {
  const href = pathToFileURL(path).href;
  return href.endsWith('/') ? href : `${href}/`;
}

/**
 * What identifies a finding across commits: never the line, so alerts survive edits elsewhere in the
 * file. Findings sharing all of it (e.g. two parse errors in one file) get `:2`, `:3`, … in document
 * order, like GitHub's own primaryLocationLineHash, so they stay distinct alerts.
 */
export function fingerprintAll(findings: Finding[], options: SarifOptions): string[] {
  const seen = new Map<string, number>();
  return findings.map((finding) => {
    const hash = fingerprintHash(finding, artifactLocation(finding.file, options).uri);
    const occurrence = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, occurrence);
    return `${hash}:${occurrence}`;
  });
}

function fingerprintHash(finding: Finding, uri: string): string {
  const { kind = '', name = '', namespace = '' } = finding.resource ?? {};
  const parts = [finding.rule, uri, finding.image ?? '', kind, namespace, name, finding.container ?? ''];
  // NUL cannot occur in any part, so distinct tuples never join to the same string.
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** Keeps the first finding of each rule + region. */
function dedupe(findings: Finding[], options: SarifOptions): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const { uri } = artifactLocation(finding.file, options);
    const key = [finding.rule, uri, finding.line, finding.column, finding.endLine, finding.endColumn].join(
      '\0',
    );
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Over GitHub's hard limit the upload is rejected outright: keep the most severe, in their order. */
export function capResults(findings: Finding[], max: number): Finding[] {
  if (findings.length <= max) return findings;
  const keep = new Set(
    findings
      .map((finding, index) => ({ finding, index }))
      .sort(
        (a, b) =>
          SEVERITY_ORDER[b.finding.severity] - SEVERITY_ORDER[a.finding.severity] || a.index - b.index,
      )
      .slice(0, max)
      .map(({ finding }) => finding),
  );
  return findings.filter((finding) => keep.has(finding));
}

function truncationNotice(omitted: number, max: number): object {
  const text =
    `${omitted} result(s) left out, the least severe: ` +
    `GitHub code scanning rejects runs with more than ${max} results.`;
  return { executionSuccessful: true, toolExecutionNotifications: [{ level: 'warning', message: { text } }] };
}

function resultProperties(finding: Finding): Record<string, string> | undefined {
  const properties: Record<string, string> = {};
  if (finding.image !== undefined) properties.image = finding.image;
  if (finding.resource) {
    const { kind, namespace, name } = finding.resource;
    properties.resource = `${kind}/${namespace ? `${namespace}/` : ''}${name}`;
  }
  if (finding.container !== undefined) properties.container = finding.container;
  return Object.keys(properties).length ? properties : undefined;
}

export function pascalCase(id: string): string {
  return id
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** Filterable in the code scanning UI; derived from the ID so new rules are tagged without a table. */
export function ruleTags(rule: Rule): string[] {
  const area = /secret|credential|access|ecr/.test(rule.id)
    ? 'credentials'
    : /platform/.test(rule.id)
      ? 'platform'
      : rule.id.startsWith('registry-')
        ? 'registry'
        : /manifest|template/.test(rule.id)
          ? 'manifest'
          : 'image';
  return ['kubernetes', 'image-pull', area];
}

/**
 * SARIF plain-text messages treat `[text](n)` as an embedded link. Unescaped brackets are allowed
 * elsewhere, so escape only when a message could be misread as a link (errata01 §3.11.6).
 */
export function plainMessage(text: string): string {
  return /\]\(/.test(text) ? text.replace(/[\\[\]]/g, '\\$&') : text;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>#|]/g, '\\$&');
}
