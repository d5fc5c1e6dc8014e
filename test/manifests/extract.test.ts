import { describe, expect, it } from 'vitest';
import { emptyManifestSet, extractFromText } from '../../src/manifests/extract.js';
import type { ManifestSet } from '../../src/manifests/types.js';

function extract(yaml: string, defaultNamespace = 'default'): ManifestSet {
  const set = emptyManifestSet();
  extractFromText('m.yaml', yaml, { defaultNamespace }, set);
  return set;
}

/** Independent oracle: where `token` (as written, quotes included) occurs, 1-based, end-exclusive. */
function rangeOf(text: string, token: string, occurrence = 0) {
  let offset = -1;
  for (let i = 0; i <= occurrence; i++) offset = text.indexOf(token, offset + 1);
  if (offset < 0) throw new Error(`token ${token} not in fixture`);
  const position = (at: number) => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    return { line, column: at - (before.lastIndexOf('\n') + 1) + 1 };
  };
  const start = position(offset);
  const end = position(offset + token.length);
  return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

const positionCases: Array<{ name: string; yaml: string; images: Array<{ image: string; token: string }> }> =
  [
    {
      name: 'block style, plain value',
      yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: nginx:1.27\n',
      images: [{ image: 'nginx:1.27', token: 'nginx:1.27' }],
    },
    {
      name: 'double-quoted value with a trailing comment',
      yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: "nginx:1"  # pinned\n',
      images: [{ image: 'nginx:1', token: '"nginx:1"' }],
    },
    {
      name: 'single-quoted value with an escaped quote is kept as written',
      yaml: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: 'it''s'\n",
      images: [{ image: "it's", token: "'it''s'" }],
    },
    {
      name: 'flow style on one line',
      yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: "a:1"}, {name: b, image: b:2}]}\n',
      images: [
        { image: 'a:1', token: '"a:1"' },
        { image: 'b:2', token: 'b:2' },
      ],
    },
    {
      name: 'JSON',
      yaml: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},\n "spec":{"containers":[{"name":"a","image":"redis:7"}]}}',
      images: [{ image: 'redis:7', token: '"redis:7"' }],
    },
    {
      name: 'folded block scalar',
      yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: >-\n      ghcr.io/a/b:1\n',
      images: [{ image: 'ghcr.io/a/b:1', token: 'ghcr.io/a/b:1' }],
    },
    {
      name: 'second document after comments and an explicit end',
      yaml: '# c\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: "x:1"}]}\n...\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {containers: [{name: a, image: "y:1"}]}\n',
      images: [
        { image: 'x:1', token: '"x:1"' },
        { image: 'y:1', token: '"y:1"' },
      ],
    },
  ];

describe('image positions', () => {
  it.each(positionCases)('$name', ({ yaml, images }) => {
    const set = extract(yaml);
    expect(set.problems).toEqual([]);
    expect(
      set.images.map(({ image, line, column, endLine, endColumn }) => ({
        image,
        line,
        column,
        endLine,
        endColumn,
      })),
    ).toEqual(images.map(({ image, token }) => ({ image, ...rangeOf(yaml, token) })));
  });

  it('is exact with CRLF line endings', () => {
    const yaml =
      'apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: p}\r\nspec:\r\n  containers:\r\n  - name: a\r\n    image: "nginx:1"\r\n';
    const [image] = extract(yaml).images;
    expect(image).toMatchObject({ image: 'nginx:1', line: 7, column: 12, endLine: 7, endColumn: 21 });
  });

  it('is exact after a UTF-8 byte order mark', () => {
    const yaml =
      '\ufeffapiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: b:1}]}\n';
    const [image] = extract(yaml).images;
    expect(image).toMatchObject({ image: 'b:1', line: 4, column: 38, endLine: 4, endColumn: 41 });
  });
});

describe('anchors and merge keys', () => {
  it('finds images through << merges and aliases, at the anchored text', () => {
    const yaml = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: p}',
      'spec:',
      '  containers:',
      '    - &defaults',
      '      name: first',
      '      image: busybox:1.36',
      '    - <<: *defaults',
      '      name: merged',
      '    - &base {name: base, image: alpine:3.20}',
      '  initContainers: [*base]',
    ].join('\n');
    const set = extract(yaml);
    expect(set.problems).toEqual([]);
    expect(set.images.map((i) => [i.container, i.field, i.image, i.line])).toEqual([
      ['first', 'containers', 'busybox:1.36', 8],
      ['merged', 'containers', 'busybox:1.36', 8],
      ['base', 'containers', 'alpine:3.20', 11],
      ['base', 'initContainers', 'alpine:3.20', 11],
    ]);
  });

  it('explicit keys win over merged ones', () => {
    const yaml =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - <<: {image: "a:1"}\n    image: b:2\n    name: c\n';
    expect(extract(yaml).images.map((i) => i.image)).toEqual(['b:2']);
  });
});

