import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Finding } from '../../src/findings.js';
import { DEFAULT_REGISTRY_SETTINGS, scan, type RegistrySettings } from '../../src/scan.js';
import { seededImage } from '../harness/lab-info.js';
import { deleteManifest, pushIndex } from '../harness/push.js';

/**
 * The verdict the kubelet would reach, against real registries: one pod per case, with the
 * secrets and service accounts the case defines, scanned end to end.
 */

const lab = inject('lab');
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'preflight-verdicts-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

interface PodSpec {
  image: string;
  namespace?: string;
  pullSecrets?: string[];
  serviceAccount?: string;
  arch?: string;
  policy?: string;
}

function pod({ image, namespace = 'apps', pullSecrets, serviceAccount, arch, policy }: PodSpec): string {
  const lines = ['apiVersion: v1', 'kind: Pod', `metadata: {name: p, namespace: ${namespace}}`, 'spec:'];
  if (serviceAccount) lines.push(`  serviceAccountName: ${serviceAccount}`);
  if (pullSecrets)
    lines.push(`  imagePullSecrets: [${pullSecrets.map((name) => `{name: ${name}}`).join(', ')}]`);
  if (arch) lines.push(`  nodeSelector: {kubernetes.io/arch: ${arch}}`);
  lines.push('  containers:', '    - name: c', `      image: "${image}"`);
  if (policy) lines.push(`      imagePullPolicy: ${policy}`);
  return lines.join('\n');
}

function secret(
  name: string,
  auths: Record<string, { username: string; password: string }>,
  namespace = 'apps',
): string {
  const json = JSON.stringify({
    auths: Object.fromEntries(
      Object.entries(auths).map(([key, c]) => [
        key,
        { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') },
      ]),
    ),
  });
  return [
    'apiVersion: v1',
    'kind: Secret',
    `metadata: {name: ${name}, namespace: ${namespace}}`,
    'type: kubernetes.io/dockerconfigjson',
    `data: {.dockerconfigjson: ${Buffer.from(json).toString('base64')}}`,
  ].join('\n');
}

function serviceAccount(name: string, secrets: string[], namespace = 'apps'): string {
  return `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: ${namespace}}\nimagePullSecrets: [${secrets.map((s) => `{name: ${s}}`).join(', ')}]`;
}

let caseCount = 0;
async function check(documents: string[], registry: Partial<RegistrySettings> = {}) {
  const file = path.join(workDir, `case-${++caseCount}.yaml`);
  await writeFile(file, documents.join('\n---\n'));
  const result = await scan({
    cwd: workDir,
    paths: [file],
    defaultNamespace: 'default',
    maxFileSize: 1e6,
    offline: false,
    registry: { ...DEFAULT_REGISTRY_SETTINGS, timeoutMs: 5_000, ...registry },
  });
  const onImage = (f: Finding) =>
    f.line === 1 + documents[0]!.split('\n').findIndex((line) => line.includes('image:'));
  const imageFindings = result.findings.filter((f) => f.rule !== 'mutable-tag');
  return {
    result,
    image: result.images[0]!,
    rules: imageFindings.map((f) => f.rule),
    findings: imageFindings,
    allOnImage: imageFindings.every(onImage),
  };
}

const open = lab.open.host;
const basic = lab.basic.host;
const token = lab.token.host;
const alice = lab.basic.users.alice;
const tokenAlice = lab.token.users.alice;

describe('what exists', () => {
  it('an existing tag pulls: available, with its digest, no finding', async () => {
    const { image, rules } = await check([pod({ image: `${open}/app:1.0.0` })]);
    expect(rules).toEqual([]);
    expect(image).toMatchObject({
      status: 'available',
      digest: seededImage(lab, 'open', 'app', '1.0.0').digest,
    });
  });

  it('a missing tag is an error on the image line naming the closest tags', async () => {
    const { image, findings, allOnImage } = await check([pod({ image: `${open}/app:1.0.10` })]);
    expect(image.status).toBe('not-found');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'tag-not-found', severity: 'error', line: 7, column: 14 });
    expect(findings[0]!.message).toBe(
      `Tag "1.0.10" does not exist in ${open}/app: the pull fails with ErrImagePull "manifest unknown", then ImagePullBackOff.`,
    );
    expect(findings[0]!.fix).toBe(
      `Use an existing tag: ${open}/app:1.0.1, ${open}/app:1.0.0, ${open}/app:1.1.0.`,
    );
    expect(allOnImage).toBe(true);
  });

  it('a missing repository is told apart from a missing tag', async () => {
    expect((await check([pod({ image: `${open}/no/such:1` })])).rules).toEqual(['repository-not-found']);
  });

  it('a missing digest', async () => {
    expect((await check([pod({ image: `${open}/app@sha256:${'1'.repeat(64)}` })])).rules).toEqual([
      'digest-not-found',
    ]);
  });

  it('tag and digest: the digest decides', async () => {
    const { digest } = seededImage(lab, 'open', 'app', '1.0.0');
    const { rules, image } = await check([pod({ image: `${open}/app:no-such-tag@${digest}` })]);
    expect(rules).toEqual([]);
    expect(image.status).toBe('available');
  });

  it('imagePullPolicy Never: a warning and no registry request', async () => {
    const { rules, result, image } = await check([pod({ image: `${open}/app:9.9.9`, policy: 'Never' })]);
    expect(rules).toEqual(['pull-policy-never']);
    expect(image.status).toBe('unchecked');
    expect(result.registry!.requests.get).toBe(0);
  });
});

