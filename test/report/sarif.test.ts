import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/analysis/analyze.js';
import { RULES } from '../../src/analysis/rules.js';
import type { Finding } from '../../src/findings.js';
import {
  FINGERPRINT_KEY,
  INFORMATION_URI,
  SARIF_SCHEMA_URI,
  artifactLocation,
  capResults,
  pascalCase,
  plainMessage,
  sarifReport,
  type SarifOptions,
} from '../../src/report/sarif.js';
import { VERSION } from '../../src/version.js';

// The official schema as shipped by Microsoft's SARIF SDK (2.1.0-rtm.5, JSON Schema draft-04); never copied.
const SCHEMA_PATH = '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';

interface Region {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}
interface PhysicalLocation {
  artifactLocation: { uri: string; uriBaseId?: string };
  region: Region;
}
interface SarifResult {
  ruleId: string;
  ruleIndex?: number;
  level: string;
  message: { text: string };
  locations: Array<{ physicalLocation: PhysicalLocation }>;
  relatedLocations?: Array<{ id: number; physicalLocation: PhysicalLocation; message: { text: string } }>;
  partialFingerprints: Record<string, string>;
  properties?: Record<string, string>;
}
interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  defaultConfiguration: { level: string };
  properties: { tags: string[] };
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: Array<{
    tool: { driver: { name: string; informationUri: string; semanticVersion: string; rules: SarifRule[] } };
    originalUriBaseIds: Record<string, { uri: string }>;
    invocations?: unknown[];
    results: SarifResult[];
  }>;
}

let validate: (data: unknown) => boolean;
let validationErrors: () => string;

beforeAll(() => {
  const schema = createRequire(import.meta.url)(SCHEMA_PATH) as Record<string, unknown>;
  // The schema's `language` pattern has a stray `]`, which is invalid under the `u` flag Ajv uses by default.
  const ajv = new AjvDraft04.default({ allErrors: true, unicodeRegExp: false });
  addFormats.default(ajv);
  const compiled = ajv.compile(schema);
  validate = (data) => compiled(data);
  validationErrors = () => ajv.errorsText(compiled.errors, { separator: '\n' });
});

const OPTIONS = { repositoryRoot: '/work/repo', cwd: '/work/repo/deploy' };

const deployment = { kind: 'Deployment', name: 'web', namespace: 'shop' };

function finding(overrides: Partial<Finding> & Pick<Finding, 'rule' | 'severity'>): Finding {
  return {
    file: 'apps/web/deployment.yaml',
    line: 21,
    column: 18,
    endLine: 21,
    endColumn: 44,
    message: 'Something is wrong.',
    fix: 'Fix it.',
    ...overrides,
  };
}

const FINDINGS: Finding[] = [
  finding({
    rule: 'tag-not-found',
    severity: 'error',
    image: 'ghcr.io/acme/web:1.2.3',
    resource: deployment,
    container: 'web',
    message: 'Tag 1.2.3 does not exist in ghcr.io/acme/web.',
    fix: 'Use 1.2.4.',
  }),
  finding({
    rule: 'pull-secret-no-matching-entry',
    severity: 'error',
    file: 'apps/web/deployment.yaml',
    line: 30,
    column: 18,
    endLine: 30,
    endColumn: 40,
    image: 'registry.acme.dev/api:7',
    resource: deployment,
    container: 'api',
    message: 'regcred has no entry for registry.acme.dev.',
    related: [
      {
        file: '../base/secrets/regcred.yaml',
        line: 7,
        column: 3,
        endLine: 7,
        endColumn: 20,
        message: 'The pull secret regcred',
      },
      {
        file: 'apps/web/deployment.yaml',
        line: 12,
        column: 9,
        endLine: 12,
        endColumn: 22,
        message: 'imagePullSecrets entry',
      },
    ],
  }),
  finding({
    rule: 'pull-policy-never',
    severity: 'warning',
    file: 'jobs/migrate job.yaml',
    line: 4,
    column: 5,
    endLine: 5,
    endColumn: 3,
    image: 'acme/migrate:2',
    resource: { kind: 'Job', name: 'migrate', namespace: '' },
    container: 'migrate',
  }),
  finding({
    rule: 'mutable-tag',
    severity: 'notice',
    image: 'nginx',
    resource: deployment,
    container: 'proxy',
    line: 40,
    endLine: 40,
  }),
  finding({ rule: 'manifest-parse-error', severity: 'error', file: 'broken.yaml', line: 3, column: 1 }),
  finding({ rule: 'manifest-parse-error', severity: 'error', file: 'broken.yaml', line: 9, column: 1 }),
];

function report(findings: Finding[] = FINDINGS, options: SarifOptions = OPTIONS): SarifLog {
  const result: AnalysisResult = { findings, suppressed: [], images: [] };
  return JSON.parse(sarifReport(result, options)) as SarifLog;
}

function run(log: SarifLog) {
  return log.runs[0]!;
}

