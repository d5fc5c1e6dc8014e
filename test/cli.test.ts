import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE } from '../src/cli.js';
import { runCliIn } from './support/run.js';
import { VERSION } from '../src/version.js';

const FIXTURES = path.resolve('test/fixtures/tricky');
let workDir: string;

/** The fixture set in a scratch directory, plus what git cannot hold: .git and node_modules content. */
beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'preflight-cli-'));
  await cp(FIXTURES, path.join(workDir, 'manifests'), { recursive: true });
  const ignoredPod =
    'apiVersion: v1\nkind: Pod\nmetadata: {name: ignored}\nspec: {containers: [{name: x, image: ignored:1}]}\n';
  for (const dir of ['.git', 'node_modules/pkg']) {
    await mkdir(path.join(workDir, 'manifests', dir), { recursive: true });
    await writeFile(path.join(workDir, 'manifests', dir, 'pod.yaml'), ignoredPod);
  }
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  return runCliIn(workDir, args);
}

interface JsonReport {
  version: number;
  findings: Array<{
    rule: string;
    severity: string;
    file: string;
    line: number;
    column: number;
    image: string | null;
  }>;
  images: Array<{
    reference: string;
    normalized: string | null;
    status: string;
    locations: Array<{
      file: string;
      line: number;
      column: number;
      endLine: number;
      endColumn: number;
      container: string;
      resource: { kind: string; name: string; namespace: string };
    }>;
  }>;
}

/** Every image of the tricky fixture set: file, line, column, image as written, resource, container. */
const EXPECTED_IMAGES: Array<[string, number, number, string, string, string]> = [
  ['manifests/anchors.yaml', 14, 18, 'busybox:1.36', 'Job/anchored', 'first'],
  ['manifests/anchors.yaml', 14, 18, 'busybox:1.36', 'Job/anchored', 'merged'],
  ['manifests/anchors.yaml', 19, 18, 'alpine:3.20', 'Job/anchored', 'base'],
  ['manifests/anchors.yaml', 19, 18, 'alpine:3.20', 'Job/anchored', 'base'],
  ['manifests/deployment.yaml', 15, 18, 'registry.example.com/shop/migrate:2.1', 'Deployment/web', 'migrate'],
  ['manifests/deployment.yaml', 18, 18, 'registry.example.com/shop/web:1.4.2', 'Deployment/web', 'app'],
  ['manifests/deployment.yaml', 21, 18, 'envoyproxy/envoy:v1.30.1', 'Deployment/web', 'sidecar'],
  ['manifests/deployment.yaml', 29, 38, 'postgres:16.3', 'StatefulSet/db', 'pg'],
  [
    'manifests/deployment.yaml',
    29,
    80,
    'quay.io/prometheuscommunity/postgres-exporter',
    'StatefulSet/db',
    'exporter',
  ],
  ['manifests/deployment.yaml', 46, 13, 'ghcr.io/acme/agent:3', 'DaemonSet/agent', 'agent'],
  ['manifests/invalid-refs.yaml', 8, 14, 'Acme/App:1', 'Pod/invalid', 'upper'],
  ['manifests/invalid-refs.yaml', 10, 14, 'nginx::1', 'Pod/invalid', 'double-colon'],
  ['manifests/invalid-refs.yaml', 12, 14, '', 'Pod/invalid', 'empty'],
  ['manifests/invalid-refs.yaml', 14, 14, 'acme/preloaded:1', 'Pod/invalid', 'never'],
  [
    'manifests/nested/crds.yaml',
    10,
    18,
    'acme/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'Rollout/canary',
    'web',
  ],
  [
    'manifests/nested/crds.yaml',
    21,
    18,
    'image-registry.openshift-image-registry.svc:5000/project/app:latest',
    'DeploymentConfig/oc',
    'oc',
  ],
  [
    'manifests/nested/crds.yaml',
    31,
    18,
    'gcr.io/knative-samples/helloworld-go',
    'Service/hello',
    'containers[0]',
  ],
  ['manifests/nested/crds.yaml', 43, 20, 'acme/worker:1.0.0', 'ScaledJob/worker', 'worker'],
  ['manifests/nested/crds.yaml', 55, 20, 'acme/widget:5', 'Widget/generic', 'w'],
  [
    'manifests/nested/list.yaml',
    16,
    26,
    'localhost:5000/reports/nightly:2024.10',
    'CronJob/nightly',
    'report',
  ],
  [
    'manifests/nested/list.yaml',
    26,
    22,
    '[::1]:5000/legacy/app:0.9',
    'ReplicationController/legacy',
    'legacy',
  ],
  ['manifests/nested/list.yaml', 35, 20, 'gcr.io/distroless/static:nonroot', 'PodTemplate/tpl', 't'],
  ['manifests/pod-bom.yml', 8, 12, 'redis:7.2', 'Pod/bom', 'c'],
  ['manifests/pod-crlf.yaml', 8, 12, 'nginx:1.27', 'Pod/crlf', 'c'],
  ['manifests/pod-crlf.yaml', 11, 12, 'busybox', 'Pod/crlf', 'debug'],
  ['manifests/pod.json', 7, 34, 'docker.io/library/httpd:2.4', 'Pod/json-pod', 'main'],
];