describe('platforms (containerd’s matching)', () => {
  it.each<[string, string | undefined, string[], string]>([
    ['multi:1', 'arm64', [], 'available'],
    ['multi:1', 's390x', ['platform-not-in-index'], 'platform-missing'],
    ['armonly:1', undefined, ['platform-not-in-index'], 'platform-missing'],
    ['armonly:1', 'arm64', [], 'available'],
    ['single-arm64:1', 'amd64', ['platform-mismatch'], 'available'],
    ['single-arm64:1', 'arm64', [], 'available'],
  ])('%s on %s nodes → %j', async (name, arch, rules, status) => {
    const result = await check([pod({ image: `${open}/${name}`, ...(arch ? { arch } : {}) })]);
    expect(result.rules).toEqual(rules);
    expect(result.image.status).toBe(status);
  });

  it('names what the index has', async () => {
    const { findings } = await check([pod({ image: `${open}/armonly:1` })]);
    expect(findings[0]!.message).toContain(
      'has no image for linux/amd64 (it has: linux/arm/v7, linux/arm/v6)',
    );
  });
});

describe('containerd’s platform fallbacks (platforms.Only), against real indexes', () => {
  const ARM_V5 = { os: 'linux', architecture: 'arm', variant: 'v5' };
  const I386 = { os: 'linux', architecture: '386' };
  beforeAll(async () => {
    await pushIndex(lab.open, undefined, 'fallback/armv5', '1', [ARM_V5], 'docker');
    await pushIndex(lab.open, undefined, 'fallback/i386', '1', [I386], 'oci');
  });
  it.each<[string, string, string[], string]>([
    ['fallback/armv5:1', 'arm', [], 'available'], // arm means arm/v7, which runs v6 and v5
    ['fallback/armv5:1', 'arm64', [], 'available'], // arm64 runs arm/v8 … arm/v5
    ['fallback/armv5:1', 'amd64', ['platform-not-in-index'], 'platform-missing'],
    ['fallback/i386:1', 'amd64', [], 'available'], // amd64 runs 386
    ['fallback/i386:1', 'arm64', ['platform-not-in-index'], 'platform-missing'],
  ])('%s on %s nodes → %j', async (name, arch, rules, status) => {
    const r = await check([pod({ image: `${open}/${name}`, arch })]);
    expect(r.rules).toEqual(rules);
    expect(r.image.status).toBe(status);
  });
});