function fingerprints(log: SarifLog): string[] {
  return run(log).results.map((result) => result.partialFingerprints[FINGERPRINT_KEY]!);
}

describe('sarifReport', () => {
  it('is valid against the SARIF 2.1.0 JSON schema', () => {
    const log = report();
    expect(validate(log), validationErrors()).toBe(true);
    expect(validate(report([]))).toBe(true);
  });

  it('fails the schema when broken, so the validation above means something', () => {
    const log = report();
    run(log).results[0]!.level = 'notice';
    expect(validate(log)).toBe(false);
    expect(validationErrors()).toMatch(/level/);
  });

  it('describes the tool', () => {
    const log = report();
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toBe(SARIF_SCHEMA_URI);
    expect(log.runs).toHaveLength(1);
    expect(run(log).tool.driver).toMatchObject({
      name: 'imagepull-preflight',
      informationUri: INFORMATION_URI,
      semanticVersion: VERSION,
    });
    expect(run(log).originalUriBaseIds['%SRCROOT%']!.uri).toBe('file:///work/repo/');
  });

  it('lists every catalogue rule, in catalogue order, with its level', () => {
    const rules = run(report([])).tool.driver.rules;
    const catalogue = [...RULES.values()];
    expect(rules.map((rule) => rule.id)).toEqual(catalogue.map((rule) => rule.id));
    const levels = { error: 'error', warning: 'warning', notice: 'note' };
    for (const [i, rule] of catalogue.entries()) {
      const descriptor = rules[i]!;
      expect(descriptor.name).toBe(pascalCase(rule.id));
      expect(descriptor.shortDescription.text).toBe(rule.title);
      expect(descriptor.fullDescription.text).toBe(rule.clusterShows);
      expect(descriptor.help.text).toContain(rule.fix);
      expect(descriptor.help.text).toContain(rule.clusterShows);
      expect(descriptor.help.markdown).toContain('**Fix:**');
      expect(descriptor.defaultConfiguration.level).toBe(levels[rule.severity]);
      expect(descriptor.properties.tags.length).toBeLessThanOrEqual(10);
    }
    expect(rules.find((rule) => rule.id === 'pull-secret-wrong-namespace')!.name).toBe(
      'PullSecretWrongNamespace',
    );
  });

  it('maps severities to levels and points ruleIndex at the rule', () => {
    const log = report();
    const rules = run(log).tool.driver.rules;
    expect(run(log).results.map((result) => [result.ruleId, result.level])).toEqual([
      ['tag-not-found', 'error'],
      ['pull-secret-no-matching-entry', 'error'],
      ['pull-policy-never', 'warning'],
      ['mutable-tag', 'note'],
      ['manifest-parse-error', 'error'],
      ['manifest-parse-error', 'error'],
    ]);
    for (const result of run(log).results) expect(rules[result.ruleIndex!]!.id).toBe(result.ruleId);
  });

  it('states the message and the fix', () => {
    const first = run(report()).results[0]!;
    expect(first.message.text).toBe('Tag 1.2.3 does not exist in ghcr.io/acme/web. Fix: Use 1.2.4.');
    expect(first.properties).toEqual({
      image: 'ghcr.io/acme/web:1.2.3',
      resource: 'Deployment/shop/web',
      container: 'web',
    });
  });

  it('keeps exact regions, endColumn exclusive as in findings', () => {
    const regions = run(report()).results.map((result) => result.locations[0]!.physicalLocation.region);
    expect(regions[0]).toEqual({ startLine: 21, startColumn: 18, endLine: 21, endColumn: 44 });
    expect(regions[2]).toEqual({ startLine: 4, startColumn: 5, endLine: 5, endColumn: 3 });
  });

  it('makes URIs relative to the repository root, not the working directory', () => {
    const results = run(report()).results;
    const location = (i: number) => results[i]!.locations[0]!.physicalLocation.artifactLocation;
    expect(location(0)).toEqual({ uri: 'deploy/apps/web/deployment.yaml', uriBaseId: '%SRCROOT%' });
    expect(location(2)).toEqual({ uri: 'deploy/jobs/migrate%20job.yaml', uriBaseId: '%SRCROOT%' });
    expect(location(4).uri).toBe('deploy/broken.yaml');
    // Same repository, different working directory: same URIs.
    const fromRoot = report(
      FINDINGS.map((f) => ({ ...f, file: `deploy/${f.file}` })),
      { repositoryRoot: '/work/repo', cwd: '/work/repo' },
    );
    expect(run(fromRoot).results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri)).toEqual(
      results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri),
    );
  });

  it('keeps files outside the repository as absolute file URIs', () => {
    expect(artifactLocation('../../elsewhere/pod.yaml', OPTIONS)).toEqual({
      uri: 'file:///work/elsewhere/pod.yaml',
    });
    const log = report([
      finding({ rule: 'mutable-tag', severity: 'notice', file: '../../elsewhere/pod.yaml' }),
    ]);
    expect(validate(log), validationErrors()).toBe(true);
  });

  it('carries related locations with ids and messages', () => {
    const related = run(report()).results[1]!.relatedLocations!;
    expect(related).toEqual([
      {
        id: 1,
        physicalLocation: {
          artifactLocation: { uri: 'base/secrets/regcred.yaml', uriBaseId: '%SRCROOT%' },
          region: { startLine: 7, startColumn: 3, endLine: 7, endColumn: 20 },
        },
        message: { text: 'The pull secret regcred' },
      },
      {
        id: 2,
        physicalLocation: {
          artifactLocation: { uri: 'deploy/apps/web/deployment.yaml', uriBaseId: '%SRCROOT%' },
          region: { startLine: 12, startColumn: 9, endLine: 12, endColumn: 22 },
        },
        message: { text: 'imagePullSecrets entry' },
      },
    ]);
    expect(run(report()).results[0]!.relatedLocations).toBeUndefined();
  });

  it('fingerprints survive a line shift', () => {
    const shifted = FINDINGS.map((f) => ({
      ...f,
      line: f.line + 7,
      endLine: f.endLine + 7,
      column: f.column + 2,
    }));
    expect(fingerprints(report(shifted))).toEqual(fingerprints(report()));
    for (const value of fingerprints(report())) expect(value).toMatch(/^[0-9a-f]{64}:\d+$/);
  });

  it('fingerprints differ across images, containers, resources and rules', () => {
    const base = FINDINGS[0]!;
    const variants: Finding[] = [
      base,
      { ...base, image: 'ghcr.io/acme/web:1.2.4' },
      { ...base, container: 'sidecar' },
      { ...base, resource: { ...deployment, namespace: 'staging' } },
      { ...base, rule: 'digest-not-found' },
      { ...base, file: 'apps/web/other.yaml' },
    ];
    const values = variants.map((variant) => fingerprints(report([variant]))[0]);
    expect(new Set(values).size).toBe(variants.length);
  });

  it('numbers findings that share every fingerprint input', () => {
    const [first, second] = fingerprints(report()).slice(4);
    expect(first!.split(':')[0]).toBe(second!.split(':')[0]);
    expect([first!.split(':')[1], second!.split(':')[1]]).toEqual(['1', '2']);
  });

  it('drops results repeating a rule on the same region', () => {
    const duplicate = { ...FINDINGS[0]!, message: 'Said again.' };
    const log = report([...FINDINGS, duplicate]);
    expect(run(log).results).toHaveLength(FINDINGS.length);
    expect(run(log).results[0]!.message.text).toContain('Tag 1.2.3');
    // Another rule on the same region is a different alert.
    expect(run(report([FINDINGS[0]!, { ...FINDINGS[0]!, rule: 'mutable-tag' }])).results).toHaveLength(2);
  });

  it('keeps the most severe results when over the limit, in their original order', () => {
    const [error, , warning, notice] = FINDINGS;
    expect(capResults([notice!, error!, warning!, notice!], 2)).toEqual([error!, warning!]);
    expect(capResults(FINDINGS, FINDINGS.length)).toBe(FINDINGS);
  });

  it('leaves suppressed findings out (GitHub would open alerts for them) but counts them', () => {
    const result: AnalysisResult = {
      findings: [FINDINGS[0]!],
      suppressed: [{ finding: FINDINGS[3]!, by: 'comment', reason: 'pinned by the operator' }],
      images: [],
    };
    const log = JSON.parse(sarifReport(result, OPTIONS)) as SarifLog & { runs: [{ properties: unknown }] };
    expect(run(log).results.map((r) => r.ruleId)).toEqual(['tag-not-found']);
    expect(log.runs[0].properties).toEqual({ suppressedFindings: 1 });
    expect(validate(log), validationErrors()).toBe(true);
    expect(run(report()).results.length).toBe(FINDINGS.length);
    expect((report().runs[0] as { properties?: unknown }).properties).toBeUndefined();
  });

  it('says so in the log when results were capped', () => {
    const log = report(FINDINGS, { ...OPTIONS, maxResults: 3 }) as SarifLog & {
      runs: [{ invocations: Array<{ toolExecutionNotifications: Array<{ message: { text: string } }> }> }];
    };
    expect(run(log).results.map((result) => result.level)).toEqual(['error', 'error', 'error']);
    expect(log.runs[0].invocations[0]!.toolExecutionNotifications[0]!.message.text).toMatch(
      /^3 result\(s\) left out/,
    );
    expect(validate(log), validationErrors()).toBe(true);
    expect(run(report()).invocations).toBeUndefined();
  });

  it('escapes brackets only when a message could read as an embedded link', () => {
    expect(plainMessage('Write [registry[:port]/]repository')).toBe('Write [registry[:port]/]repository');
    expect(plainMessage('callbacks[42](0) \\ end')).toBe('callbacks\\[42\\](0) \\\\ end');
  });
});
