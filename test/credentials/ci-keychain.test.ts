import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCiCredentials, type CiCredentialOptions } from '../../src/credentials/ci-keychain.js';
import { CredentialHelperError, runCredentialHelper } from '../../src/credentials/credential-helper.js';
import { registryHostKey } from '../../src/credentials/docker-config-file.js';
import { IDENTITY_TOKEN_USERNAME } from '../../src/credentials/lookup.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

let root: string;
let binDir: string;

/** A fake helper: answers for any URL, except the ones it is told to refuse or fail on. */
const TEST_HELPER = `#!/bin/sh
url=$(cat)
case "$url" in
  nothing.example.com) echo "credentials not found in native keychain"; exit 1 ;;
  fail.example.com) echo "helper-stdout-secret-do-not-quote"; echo "boom" >&2; exit 3 ;;
  token.example.com) printf '{"ServerURL":"%s","Username":"<token>","Secret":"helper-identity-token"}' "$url" ;;
  garbage.example.com) echo "not json" ;;
  *) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret-for-%s"}' "$url" "$url" ;;
esac
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ci-credentials-'));
  binDir = join(root, 'bin');
  await mkdir(binDir);
  await writeFile(join(binDir, 'docker-credential-test'), TEST_HELPER, { mode: 0o755 });
  // `exec` so the timeout's SIGKILL reaches the sleeping process itself.
  await writeFile(join(binDir, 'docker-credential-hang'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
  await writeFile(join(binDir, 'docker-credential-noexec'), '#!/bin/sh\necho {}\n', { mode: 0o644 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;

/** A HOME with `.docker/config.json` holding `config` (or nothing), and a PATH that finds the fakes. */
async function home(config?: unknown): Promise<NodeJS.ProcessEnv> {
  const dir = join(root, `home-${counter++}`);
  await mkdir(join(dir, '.docker'), { recursive: true });
  if (config !== undefined) {
    const text = typeof config === 'string' ? config : JSON.stringify(config);
    await writeFile(join(dir, '.docker', 'config.json'), text);
  }
  return { HOME: dir, PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}` };
}

async function load(env: NodeJS.ProcessEnv, extra: Partial<CiCredentialOptions> = {}) {
  const masked: string[] = [];
  const loaded = await loadCiCredentials({ env, mask: (s) => masked.push(s), ...extra });
  return { ...loaded, masked };
}

describe('registryHostKey', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['https://GHCR.io/v2/', 'ghcr.io'],
    ['http://localhost:5000', 'localhost:5000'],
    ['registry.example.com/team', 'registry.example.com'],
  ])('%s → %s', (key, host) => {
    expect(registryHostKey(key)).toBe(host);
  });
});

describe('Docker config auths', () => {
  const config = {
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubber:hub-pass') },
      'ghcr.io': { username: 'octo', password: 'ghcr-pass' },
      'https://Registry.Example.com:5000/v1/': { auth: b64('colon:pa:ss\0\0') },
      'acr.example.io': {
        identitytoken: 'refresh-token-1',
        username: '00000000-0000-0000-0000-000000000000',
      },
      'empty.example.com': {},
    },
  };

  it.each([
    ['docker.io', { username: 'hubber', password: 'hub-pass' }],
    ['index.docker.io', { username: 'hubber', password: 'hub-pass' }],
    ['ghcr.io', { username: 'octo', password: 'ghcr-pass' }],
    ['registry.example.com:5000', { username: 'colon', password: 'pa:ss' }],
    ['acr.example.io', { username: IDENTITY_TOKEN_USERNAME, password: 'refresh-token-1' }],
    ['empty.example.com', undefined],
    ['quay.io', undefined],
  ])('%s → %j', async (domain, expected) => {
    const { source, warnings } = await load(await home(config));
    expect(await source.lookup(domain)).toEqual(expected);
    expect(warnings).toEqual([]);
  });

  it('masks every secret it reads', async () => {
    const { masked } = await load(await home(config));
    for (const secret of [
      b64('hubber:hub-pass'),
      'hub-pass',
      'ghcr-pass',
      b64('octo:ghcr-pass'),
      b64('colon:pa:ss\0\0'),
      'pa:ss',
      'refresh-token-1',
    ]) {
      expect(masked).toContain(secret);
    }
  });
});