describe('an index whose platform manifest is gone (containerd GETs the child next)', () => {
  const AMD64 = { os: 'linux', architecture: 'amd64' };
  const ARM64 = { os: 'linux', architecture: 'arm64' };
  const I386 = { os: 'linux', architecture: '386' };
  let index: Awaited<ReturnType<typeof pushIndex>>;
  let fallback: Awaited<ReturnType<typeof pushIndex>>;
  beforeAll(async () => {
    index = await pushIndex(lab.open, undefined, 'expired/app', '1', [AMD64, ARM64], 'oci');
    await deleteManifest(lab.open, undefined, 'expired/app', index.children[0]!.digest);
    // amd64 nodes run 386 when the index has no amd64: containerd then GETs the 386 child.
    fallback = await pushIndex(lab.open, undefined, 'expired/legacy', '1', [I386, ARM64], 'docker');
    await deleteManifest(lab.open, undefined, 'expired/legacy', fallback.children[0]!.digest);
  });

  it('the deleted child for the node’s platform: an error on the image line', async () => {
    const r = await check([pod({ image: `${open}/expired/app:1` })]);
    expect(r.rules).toEqual(['platform-manifest-missing']);
    expect(r.image.status).toBe('not-found');
    expect(r.allOnImage).toBe(true);
    expect(r.findings[0]!.message).toBe(
      `${open}/expired/app:1: the index lists linux/amd64 as ${index.children[0]!.digest}, but the registry no longer has that manifest. containerd resolves the tag to the index, then fails fetching it: ErrImagePull "failed to copy: httpReadSeeker: failed open: content at …/manifests/${index.children[0]!.digest} not found", then ImagePullBackOff.`,
    );
  });

  it('nodes whose child still exists pull', async () => {
    const r = await check([pod({ image: `${open}/expired/app:1`, arch: 'arm64' })]);
    expect(r.rules).toEqual([]);
    expect(r.image.status).toBe('available');
  });

  it('the child containerd falls back to (386 on amd64) is the one checked', async () => {
    const r = await check([pod({ image: `${open}/expired/legacy:1` })]);
    expect(r.rules).toEqual(['platform-manifest-missing']);
    expect(r.findings[0]!.message).toContain(
      `the index lists linux/386 (what linux/amd64 nodes run) as ${fallback.children[0]!.digest}`,
    );
  });

  it('one HEAD per distinct child and credential, shared by every image that resolves to it', async () => {
    const byTag = pod({ image: `${open}/expired/app:1` });
    const byDigest = pod({ image: `${open}/expired/app@${index.digest}` }).replace('name: p,', 'name: q,');
    const { result } = await check([byTag, byDigest]);
    expect(result.findings.map((f) => f.rule)).toEqual([
      'platform-manifest-missing',
      'platform-manifest-missing',
    ]);
    // Two index GETs (tag and digest are two probes), one child HEAD for both.
    expect(result.registry!.requests).toMatchObject({ get: 2, head: 1 });
  });

  it('an index with every child present costs one HEAD per matched platform', async () => {
    const { result, rules } = await check([pod({ image: `${open}/multi:1` })]);
    expect(rules).toEqual([]);
    expect(result.registry!.requests).toMatchObject({ get: 1, head: 1 });
  });
});

