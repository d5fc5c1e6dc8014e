import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { USAGE } from '../../src/cli.js';
import { runCliIn } from '../support/run.js';
import { DEFAULT_REGISTRY_SETTINGS, scan, type ScanResult } from '../../src/scan.js';
import { NO_FAULTS, startFaultProxy, type FaultProxy } from './fault-proxy.js';

/**
 * Credentials go to registries and nowhere else: not to stdout, stderr, reports in any format,
 * finding messages, or a serialised scan result. Checked with real credentials in use: a pull
 * secret for the Basic registry (alice), a Docker config for the CI's own look (bob, and alice on
 * the token registry), a wrong-password secret, secrets broken in ways that tempt an error message to
 * quote them, and the bearer tokens the token service issued during the runs.
 */

const lab = inject('lab');
const basicAlice = lab.basic.users.alice;
const basicBob = lab.basic.users.bob;
const tokenAlice = lab.token.users.alice;
const WRONG_PASSWORD = 'wrong-Pa55word-0f-tok3n';
/** Inside secrets too broken to use: an error message quoting the secret would show these. */
const BROKEN_JSON_PASSWORD = 'brokenJSON-s3cret-9431';
const NO_COLON_SECRET = 'nocolon-s3cret-7712';

let workDir: string;
let tokenProxy: FaultProxy;
const formats = ['text', 'json', ...(USAGE.includes('sarif') ? ['sarif'] : [])];

const b64 = (text: string) => Buffer.from(text).toString('base64');

function secret(name: string, dockerConfigJson: string): string {
  return [
    'apiVersion: v1',
    'kind: Secret',
    `metadata: {name: ${name}, namespace: apps}`,
    'type: kubernetes.io/dockerconfigjson',
    `data: {.dockerconfigjson: ${b64(dockerConfigJson)}}`,
  ].join('\n');
}

const auths = (host: string, username: string, password: string) =>
  JSON.stringify({ auths: { [host]: { auth: b64(`${username}:${password}`) } } });