describe('imagepull-preflight --offline --format json', () => {
  it('lists every image of the tricky fixture set at its exact position, and nothing else', async () => {
    const { code, stdout, stderr } = await cli(
      '--offline',
      '--format',
      'json',
      '--fail-on',
      'never',
      'manifests',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.version).toBe(1);
    const located = report.images.flatMap((image) =>
      image.locations.map((l) => [
        l.file,
        l.line,
        l.column,
        image.reference,
        `${l.resource.kind}/${l.resource.name}`,
        l.container,
      ]),
    );
    const sortKey = (row: unknown[]) =>
      `${row[0]}:${String(row[1]).padStart(4, '0')}:${String(row[2]).padStart(4, '0')}:${row[5]}`;
    expect(located.sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
      [...EXPECTED_IMAGES].sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    );
  });

  it('reports statuses: invalid references, unchecked otherwise', async () => {
    const report = JSON.parse(
      (await cli('--offline', '--format', 'json', '--fail-on', 'never', 'manifests')).stdout,
    ) as JsonReport;
    const status = Object.fromEntries(report.images.map((image) => [image.reference, image.status]));
    expect(status['Acme/App:1']).toBe('invalid');
    expect(status['nginx::1']).toBe('invalid');
    expect(status['']).toBe('invalid');
    expect(status['nginx:1.27']).toBe('unchecked');
    const normalized = Object.fromEntries(report.images.map((image) => [image.reference, image.normalized]));
    expect(normalized['busybox']).toBe('docker.io/library/busybox:latest');
    expect(normalized['[::1]:5000/legacy/app:0.9']).toBe('[::1]:5000/legacy/app:0.9');
  });

  it('turns every bad input into a finding on its line', async () => {
    const report = JSON.parse(
      (await cli('--offline', '--format', 'json', '--fail-on', 'never', 'manifests')).stdout,
    ) as JsonReport;
    const rules = report.findings.map((f) => [f.rule, f.file, f.line]);
    expect(rules).toEqual(
      expect.arrayContaining([
        ['manifest-parse-error', 'manifests/broken.yaml', 9],
        ['template-not-rendered', 'manifests/chart/templates/deployment.yaml', 4],
        ['invalid-reference', 'manifests/invalid-refs.yaml', 8],
        ['invalid-reference', 'manifests/invalid-refs.yaml', 10],
        ['invalid-reference', 'manifests/invalid-refs.yaml', 12],
        ['pull-policy-never', 'manifests/invalid-refs.yaml', 14],
        ['pull-secret-invalid', 'manifests/secrets.yaml', 34],
        ['mutable-tag', 'manifests/pod-crlf.yaml', 11],
      ]),
    );
    expect(report.findings.every((f) => !f.file.includes('node_modules') && !f.file.includes('.git/'))).toBe(
      true,
    );
  });

  it('exits 1 when findings reach --fail-on, 0 when they do not', async () => {
    expect((await cli('--offline', 'manifests')).code).toBe(1);
    expect((await cli('--offline', '--fail-on', 'never', 'manifests')).code).toBe(0);
    expect((await cli('--offline', 'manifests/pod.json')).code).toBe(0);
    expect((await cli('--offline', '--fail-on', 'notice', 'manifests/pod-crlf.yaml')).code).toBe(1);
  });

  it('prints text findings as file:line:col  severity  rule  message', async () => {
    const { stdout } = await cli('--offline', 'manifests/invalid-refs.yaml');
    expect(stdout.split('\n')[0]).toBe(
      'manifests/invalid-refs.yaml:8:14  error  invalid-reference  "Acme/App:1" is not a valid image reference (invalid reference format: repository name (App) must be lowercase); the kubelet reports InvalidImageName and never pulls.',
    );
    expect(stdout).toContain('3 error(s), 1 warning(s), 0 notice(s)');
  });

  it('expands globs and writes --output files', async () => {
    const { code, stdout } = await cli(
      '--offline',
      '--format',
      'json',
      '--output',
      'out.json',
      'manifests/**/list.yaml',
    );
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const report = JSON.parse(await readFile(path.join(workDir, 'out.json'), 'utf8')) as JsonReport;
    expect(report.images.map((image) => image.reference)).toEqual([
      'localhost:5000/reports/nightly:2024.10',
      '[::1]:5000/legacy/app:0.9',
      'gcr.io/distroless/static:nonroot',
    ]);
  });
});