describe('credentials, as the kubelet uses them', () => {
  it('no secret for a registry that requires one: credentials-required', async () => {
    expect((await check([pod({ image: `${basic}/private/app:2.0` })])).rules).toEqual([
      'credentials-required',
    ]);
  });

  it('a secret in the pod’s namespace pulls', async () => {
    const r = await check([
      pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }),
      secret('reg', { [basic]: alice }),
    ]);
    expect(r.rules).toEqual([]);
    expect(r.image.status).toBe('available');
  });

  it('URL-style keys match (scheme and /v1/ trimmed)', async () => {
    const r = await check([
      pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }),
      secret('reg', { [`https://${basic}/v1/`]: alice }),
    ]);
    expect(r.rules).toEqual([]);
  });

  it('a secret of a type the kubelet does not read: the pull goes anonymous, said on the image and the entry', async () => {
    const json = JSON.stringify({ auths: { [basic]: alice } });
    const opaque = [
      'apiVersion: v1',
      'kind: Secret',
      'metadata: {name: reg, namespace: apps}',
      'type: Opaque',
      `stringData: {.dockerconfigjson: '${json}'}`,
    ].join('\n');
    const r = await check([pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }), opaque]);
    expect(r.image.status).toBe('unauthorized');
    expect(r.findings.map((f) => [f.rule, f.line, f.severity])).toEqual([
      ['pull-secret-wrong-type', 5, 'error'],
      ['pull-secret-wrong-type', 8, 'error'],
    ]);
    const [entry, image] = r.findings;
    expect(entry!.message).toBe(
      'Secret "reg" is type Opaque; the kubelet only reads kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg, so it ignores it and this pod\'s pulls go anonymous.',
    );
    expect(entry!.column).toBe(29);
    expect(image!.message).toBe(
      `Secret "reg" is type Opaque; the kubelet only reads kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg, so it ignores it, pulls ${basic}/private/app:2.0 anonymously and ${basic} refuses: ErrImagePull, then ImagePullBackOff.`,
    );
    expect(image!.fix).toContain('Change the type of "reg" to kubernetes.io/dockerconfigjson');
    // The type: line (the secret starts after the pod's 8 lines and the separator) is where to fix it.
    expect(image!.related).toEqual([
      expect.objectContaining({
        line: 5,
        column: 29,
        message: 'imagePullSecrets entry "reg": ignored by the kubelet',
      }),
      expect.objectContaining({ line: 13, column: 7, message: 'type of Secret "reg"' }),
    ]);
    expect(r.rules).not.toContain('pull-secret-not-in-repository');
  });

  it('a secret with no type is Opaque; the same secret as kubernetes.io/dockerconfigjson pulls', async () => {
    const json = JSON.stringify({ auths: { [basic]: alice } });
    const untyped = ['apiVersion: v1', 'kind: Secret', 'metadata: {name: reg, namespace: apps}'];
    const data = `stringData: {.dockerconfigjson: '${json}'}`;
    const r = await check([
      pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }),
      [...untyped, data].join('\n'),
    ]);
    expect(r.rules).toEqual(['pull-secret-wrong-type', 'pull-secret-wrong-type']);
    expect(r.findings[1]!.related!.at(-1)!.message).toBe('Secret "reg" has no type, so it is Opaque');
    expect(r.findings[1]!.fix).toMatch(/^Set the type of "reg"/);
    const typed = [...untyped, 'type: kubernetes.io/dockerconfigjson', data].join('\n');
    const ok = await check([pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }), typed]);
    expect(ok.rules).toEqual([]);
    expect(ok.image.status).toBe('available');
  });

  it.each([
    ['.dockercfg', 'to kubernetes.io/dockercfg (kubectl create secret docker-registry, not generic);'],
    [
      '.dockerconfigjson',
      'to kubernetes.io/dockerconfigjson (kubectl create secret docker-registry, not generic);',
    ],
    [
      'token',
      'to kubernetes.io/dockerconfigjson (kubectl create secret docker-registry, not generic), with the docker config under .dockerconfigjson;',
    ],
  ])('the fix names the type the key it holds (%s) needs', async (key, fix) => {
    const generic = `apiVersion: v1\nkind: Secret\nmetadata: {name: reg, namespace: apps}\ntype: Opaque\nstringData: {${key}: '{}'}`;
    const r = await check([pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }), generic]);
    expect(r.findings[1]!.fix).toContain(fix);
  });

  it('a wrong-type secret for a public image costs nothing: the anonymous pull works', async () => {
    const opaque = 'apiVersion: v1\nkind: Secret\nmetadata: {name: reg, namespace: apps}\ntype: Opaque';
    const r = await check([pod({ image: `${open}/app:1.0.0`, pullSecrets: ['reg'] }), opaque]);
    expect(r.rules).toEqual([]);
  });

  it('a secret in another namespace is not read', async () => {
    const r = await check([
      pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }),
      secret('reg', { [basic]: alice }, 'other'),
    ]);
    expect(r.rules).toEqual(['pull-secret-wrong-namespace']);
    expect(r.findings[0]!.message).toContain('"reg" is in other, but the pod runs in apps');
    expect(r.findings[0]!.related).toEqual([
      expect.objectContaining({ line: 5, column: 29, message: 'imagePullSecrets entry "reg"' }),
    ]);
  });

  it('a secret with no entry for this host (wrong host, or wrong port)', async () => {
    const wrongPort = basic.replace(/:\d+$/, ':1');
    const r = await check([
      pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }),
      secret('reg', { 'registry.example.com': alice, [wrongPort]: alice }),
    ]);
    expect(r.rules).toEqual(['pull-secret-no-matching-entry']);
  });

  it('a wrong password is rejected', async () => {
    const r = await check([
      pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }),
      secret('reg', { [basic]: { username: 'alice', password: 'wrong' } }),
    ]);
    expect(r.rules).toEqual(['pull-secret-rejected']);
    expect(r.findings[0]!.related).toEqual([
      expect.objectContaining({ message: `secret "reg", entry "${basic}"` }),
    ]);
  });

  it('the ServiceAccount’s secrets are used when the pod lists none', async () => {
    const r = await check([
      pod({ image: `${basic}/private/app:2.0`, serviceAccount: 'robot' }),
      serviceAccount('robot', ['reg']),
      secret('reg', { [basic]: alice }),
    ]);
    expect(r.rules).toEqual([]);
  });

  it('the pod’s own list replaces the ServiceAccount’s (no merge)', async () => {
    const r = await check([
      pod({ image: `${basic}/private/app:2.0`, serviceAccount: 'robot', pullSecrets: ['other'] }),
      serviceAccount('robot', ['reg']),
      secret('reg', { [basic]: alice }),
      secret('other', { 'registry.example.com': alice }),
    ]);
    expect(r.rules).toEqual(['pull-secret-no-matching-entry']);
  });

  it('a secret that is not in the repository: a warning, not an error', async () => {
    const r = await check([pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['cluster-only'] })]);
    expect(r.rules).toEqual(['pull-secret-not-in-repository']);
    expect(r.findings[0]!.severity).toBe('warning');
    expect(r.image.status).toBe('unverified');
  });

  it('with CI credentials it says the image exists, and still cannot vouch for the secret', async () => {
    const config = path.join(workDir, 'docker-config.json');
    await writeFile(
      config,
      JSON.stringify({
        auths: { [basic]: { auth: Buffer.from(`bob:${lab.basic.users.bob.password}`).toString('base64') } },
      }),
    );
    const r = await check([pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['cluster-only'] })], {
      ciCredentials: { env: {}, dockerConfigPath: config },
    });
    expect(r.findings[0]!.message).toBe(
      `Pull secret "cluster-only" is not in this repository; the image exists, but whether it grants access to ${basic}/private/app:2.0 cannot be verified.`,
    );
    const missing = await check([pod({ image: `${basic}/private/app:2.1`, pullSecrets: ['cluster-only'] })], {
      ciCredentials: { env: {}, dockerConfigPath: config },
    });
    expect(missing.rules).toEqual(['tag-not-found']);
  });

  it('nodes with their own credentials: a warning', async () => {
    const r = await check([pod({ image: `${basic}/private/app:2.0` })], {
      nodeCredentialHosts: ['127.0.0.*:*'],
    });
    expect(r.rules).toEqual(['node-credentials']);
  });
});

