import { describe, expect, it } from 'vitest';
import { lookupCredentials, type KeyringEntry } from '../../src/credentials/keyring.js';
import { credentialsToTry, resolvePodPullSecrets } from '../../src/credentials/pod-credentials.js';
import type {
  LocatedString,
  PodContext,
  PullSecretManifest,
  RegistryCredential,
  ServiceAccountManifest,
} from '../../src/manifests/types.js';
import type { ImageReference } from '../../src/reference/types.js';

function at(file: string, line: number, value: string): LocatedString {
  return { file, line, column: 7, endLine: line, endColumn: 7 + value.length, value };
}

function pod(namespace: string, pullSecrets: string[], serviceAccountName = 'default'): PodContext {
  return {
    resource: { kind: 'Deployment', name: 'web', namespace },
    namespaceExplicit: true,
    imagePullSecrets: pullSecrets.map((name, i) => at('deploy.yaml', 20 + i, name)),
    serviceAccountName,
    platforms: { architectures: null, excluded: [] },
  };
}

function secret(
  name: string,
  namespace: string,
  credentials: RegistryCredential[] = [{ key: 'ghcr.io', username: name, password: 'p' }],
  problem?: string,
): PullSecretManifest {
  const s: PullSecretManifest = {
    file: `secrets/${namespace}-${name}.yaml`,
    line: 1,
    column: 1,
    endLine: 9,
    endColumn: 1,
    name,
    namespace,
    type: 'kubernetes.io/dockerconfigjson',
    credentials,
  };
  if (problem !== undefined) s.problem = problem;
  return s;
}

function serviceAccount(name: string, namespace: string, pullSecrets: string[]): ServiceAccountManifest {
  return {
    file: 'sa.yaml',
    line: 1,
    column: 1,
    endLine: 5,
    endColumn: 1,
    name,
    namespace,
    imagePullSecrets: pullSecrets.map((n, i) => at('sa.yaml', 6 + i, n)),
  };
}

function ref(domain: string, path: string): ImageReference {
  const normalized = `${domain}/${path}:latest`;
  return {
    original: normalized,
    domain,
    apiHost: domain,
    path,
    manifestReference: 'latest',
    normalized,
    familiar: normalized,
  };
}

const users = (entries: KeyringEntry[]): string[] => entries.map((e) => e.credential.username);

describe('resolvePodPullSecrets: where the names come from', () => {
  const secrets = [secret('pod-a', 'app'), secret('sa-a', 'app'), secret('sa-b', 'app')];
  const accounts = [
    serviceAccount('builder', 'app', ['sa-a', 'sa-b']),
    serviceAccount('default', 'app', ['sa-b']),
  ];

  it.each([
    // [pod secrets, serviceAccountName, origin, names read]
    [['pod-a'], 'builder', 'pod', ['pod-a']],
    // Replace, not merge: the pod's own list hides the ServiceAccount's entirely.
    [['pod-a', 'sa-b'], 'builder', 'pod', ['pod-a', 'sa-b']],
    [[], 'builder', 'service-account', ['sa-a', 'sa-b']],
    [[], 'default', 'service-account', ['sa-b']],
    // An unset serviceAccountName means `default`.
    [[], '', 'service-account', ['sa-b']],
    // A list holding only an empty name is not empty: the ServiceAccount is not consulted.
    [[''], 'builder', 'pod', ['']],
    [[], 'ghost', 'service-account-not-in-repository', []],
  ])('pod %j with SA %j → %s %j', (podSecrets, sa, origin, names) => {
    const resolution = resolvePodPullSecrets(pod('app', podSecrets, sa), secrets, accounts);
    expect(resolution.origin.kind).toBe(origin);
    expect(resolution.references.map((r) => r.name)).toEqual(names);
  });

  it('points at the ServiceAccount entries when the names come from there', () => {
    const resolution = resolvePodPullSecrets(pod('app', [], 'builder'), secrets, accounts);
    expect(resolution.origin).toMatchObject({ kind: 'service-account', serviceAccount: { name: 'builder' } });
    expect(resolution.references.map((r) => [r.written.file, r.written.line])).toEqual([
      ['sa.yaml', 6],
      ['sa.yaml', 7],
    ]);
    expect(users(resolution.keyring)).toEqual(['sa-a', 'sa-b']);
  });

  it('uses only the ServiceAccount of the pod namespace, and says where else it is defined', () => {
    const resolution = resolvePodPullSecrets(pod('web', [], 'builder'), secrets, accounts);
    expect(resolution.origin).toEqual({
      kind: 'service-account-not-in-repository',
      name: 'builder',
      isDefault: false,
      otherNamespaces: ['app'],
    });
    expect(resolution.keyring).toEqual([]);
  });

  it('flags the default ServiceAccount, which the cluster creates in every namespace', () => {
    const resolution = resolvePodPullSecrets(pod('web', []), secrets, []);
    expect(resolution.origin).toMatchObject({ isDefault: true, name: 'default' });
  });
});