function pod(name: string, image: string, secrets: string[] = []): string {
  const pullSecrets = secrets.length
    ? `\n  imagePullSecrets: [${secrets.map((s) => `{name: ${s}}`).join(', ')}]`
    : '';
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: apps}\nspec:${pullSecrets}\n  containers:\n    - {name: c, image: "${image}"}`;
}

/** Every form in which a secret could leak. */
function forbidden(): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  const credential = (what: string, username: string, password: string) => {
    list.push([`${what} password`, password]);
    list.push([`${what} user:password`, `${username}:${password}`]);
    list.push([`${what} base64(user:password)`, b64(`${username}:${password}`)]);
  };
  credential('basic alice', basicAlice.username, basicAlice.password);
  credential('basic bob', basicBob.username, basicBob.password);
  credential('token alice', tokenAlice.username, tokenAlice.password);
  credential('wrong token', tokenAlice.username, WRONG_PASSWORD);
  list.push(['password in broken JSON', BROKEN_JSON_PASSWORD], ['auth without a colon', NO_COLON_SECRET]);
  for (const token of new Set([...tokenProxy.issuedTokens, ...tokenProxy.bearerTokens])) {
    list.push([`token …${token.slice(-8)}`, token]);
    // A JWT's signature alone is as good as the token to someone replaying it against a truncation.
    const signature = token.split('.').at(-1)!;
    if (signature.length >= 16) list.push([`token signature …${signature.slice(-8)}`, signature]);
  }
  return list;
}

function leaks(text: string): string[] {
  return forbidden()
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'preflight-secrets-'));
  tokenProxy = await startFaultProxy({
    target: lab.token.url,
    tokenServer: lab.token.tokenServerUrl,
    seed: 0,
    rates: NO_FAULTS,
    stallMs: 1_000,
  });
  const basic = lab.basic.host;
  const token = tokenProxy.host;
  await writeFile(
    path.join(workDir, 'secrets.yaml'),
    [
      secret('basic-alice', auths(basic, basicAlice.username, basicAlice.password)),
      secret('tok-alice', auths(token, tokenAlice.username, tokenAlice.password)),
      secret('tok-wrong', auths(token, tokenAlice.username, WRONG_PASSWORD)),
      secret(
        'broken-json',
        `{"auths": {"${basic}": {"username": "x", "password": "${BROKEN_JSON_PASSWORD}"}`,
      ),
      secret('no-colon', JSON.stringify({ auths: { [basic]: { auth: b64(NO_COLON_SECRET) } } })),
    ].join('\n---\n'),
  );
  await writeFile(
    path.join(workDir, 'pods.yaml'),
    [
      pod('with-secret', `${basic}/private/app:2.0`, ['basic-alice']),
      pod('missing-tag', `${basic}/private/app:9.9`, ['basic-alice']),
      pod('ci-look-basic', `${basic}/private/app:2.0`),
      pod('token-secret', `${token}/team/secret-app:1`, ['tok-alice']),
      pod('token-wrong', `${token}/team/secret-app:1`, ['tok-wrong']),
      pod('ci-look-token', `${token}/team/secret-app:1`),
      pod('broken-secrets', `${basic}/private/app:2.0`, ['broken-json', 'no-colon']),
    ].join('\n---\n'),
  );
  await writeFile(
    path.join(workDir, 'docker-config.json'),
    JSON.stringify({
      auths: {
        [basic]: { auth: b64(`${basicBob.username}:${basicBob.password}`) },
        [token]: { auth: b64(`${tokenAlice.username}:${tokenAlice.password}`) },
        'broken.example': { auth: b64(NO_COLON_SECRET) },
      },
    }),
  );
});
afterAll(async () => {
  await tokenProxy?.close();
  await rm(workDir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  return runCliIn(workDir, args);
}

const COMMON = ['--docker-config', 'docker-config.json', '--timeout', '5', 'pods.yaml', 'secrets.yaml'];

describe('secrets never leak', () => {
  let result: ScanResult;
  const masked = new Set<string>();

  beforeAll(async () => {
    result = await scan({
      cwd: workDir,
      paths: ['pods.yaml', 'secrets.yaml'],
      defaultNamespace: 'default',
      maxFileSize: 1024 * 1024,
      offline: false,
      registry: {
        ...DEFAULT_REGISTRY_SETTINGS,
        timeoutMs: 5_000,
        ciCredentials: { env: { HOME: workDir }, dockerConfigPath: path.join(workDir, 'docker-config.json') },
        mask: (value) => masked.add(value),
      },
    });
  });

  it('the credentials were really used: the verdicts need them', () => {
    const rules = (name: string) =>
      result.findings.filter((f) => f.resource?.name === name && f.rule !== 'mutable-tag').map((f) => f.rule);
    const status = (name: string) =>
      result.images.flatMap((i) => i.locations).find((l) => l.resource.name === name)?.status;
    expect(status('with-secret')).toBe('available');
    expect(rules('missing-tag')).toEqual(['tag-not-found']);
    expect(rules('ci-look-basic')).toEqual(['credentials-required']);
    expect(result.findings.find((f) => f.resource?.name === 'ci-look-basic')?.message).toContain(
      '(the image exists)',
    );
    expect(status('token-secret')).toBe('available');
    expect(rules('token-wrong')).toEqual(['pull-secret-rejected']);
    expect(rules('ci-look-token')).toEqual(['credentials-required']);
    expect(
      result.findings.filter((f) => f.rule === 'pull-secret-invalid').map((f) => f.resource?.name),
    ).toEqual(['broken-json', 'no-colon']);
    expect(tokenProxy.issuedTokens.size).toBeGreaterThan(0);
    expect(tokenProxy.bearerTokens.size).toBeGreaterThan(0);
  });

  it.each([
    ['finding messages and fixes', () => result.findings.map((f) => `${f.message}\n${f.fix}`).join('\n')],
    ['warnings', () => result.warnings.join('\n')],
    ['the serialised scan result (JSON.stringify)', () => JSON.stringify(result)],
    ['the printed scan result (util.inspect)', () => inspect(result, { depth: Infinity })],
  ])('scan(): none in %s', (_name, text) => {
    expect(leaks(text())).toEqual([]);
  });

  it('every credential the scan read went through the mask hook first', () => {
    const secrets = [basicAlice.password, basicBob.password, tokenAlice.password, WRONG_PASSWORD];
    expect(secrets.filter((s) => !masked.has(s))).toEqual([]);
  });

  it.each(formats)('CLI --format %s: none on stdout or stderr', async (format) => {
    const { code, stdout, stderr } = await cli('--format', format, ...COMMON);
    expect(code).toBe(1);
    expect(stdout).toContain('pull-secret-rejected');
    expect(leaks(stdout)).toEqual([]);
    expect(leaks(stderr)).toEqual([]);
  });

  it.each(formats)('CLI --format %s --output: none in the report file', async (format) => {
    const file = `report.${format}`;
    const { stdout, stderr } = await cli('--format', format, '--output', file, ...COMMON);
    const report = await readFile(path.join(workDir, file), 'utf8');
    expect(report).toContain('pull-secret-rejected');
    expect(leaks(report)).toEqual([]);
    expect(leaks(stdout + stderr)).toEqual([]);
  });

  it('the token service issued tokens during the runs, and the check above covered them', () => {
    console.log(
      `secrets: ${forbidden().length} forbidden strings (${tokenProxy.issuedTokens.size} tokens issued, ` +
        `${tokenProxy.bearerTokens.size} presented), formats checked: ${formats.join(', ')}`,
    );
    expect(forbidden().filter(([name]) => name.startsWith('token …')).length).toBeGreaterThan(1);
  });
});