/** A pull secret written out as a manifest: entries exactly as given, in `data` or `stringData`. */
function rawSecret(name: string, entries: Record<string, unknown>, how: 'data' | 'stringData' | 'dockercfg') {
  const type = how === 'dockercfg' ? 'kubernetes.io/dockercfg' : 'kubernetes.io/dockerconfigjson';
  const key = how === 'dockercfg' ? '.dockercfg' : '.dockerconfigjson';
  const json = JSON.stringify(how === 'dockercfg' ? entries : { auths: entries });
  const value =
    how === 'data'
      ? `data: {${key}: ${Buffer.from(json).toString('base64')}}`
      : `stringData: {${key}: '${json}'}`;
  return [
    'apiVersion: v1',
    'kind: Secret',
    `metadata: {name: ${name}, namespace: apps}`,
    `type: ${type}`,
    value,
  ].join('\n');
}

describe('the kubelet’s keyring, rule by rule (pkg/credentialprovider keyring.go, config.go, secrets.go)', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const good = { username: alice.username, password: alice.password };
  const port = basic.split(':')[1]!;
  it.each<[string, string, Record<string, unknown>, 'data' | 'stringData' | 'dockercfg', string[]]>([
    // keyring.go URLsMatch: the key's path is a string prefix of the image's, even inside a segment.
    ['a path key matching part of a segment', 'private/app:2.0', { [`${basic}/priv`]: good }, 'data', []],
    [
      'a path key for another repository',
      'private/app:2.0',
      { [`${basic}/private/other`]: good },
      'data',
      ['pull-secret-no-matching-entry'],
    ],
    // config.go DockerConfigEntry.UnmarshalJSON: a non-empty `auth` replaces username and password.
    [
      '`auth` overrides a wrong username/password',
      'private/app:2.0',
      { [basic]: { username: 'alice', password: 'wrong', auth: b64(`alice:${alice.password}`) } },
      'data',
      [],
    ],
    [
      'a wrong `auth` overrides a right username/password',
      'private/app:2.0',
      { [basic]: { ...good, auth: b64('alice:wrong') } },
      'data',
      ['pull-secret-rejected'],
    ],
    // keyring.go: each host label is matched as a filepath glob; the label count must agree.
    ['a glob key over the host’s labels', 'private/app:2.0', { [`127.0.*.*:${port}`]: good }, 'data', []],
    [
      'a glob key with another label count',
      'private/app:2.0',
      { [`*.0.1:${port}`]: good },
      'data',
      ['pull-secret-no-matching-entry'],
    ],
    [
      'a glob key on another port',
      'private/app:2.0',
      { [`127.0.0.*:1`]: good },
      'data',
      ['pull-secret-no-matching-entry'],
    ],
    // The API server merges stringData over data; secrets.go then reads the value by type.
    ['stringData', 'private/app:2.0', { [basic]: good }, 'stringData', []],
    [
      'a kubernetes.io/dockercfg secret (the bare map)',
      'private/app:2.0',
      { [basic]: good },
      'dockercfg',
      [],
    ],
  ])('%s', async (_case, repository, entries, how, rules) => {
    const r = await check([
      pod({ image: `${basic}/${repository}`, pullSecrets: ['reg'] }),
      rawSecret('reg', entries, how),
    ]);
    expect(r.rules).toEqual(rules);
    expect(r.allOnImage).toBe(true);
  });

  it('host matching is case-sensitive: a key LOCALHOST:port does not serve localhost:port', async () => {
    const image = `localhost:${port}/private/app:2.0`;
    const lower = await check([
      pod({ image, pullSecrets: ['reg'] }),
      rawSecret('reg', { [`localhost:${port}`]: good }, 'data'),
    ]);
    expect(lower.rules).toEqual([]);
    const upper = await check([
      pod({ image, pullSecrets: ['reg'] }),
      rawSecret('reg', { [`LOCALHOST:${port}`]: good }, 'data'),
    ]);
    expect(upper.rules).toEqual(['pull-secret-no-matching-entry']);
  });

  it('stringData wins over data for the same key', async () => {
    const both = rawSecret('reg', { [basic]: { username: 'alice', password: 'wrong' } }, 'data').concat(
      `\nstringData: {.dockerconfigjson: '${JSON.stringify({ auths: { [basic]: good } })}'}`,
    );
    expect(
      (await check([pod({ image: `${basic}/private/app:2.0`, pullSecrets: ['reg'] }), both])).rules,
    ).toEqual([]);
  });
});