describe('usage errors exit 2 with one line', () => {
  it.each([
    [['--offline'], 'imagepull-preflight: no paths given: name the manifest files or directories to check\n'],
    [['--format', 'xml', 'x'], 'imagepull-preflight: --format must be one of text, json, sarif; got "xml"\n'],
    [
      ['--fail-on', 'sometimes', 'x'],
      'imagepull-preflight: --fail-on must be one of error, warning, notice, never; got "sometimes"\n',
    ],
    [
      ['--default-namespace', 'Bad_NS', 'x'],
      expect.stringContaining('--default-namespace must be a Kubernetes namespace name'),
    ],
    [
      ['--max-file-size', 'huge', 'x'],
      expect.stringContaining('--max-file-size must be a size such as 10MB'),
    ],
    [
      ['--max-file-size', '0.5', 'x'],
      'imagepull-preflight: --max-file-size must be a size such as 10MB, 512KB or a number of bytes; got "0.5"\n',
    ],
    [['--offline', 'does-not-exist'], 'imagepull-preflight: path "does-not-exist" does not exist\n'],
    [['--bogus', 'x'], expect.stringContaining("Unknown option '--bogus'")],
    // parseArgs words this over three lines; the user gets them as one, with the way out.
    [['--wait', '-3s', 'x'], expect.stringMatching(/'--wait' argument is ambiguous\..*'--wait=-XYZ'/)],
    [
      ['--wait=-3s', 'x'],
      'imagepull-preflight: --wait must be 0 (no wait) or a duration such as 90s or 10m, at most 60m; got "-3s"\n',
    ],
    // A forgotten value swallows the path: the error is about the value, not about missing paths.
    [['--wait', 'pod.yaml'], expect.stringContaining('--wait must be 0 (no wait) or a duration')],
    [
      ['--max-duration', '10 minutes', 'x'],
      expect.stringContaining('--max-duration must be a number of seconds'),
    ],
    [
      ['--pending-image', 'ghcr.io/acme/app:[1]', 'x'],
      expect.stringContaining('--pending-image must list image references or globs'),
    ],
    // The CA file may be named by the repository's config file: a device is refused, never read.
    [
      ['--ca-file', '/dev/zero', 'manifests/not-workloads.yaml'],
      'imagepull-preflight: cannot read the CA file /dev/zero: not a regular file (a FIFO, device or socket); not read\n',
    ],
    // Fractions are allowed (0.5 is half a second), so the bound says "above 0", not "from 1".
    [
      ['--timeout', '0.0001', 'x'],
      'imagepull-preflight: --timeout must be a number of seconds above 0, at most 600; got "0.0001"\n',
    ],
    [
      ['--timeout', '0', 'x'],
      'imagepull-preflight: --timeout must be a number of seconds above 0, at most 600; got "0"\n',
    ],
    // A value with a newline is quoted whole, escaped, not cut at the newline.
    [
      ['--format', 'a\nb', 'x'],
      'imagepull-preflight: --format must be one of text, json, sarif; got "a\\nb"\n',
    ],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await cli(...(args as string[]));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toEqual(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('--help and --version', async () => {
    expect(await cli('--help')).toEqual({ code: 0, stdout: USAGE, stderr: '' });
    expect(await cli('--version')).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});

describe('the committed bundle', () => {
  it('runs as `imagepull-preflight` (package bin) without a build step', async () => {
    const bin = path.resolve('bin/imagepull-preflight.js');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, '--offline', '--format', 'json', 'manifests/pod.json'],
      {
        cwd: workDir,
      },
    );
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.images).toEqual([
      expect.objectContaining({
        reference: 'docker.io/library/httpd:2.4',
        status: 'unchecked',
        normalized: 'docker.io/library/httpd:2.4',
      }),
    ]);
  });
});

describe('--format sarif', () => {
  it('writes SARIF 2.1.0 with repository-relative URIs and exact regions', async () => {
    const { code, stdout } = await cli(
      '--offline',
      '--format',
      'sarif',
      '--fail-on',
      'never',
      'manifests/invalid-refs.yaml',
    );
    expect(code).toBe(0);
    const sarif = JSON.parse(stdout) as {
      version: string;
      runs: Array<{
        results: Array<{
          ruleId: string;
          locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: object } }>;
        }>;
      }>;
    };
    expect(sarif.version).toBe('2.1.0');
    const first = sarif.runs[0]!.results[0]!;
    expect(first.ruleId).toBe('invalid-reference');
    expect(first.locations[0]!.physicalLocation).toMatchObject({
      artifactLocation: { uri: 'manifests/invalid-refs.yaml' },
      region: { startLine: 8, startColumn: 14, endLine: 8, endColumn: 24 },
    });
  });
});