describe('pod context', () => {
  it('records namespace, pull secrets, service account, policy and platforms', () => {
    const yaml = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web, namespace: shop}',
      'spec:',
      '  template:',
      '    spec:',
      '      serviceAccountName: robot',
      '      imagePullSecrets: [{name: one}, {name: two}]',
      '      nodeSelector: {kubernetes.io/arch: arm64}',
      '      containers: [{name: a, image: "x:1", imagePullPolicy: Always}]',
    ].join('\n');
    const [image] = extract(yaml).images;
    expect(image!.imagePullPolicy).toBe('Always');
    expect(image!.pod).toMatchObject({
      resource: { kind: 'Deployment', name: 'web', namespace: 'shop' },
      namespaceExplicit: true,
      serviceAccountName: 'robot',
      platforms: { architectures: ['arm64'], excluded: [] },
    });
    expect(image!.pod.imagePullSecrets.map((s) => [s.value, s.line, s.column])).toEqual([
      ['one', 8, 33],
      ['two', 8, 46],
    ]);
  });

  it('uses the default namespace and the default service account when none is written', () => {
    const yaml =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: b:1}]}\n';
    const [image] = extract(yaml, 'team-a').images;
    expect(image!.pod).toMatchObject({
      resource: { namespace: 'team-a' },
      namespaceExplicit: false,
      serviceAccountName: 'default',
      platforms: { architectures: null, excluded: [] },
    });
  });

  const affinity = (terms: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: ${terms}}}}\n  containers: [{name: a, image: b:1}]\n`;
  it.each([
    [
      'In lists several',
      '[{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}]}]',
      ['amd64', 'arm64'],
      [],
    ],
    [
      'terms are alternatives',
      '[{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]}, {matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [arm64]}]}]',
      ['amd64', 'arm64'],
      [],
    ],
    [
      'a term without arch leaves it open',
      '[{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [arm64]}]}, {matchExpressions: [{key: zone, operator: In, values: [a]}]}]',
      null,
      [],
    ],
    [
      'NotIn excludes',
      '[{matchExpressions: [{key: kubernetes.io/arch, operator: NotIn, values: [arm]}]}]',
      null,
      ['arm'],
    ],
    [
      'In minus NotIn',
      '[{matchExpressions: [{key: beta.kubernetes.io/arch, operator: In, values: [amd64, arm64]}, {key: kubernetes.io/arch, operator: NotIn, values: [amd64]}]}]',
      ['arm64'],
      ['amd64'],
    ],
  ])('node affinity: %s', (_name, terms, architectures, excluded) => {
    const [image] = extract(affinity(terms)).images;
    expect(image!.pod.platforms).toMatchObject({ architectures, excluded });
  });
});

describe('what is not a workload', () => {
  it.each([
    [
      'a ConfigMap with image keys',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  image: nginx:1\n',
    ],
    ['a compose file', 'services:\n  web:\n    image: web:1\n'],
    ['a GitHub workflow', 'on: push\njobs:\n  t:\n    container:\n      image: node:20\n'],
    [
      'a core Service shaped like a template',
      'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {template: {spec: {containers: [{image: x:1}]}}}\n',
    ],
  ])('%s yields no image', (_name, yaml) => {
    const set = extract(yaml);
    expect(set.images).toEqual([]);
    expect(set.problems).toEqual([]);
  });
});

describe('bad input becomes a finding, never a crash', () => {
  it('reports invalid YAML at the position js-yaml gives', () => {
    const set = extract('apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: a\n   bad: [\n');
    expect(set.images).toEqual([]);
    expect(set.problems).toHaveLength(1);
    expect(set.problems[0]).toMatchObject({ kind: 'parse-error', file: 'm.yaml', line: 6 });
    expect(set.problems[0]!.message).toMatch(/^invalid YAML: /);
  });

  it('reports a key defined twice where the later one is, keeping it as kubectl apply -f does', () => {
    const set = extract('apiVersion: v1\nkind: Pod\nkind: Pod\n');
    expect(set.problems[0]).toMatchObject({ kind: 'duplicate-key', line: 3, column: 1 });
    expect(set.problems[0]!.message).toContain('first on line 2');
  });

  it('refuses an alias bomb quickly', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      levels.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const set = extract(levels.join('\n'));
    expect(set.problems[0]).toMatchObject({
      kind: 'parse-error',
      message: 'document contains excessive aliasing',
    });
  });

  it('refuses very deep nesting', () => {
    const set = extract(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    expect(set.problems[0]!.kind).toBe('parse-error');
  });

  it('skips Helm templates with a notice', () => {
    const set = extract('apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n');
    expect(set.problems).toEqual([expect.objectContaining({ kind: 'template', line: 4, column: 9 })]);
  });
});

describe('pull secrets and service accounts', () => {
  const secret = (type: string, body: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\ntype: ${type}\n${body}\n`;
  const b64 = (text: string) => Buffer.from(text).toString('base64');

  it('decodes dockerconfigjson data (auth and username/password entries)', () => {
    const json = JSON.stringify({
      auths: {
        'r.example.com': { auth: b64('u:p:with:colons') },
        'https://index.docker.io/v1/': { username: 'h', password: 'q' },
      },
    });
    const set = extract(secret('kubernetes.io/dockerconfigjson', `data:\n  .dockerconfigjson: ${b64(json)}`));
    expect(set.pullSecrets[0]).toMatchObject({
      name: 's',
      namespace: 'ns',
      line: 6,
      credentials: [
        { key: 'r.example.com', username: 'u', password: 'p:with:colons' },
        { key: 'https://index.docker.io/v1/', username: 'h', password: 'q' },
      ],
    });
    expect(set.problems).toEqual([]);
  });

  it('decodes dockercfg stringData; an identity-token entry carries no credentials (as in the kubelet)', () => {
    const json = JSON.stringify({
      'r.io': { username: 'a', password: 'b' },
      'x.io': { identitytoken: 'tok' },
    });
    const set = extract(secret('kubernetes.io/dockercfg', `stringData:\n  .dockercfg: '${json}'`));
    expect(set.pullSecrets[0]!.credentials).toEqual([
      { key: 'r.io', username: 'a', password: 'b' },
      { key: 'x.io', username: '', password: '' },
    ]);
  });

  // The problem sits on the value when there is one, else on the secret's name.
  it.each([
    ['broken base64', 'data:\n  .dockerconfigjson: "not*base64"', 'not valid base64', 6],
    ['not JSON', `data:\n  .dockerconfigjson: ${b64('{nope')}`, 'not valid JSON', 6],
    ['no auths', `data:\n  .dockerconfigjson: ${b64('{}')}`, 'lists no registries', 6],
    ['auths not an object', `data:\n  .dockerconfigjson: ${b64('{"auths": []}')}`, 'not a JSON object', 6],
    [
      'an auth that is not base64',
      `data:\n  .dockerconfigjson: ${b64('{"auths":{"r.io":{"auth":"%%%"}}}')}`,
      'not valid base64',
      6,
    ],
    ['missing key', 'data:\n  other: eA==', 'no .dockerconfigjson key', 3],
    [
      'only identity tokens',
      `data:\n  .dockerconfigjson: ${b64('{"auths":{"r.io":{"identitytoken":"t"}}}')}`,
      'kubelet ignores identity',
      6,
    ],
  ])('a secret with %s is a problem on its line, never quoting it', (_name, body, reason, line) => {
    const set = extract(secret('kubernetes.io/dockerconfigjson', body));
    expect(set.problems).toHaveLength(1);
    expect(set.problems[0]).toMatchObject({ kind: 'secret-invalid', line });
    expect(set.problems[0]!.message).toContain(reason);
    expect(set.problems[0]!.message).not.toMatch(/not\*base64|nope|"t"/);
  });

  it('reads ServiceAccount imagePullSecrets', () => {
    const set = extract(
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\nimagePullSecrets:\n- name: a\n',
    );
    expect(set.serviceAccounts).toEqual([
      expect.objectContaining({
        name: 'sa',
        namespace: 'default',
        imagePullSecrets: [expect.objectContaining({ value: 'a', line: 5 })],
      }),
    ]);
  });
});