describe('token-auth registry (Docker Hub style)', () => {
  it('public repositories pull anonymously', async () => {
    expect((await check([pod({ image: `${token}/library/public-app:1` })])).rules).toEqual([]);
  });

  it('private or missing cannot be told apart anonymously: says both', async () => {
    for (const repository of ['team/secret-app:1', 'team/nothing:1']) {
      const r = await check([pod({ image: `${token}/${repository}` })]);
      expect(r.rules).toEqual(['not-found-or-private']);
      expect(r.findings[0]!.message).toContain('the repository does not exist, or it is private');
    }
  });

  it('with the right secret: pulls, and a missing tag is a missing tag', async () => {
    const reg = secret('reg', { [token]: tokenAlice });
    expect(
      (await check([pod({ image: `${token}/team/secret-app:1`, pullSecrets: ['reg'] }), reg])).rules,
    ).toEqual([]);
    expect(
      (await check([pod({ image: `${token}/team/secret-app:2`, pullSecrets: ['reg'] }), reg])).rules,
    ).toEqual(['tag-not-found']);
  });

  it('a wrong password fails at the token service', async () => {
    const r = await check([
      pod({ image: `${token}/team/secret-app:1`, pullSecrets: ['reg'] }),
      secret('reg', { [token]: { username: 'alice', password: 'bad' } }),
    ]);
    expect(r.rules).toEqual(['pull-secret-rejected']);
    expect(r.findings[0]!.message).toContain('rejected the credentials (401)');
  });
});

describe('what cannot be verified is never "missing"', () => {
  it('TLS with an unknown CA: registry-unreachable with the TLS reason', async () => {
    const r = await check([pod({ image: `${lab.tls.host}/secure/app:1` })]);
    expect(r.rules).toEqual(['registry-unreachable']);
    expect(r.findings[0]!.message).toMatch(/TLS to .* failed/);
  });

  it('TLS with the CA file: pulls', async () => {
    expect(
      (await check([pod({ image: `${lab.tls.host}/secure/app:1` })], { caFile: lab.tls.caFile })).rules,
    ).toEqual([]);
  });

  it('a closed port', async () => {
    const r = await check([pod({ image: '127.0.0.1:9/app:1' })]);
    expect(r.rules).toEqual(['registry-unreachable']);
    expect(r.image.status).toBe('unverified');
  });
});