describe('Docker config location', () => {
  it.each([
    ['an explicit path', 'explicit'],
    ['$DOCKER_CONFIG/config.json', 'docker-config'],
    ['~/.docker/config.json', 'home'],
  ])('reads %s', async (_what, winner) => {
    const env = await home({ auths: { 'ghcr.io': { username: 'home', password: 'p' } } });
    const dockerConfigDir = join(env.HOME!, 'dc');
    await mkdir(dockerConfigDir);
    await writeFile(
      join(dockerConfigDir, 'config.json'),
      JSON.stringify({ auths: { 'ghcr.io': { username: 'docker-config', password: 'p' } } }),
    );
    const explicit = join(env.HOME!, 'explicit.json');
    await writeFile(
      explicit,
      JSON.stringify({ auths: { 'ghcr.io': { username: 'explicit', password: 'p' } } }),
    );
    const extra = winner === 'explicit' ? { dockerConfigPath: explicit } : {};
    if (winner !== 'home') env.DOCKER_CONFIG = dockerConfigDir;
    const { source } = await load(env, extra);
    expect((await source.lookup('ghcr.io'))?.username).toBe(winner);
  });

  it('stays quiet when there is no config at the default place, but not at an explicit one', async () => {
    const env = await home();
    expect((await load(env)).warnings).toEqual([]);
    const { warnings } = await load(env, { dockerConfigPath: join(env.HOME!, 'nope.json') });
    expect(warnings).toEqual([expect.stringMatching(/^There is no Docker config at .*nope\.json/)]);
  });

  // The path can come from the repository's config file, which a pull request controls.
  it.each([
    ['a device (/dev/zero)', async () => '/dev/zero', /could not be read \(not a regular file/],
    [
      'a link to /dev/zero',
      async (dir: string) => (await symlink('/dev/zero', join(dir, 'zero.json')), join(dir, 'zero.json')),
      /could not be read \(not a regular file/,
    ],
    [
      'a FIFO nobody writes to',
      async (dir: string) => (execFileSync('mkfifo', [join(dir, 'fifo.json')]), join(dir, 'fifo.json')),
      /could not be read \(not a regular file/,
    ],
    [
      'a file over 4 MiB',
      async (dir: string) => (
        await writeFile(join(dir, 'big.json'), `{"auths": {}, "x": "${'a'.repeat(5 * 1024 * 1024)}"}`),
        join(dir, 'big.json')
      ),
      /is larger than 4 MiB; it was ignored\.$/,
    ],
  ])('%s as the Docker config: a warning, nothing read past the bound', async (_what, make, warning) => {
    const env = await home();
    const started = performance.now();
    const { warnings, source } = await load(env, { dockerConfigPath: await make(env.HOME!) });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(warnings).toEqual([expect.stringMatching(warning)]);
    expect(await source.lookup('ghcr.io')).toBeUndefined();
  });
});

describe('malformed configuration becomes warnings, never a throw or a quoted secret', () => {
  it.each([
    ['not JSON', '{"auths": {"ghcr.io": {"auth": "c2VjcmV0LWluLWJyb2tlbi1qc29u"', /is not valid JSON/],
    ['a JSON array', '["secret-in-array"]', /is not a JSON object/],
    ['auths not an object', { auths: ['secret-in-auths'] }, /`auths` in .* is not a JSON object/],
    [
      'an entry not an object',
      { auths: { 'ghcr.io': 'secret-as-entry' } },
      /entry for `ghcr.io` .* not a JSON object/,
    ],
    [
      'auth not base64',
      { auths: { 'ghcr.io': { auth: 'secret!not!base64' } } },
      /`auth` value for `ghcr.io`/,
    ],
    [
      'auth without a colon',
      { auths: { 'ghcr.io': { auth: b64('secretwithoutcolon') } } },
      /not base64 of `username:password`/,
    ],
    [
      'credsStore with a path',
      { credsStore: '../../bin/secret-sh' },
      /`credsStore` .* not a valid credential helper name/,
    ],
    ['credHelpers not an object', { credHelpers: 'secret-helpers' }, /`credHelpers` .* not a JSON object/],
    [
      'only a registry token',
      { auths: { 'ghcr.io': { registrytoken: 'secret-registry-token' } } },
      /only a registry token/,
    ],
  ])('%s', async (_what, config, message) => {
    const { source, warnings } = await load(await home(config));
    expect(warnings).toEqual([expect.stringMatching(message)]);
    expect(warnings.join('\n')).not.toMatch(/secret|c2VjcmV0/);
    expect(await source.lookup('ghcr.io')).toBeUndefined();
  });

  it('keeps the good entries next to a bad one', async () => {
    const env = await home({ auths: { 'ghcr.io': { auth: 'bad' }, 'quay.io': { auth: b64('q:p') } } });
    const { source, warnings } = await load(env);
    expect(warnings).toHaveLength(1);
    expect(await source.lookup('quay.io')).toEqual({ username: 'q', password: 'p' });
  });
});

describe('registry-auth input', () => {
  const input = { auths: { 'ghcr.io': { auth: b64('input-user:input-pass') } } };

  it.each([
    ['JSON', JSON.stringify(input)],
    ['base64 of the JSON (a secret data value)', b64(JSON.stringify(input))],
  ])('reads %s and wins over the Docker config', async (_what, registryAuthJson) => {
    const env = await home({ auths: { 'ghcr.io': { username: 'config-user', password: 'p' } } });
    const { source, masked, warnings } = await load(env, { registryAuthJson });
    expect(await source.lookup('ghcr.io')).toEqual({ username: 'input-user', password: 'input-pass' });
    expect(masked).toEqual(expect.arrayContaining(['input-pass', b64('input-user:input-pass')]));
    expect(warnings).toEqual([]);
  });

  it.each([
    ['{ not json secret', /registry-auth` input is not valid JSON/],
    ['{"ghcr.io": {"auth": "eDp5"}}', /has no `auths` object/],
    ['{"auths": {}, "credsStore": "test"}', /names credential helpers/],
  ])('warns about %s', async (registryAuthJson, message) => {
    const { warnings } = await load(await home(), { registryAuthJson });
    expect(warnings).toEqual([expect.stringMatching(message)]);
    expect(warnings.join('\n')).not.toContain('secret');
  });
});

describe('lookup order and the workflow token', () => {
  it.each([
    // [docker config, registry-auth input?, github token?, domain, expected username]
    [{ auths: { 'ghcr.io': { username: 'config', password: 'p' } } }, true, true, 'ghcr.io', 'input'],
    [{ auths: { 'ghcr.io': { username: 'config', password: 'p' } } }, false, true, 'ghcr.io', 'config'],
    [
      { credHelpers: { 'ghcr.io': 'test' }, auths: { 'ghcr.io': { username: 'config', password: 'p' } } },
      false,
      true,
      'ghcr.io',
      'helper-user',
    ],
    [{}, false, true, 'ghcr.io', 'octocat'],
    [{}, false, true, 'docker.io', undefined],
    [{}, false, false, 'ghcr.io', undefined],
  ])('%j, input %s, token %s: %s → %s', async (config, withInput, withToken, domain, expected) => {
    const env = { ...(await home(config)), GITHUB_ACTOR: 'octocat' };
    const { source } = await load(env, {
      ...(withInput
        ? { registryAuthJson: JSON.stringify({ auths: { 'ghcr.io': { username: 'input', password: 'p' } } }) }
        : {}),
      ...(withToken ? { githubToken: 'ghs_workflowtoken' } : {}),
    });
    expect((await source.lookup(domain))?.username).toBe(expected);
  });

  it('uses a placeholder username without GITHUB_ACTOR, and masks the token', async () => {
    const { source, masked } = await load(await home(), { githubToken: 'ghs_workflowtoken' });
    expect(await source.lookup('GHCR.IO')).toEqual({
      username: 'x-access-token',
      password: 'ghs_workflowtoken',
    });
    expect(masked).toEqual(
      expect.arrayContaining(['ghs_workflowtoken', b64('x-access-token:ghs_workflowtoken')]),
    );
  });
});

describe('credential helpers', () => {
  it.each([
    // [config, domain, server URL the helper was asked about]
    [{ credHelpers: { 'registry.example.com': 'test' } }, 'registry.example.com', 'registry.example.com'],
    [{ credHelpers: { 'https://index.docker.io/v1/': 'test' } }, 'docker.io', 'https://index.docker.io/v1/'],
    [{ credsStore: 'test' }, 'docker.io', 'https://index.docker.io/v1/'],
    [{ credsStore: 'test' }, 'ghcr.io', 'ghcr.io'],
    [{ credsStore: 'test', auths: { 'https://ghcr.io': {} } }, 'ghcr.io', 'https://ghcr.io'],
  ])('%j asks about %s with %s on stdin', async (config, domain, serverUrl) => {
    const { source, masked } = await load(await home(config));
    const found = await source.lookup(domain);
    expect(found).toEqual({ username: 'helper-user', password: `helper-secret-for-${serverUrl}` });
    expect(masked).toEqual(
      expect.arrayContaining([
        `helper-secret-for-${serverUrl}`,
        b64(`helper-user:helper-secret-for-${serverUrl}`),
      ]),
    );
  });

  it('prefers credHelpers for the host over credsStore', async () => {
    const { source } = await load(await home({ credsStore: 'missing', credHelpers: { 'ghcr.io': 'test' } }));
    expect((await source.lookup('ghcr.io'))?.username).toBe('helper-user');
  });

  it('falls back to auths when the helper has nothing for the host', async () => {
    const env = await home({
      credsStore: 'test',
      auths: { 'nothing.example.com': { auth: b64('inline:p') } },
    });
    const { source } = await load(env);
    expect(await source.lookup('nothing.example.com')).toEqual({ username: 'inline', password: 'p' });
  });

  it('keeps an identity token from a helper as the `<token>` username', async () => {
    const { source } = await load(await home({ credsStore: 'test' }));
    expect(await source.lookup('token.example.com')).toEqual({
      username: IDENTITY_TOKEN_USERNAME,
      password: 'helper-identity-token',
    });
  });

  it.each([
    ['missing', 'registry.example.com', /`docker-credential-missing` was not found on PATH/],
    ['noexec', 'registry.example.com', /`docker-credential-noexec` is not executable/],
    ['test', 'fail.example.com', /`docker-credential-test` failed \(exit code 3\)/],
    ['test', 'garbage.example.com', /did not print JSON/],
  ])('rejects clearly when helper %s is asked about %s', async (helper, domain, message) => {
    const { source } = await load(await home({ credsStore: helper }));
    const error = await source.lookup(domain).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialHelperError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('helper-stdout-secret');
  });

  it('gives up on a helper that hangs, within the bound', async () => {
    const { source } = await load(await home({ credsStore: 'hang' }), { helperTimeoutMs: 300 });
    const started = Date.now();
    const error = await source.lookup('ghcr.io').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((error as Error).message).toMatch(/`docker-credential-hang` did not answer within 300 ms/);
  });

  it('runs a helper once per registry', async () => {
    const { source } = await load(await home({ credsStore: 'hang' }), { helperTimeoutMs: 200 });
    const started = Date.now();
    const results = await Promise.allSettled([
      source.lookup('ghcr.io'),
      source.lookup('https://ghcr.io/v2/'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('refuses a helper name that is a path', async () => {
    await expect(runCredentialHelper('../test', 'ghcr.io', await home())).rejects.toThrow(/invalid name/);
  });
});