describe('resolvePodPullSecrets: what the repository says of each secret', () => {
  const secrets = [
    secret('regcred', 'app'),
    secret('elsewhere', 'ops'),
    secret('elsewhere', 'default'),
    secret('broken', 'app', [], 'The `.dockerconfigjson` value is not valid JSON.'),
    secret('regcred', 'ops'),
  ];

  it.each([
    ['regcred', 'found'],
    ['elsewhere', 'other-namespace'],
    ['nowhere', 'not-in-repository'],
    ['broken', 'invalid'],
    ['', 'empty-name'],
  ])('%j → %s', (name, kind) => {
    const [reference] = resolvePodPullSecrets(pod('app', [name]), secrets, []).references;
    expect(reference?.status.kind).toBe(kind);
  });

  it('lists the namespaces a misplaced secret is in', () => {
    const [reference] = resolvePodPullSecrets(pod('app', ['elsewhere']), secrets, []).references;
    expect(reference?.status).toMatchObject({ kind: 'other-namespace', namespaces: ['default', 'ops'] });
  });

  it('keeps the problem of an invalid secret and adds nothing to the keyring', () => {
    const resolution = resolvePodPullSecrets(pod('app', ['broken', 'regcred']), secrets, []);
    expect(resolution.references[0]?.status).toMatchObject({ kind: 'invalid', problem: /not valid JSON/ });
    expect(users(resolution.keyring)).toEqual(['regcred']);
    expect(resolution.unreadable).toEqual([]);
  });

  it('skips missing secrets (the kubelet event) and keeps the others in order', () => {
    const resolution = resolvePodPullSecrets(
      pod('app', ['nowhere', 'regcred', 'elsewhere', '']),
      secrets,
      [],
    );
    expect(resolution.unreadable).toEqual(['nowhere', 'elsewhere']);
    expect(users(resolution.keyring)).toEqual(['regcred']);
    expect(resolution.keyring[0]?.source).toEqual({
      secretName: 'regcred',
      namespace: 'app',
      location: { file: 'secrets/app-regcred.yaml', line: 1, column: 1, endLine: 9, endColumn: 1 },
    });
  });

  it('takes the last definition when a secret is defined twice in the same namespace', () => {
    const twice = [
      secret('regcred', 'app'),
      secret('regcred', 'app', [{ key: 'ghcr.io', username: 'v2', password: 'p' }]),
    ];
    expect(users(resolvePodPullSecrets(pod('app', ['regcred']), twice, []).keyring)).toEqual(['v2']);
  });

  it('repeats a duplicated name, as the kubelet reads and adds it twice', () => {
    const resolution = resolvePodPullSecrets(
      pod('app', ['regcred', 'nowhere', 'regcred', '', '']),
      secrets,
      [],
    );
    expect(resolution.references.map((r) => r.duplicateOf)).toEqual([
      undefined,
      undefined,
      0,
      undefined,
      undefined,
    ]);
    expect(users(resolution.keyring)).toEqual(['regcred', 'regcred']);
  });
});

describe('resolvePodPullSecrets: keyring order', () => {
  it('adds secrets in reference order and entries in written order', () => {
    const secrets = [
      secret('b', 'app', [
        { key: 'ghcr.io', username: 'b1', password: 'p' },
        { key: 'https://index.docker.io/v1/', username: 'b2', password: 'p' },
      ]),
      secret('a', 'app', [{ key: 'ghcr.io/org', username: 'a1', password: 'p' }]),
    ];
    const resolution = resolvePodPullSecrets(pod('app', ['b', 'a']), secrets, []);
    expect(users(resolution.keyring)).toEqual(['b1', 'b2', 'a1']);
    expect(users(lookupCredentials(resolution.keyring, ref('ghcr.io', 'org/app')))).toEqual(['a1', 'b1']);
    expect(users(lookupCredentials(resolution.keyring, ref('docker.io', 'library/nginx')))).toEqual(['b2']);
  });
});

describe('credentialsToTry (kuberuntime_image.go PullImage)', () => {
  const entry = (username: string): KeyringEntry => ({
    key: 'ghcr.io',
    credential: { username, password: 'p' },
    source: { secretName: 's', namespace: 'ns' },
  });

  it.each([
    // No match: one anonymous attempt.
    [[], [undefined]],
    // Matches: each in turn, and no anonymous attempt after them.
    [[entry('a')], [{ username: 'a', password: 'p' }]],
    [
      [entry('a'), entry('b')],
      [
        { username: 'a', password: 'p' },
        { username: 'b', password: 'p' },
      ],
    ],
    // Duplicates are tried again.
    [
      [entry('a'), entry('a')],
      [
        { username: 'a', password: 'p' },
        { username: 'a', password: 'p' },
      ],
    ],
    // containerd pulls anonymously for an auth config without a username.
    [
      [entry(''), entry('b')],
      [undefined, { username: 'b', password: 'p' }],
    ],
  ])('%j → %j', (matches, expected) => {
    expect(credentialsToTry(matches)).toEqual(expected);
  });

  it('puts it together for one pod and three images', () => {
    const secrets = [
      secret('ghcr', 'app', [{ key: 'ghcr.io', username: 'robot', password: 'p' }]),
      secret('hub', 'app', [{ key: 'https://index.docker.io/v1/', username: 'hubber', password: 'p' }]),
    ];
    const { keyring } = resolvePodPullSecrets(pod('app', ['missing', 'ghcr', 'hub']), secrets, []);
    const attempts = (image: ImageReference) =>
      credentialsToTry(lookupCredentials(keyring, image)).map((c) => c?.username ?? 'anonymous');
    expect(attempts(ref('ghcr.io', 'org/app'))).toEqual(['robot']);
    expect(attempts(ref('docker.io', 'library/nginx'))).toEqual(['hubber']);
    expect(attempts(ref('quay.io', 'org/tool'))).toEqual(['anonymous']);
  });
});