describe('suppressions', () => {
  it('an inline comment on the image line or the line above silences the named rule', async () => {
    await writeFile(
      path.join(workDir, 'suppressed.yaml'),
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: s}',
        'spec:',
        '  containers:',
        '    - name: a',
        '      # imagepull-preflight: ignore[invalid-reference] generated later',
        '      image: Bad/One:1',
        '    - name: b',
        '      image: Bad/Two:1 # imagepull-preflight: ignore',
        '    - name: c',
        '      # imagepull-preflight: ignore[mutable-tag] wrong rule: still reported',
        '      image: Bad/Three:1',
      ].join('\n'),
    );
    const report = JSON.parse(
      (await cli('--offline', '--format', 'json', '--fail-on', 'never', 'suppressed.yaml')).stdout,
    ) as JsonReport;
    expect(report.findings.map((f) => [f.rule, f.line])).toEqual([['invalid-reference', 13]]);
    const { stdout } = await cli('--offline', 'suppressed.yaml');
    expect(stdout).toContain(
      '1 error(s), 0 warning(s), 0 notice(s); 3 image reference(s) in 1 file(s); 2 suppressed',
    );
  });

  it('--ignore-rules and --ignore-images', async () => {
    const rules = await cli(
      '--offline',
      '--format',
      'json',
      '--ignore-rules',
      'invalid-reference,pull-policy-never',
      'manifests/invalid-refs.yaml',
    );
    expect(rules.code).toBe(0);
    expect((JSON.parse(rules.stdout) as JsonReport).findings).toEqual([]);
    const images = await cli(
      '--offline',
      '--format',
      'json',
      '--fail-on',
      'never',
      '--ignore-images',
      'Acme/*,nginx::*',
      'manifests/invalid-refs.yaml',
    );
    expect((JSON.parse(images.stdout) as JsonReport).findings.map((f) => f.image)).toEqual([
      '',
      'acme/preloaded:1',
    ]);
    expect((await cli('--offline', '--ignore-rules', 'no-such-rule', 'x')).stderr).toBe(
      'imagepull-preflight: --ignore-rules names an unknown rule "no-such-rule"; the rules are listed in docs/rules.md\n',
    );
  });
});
