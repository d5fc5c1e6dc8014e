// What kubectl parses must parse here, and one broken or templated document must not hide the others.
// Expected values come from running kubectl's own decoder (k8s.io/apimachinery YAMLReader, then
// sigs.k8s.io/yaml Unmarshal) on the same text; positions come from an independent text search.
import { describe, expect, it } from 'vitest';
import { emptyManifestSet, extractFromText, type ExtractOptions } from '../../src/manifests/extract.js';
import type { ManifestSet } from '../../src/manifests/types.js';
import { relaxForGoYaml } from '../../src/manifests/yaml-lenient.js';
import { splitYamlStream, yamlStream } from '../../src/manifests/yaml-tree.js';

function extract(yaml: string, options: Partial<ExtractOptions> = {}): ManifestSet {
  const set = emptyManifestSet();
  extractFromText('m.yaml', yaml, { defaultNamespace: 'default', ...options }, set);
  return set;
}

function at(text: string, token: string, occurrence = 0) {
  let offset = -1;
  for (let i = 0; i <= occurrence; i++) offset = text.indexOf(token, offset + 1);
  if (offset < 0) throw new Error(`${token} not in fixture`);
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

const pod = (containers: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n${containers}`;

describe('go-yaml leniency: what kubectl accepts parses, positions exact', () => {
  it.each([
    [
      'flow sequence closed at its key’s indentation',
      pod('  - name: a\n    image: "nginx:1.27"\n    args: [\n      "--x",\n      "--y"\n    ]\n'),
      '"nginx:1.27"',
    ],
    [
      'flow sequence of containers closed at column 1',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [\n{name: a, image: "nginx:1.27"}\n]\n',
      '"nginx:1.27"',
    ],
    [
      'flow mapping continued below its key',
      pod('  - {\n    name: a,\n    image: "nginx:1.27"\n  }\n'),
      '"nginx:1.27"',
    ],
    [
      'flow collection with a tab after a comma',
      pod('  - name: a\n    image: "nginx:1.27"\n    args: [a,\tb]\n'),
      '"nginx:1.27"',
    ],
    [
      'a comma at the start of a continuation line',
      pod('  - name: a\n    args: ["a"\n, "b"]\n    image: "nginx:1.27"\n'),
      '"nginx:1.27"',
    ],
    [
      'a multi-line quoted scalar continued at its key’s indentation',
      pod('  - name: a\n    command: ["sh", "-c", "echo\n    hi"]\n    image: "nginx:1.27"\n'),
      '"nginx:1.27"',
    ],
  ])('%s', (_name, yaml, token) => {
    const set = extract(yaml);
    expect(set.problems).toEqual([]);
    expect(set.images).toHaveLength(1);
    expect(set.images[0]).toMatchObject({ image: 'nginx:1.27', ...at(yaml, token) });
  });

  it('positions after an inserted indentation map back to the text as written', () => {
    const text = 'a: [\n1,\n2\n]\nb: "x"\n';
    const relaxed = relaxForGoYaml(text)!;
    expect(relaxed.text).toBe('a: [\n 1,\n 2\n ]\nb: "x"\n');
    expect(relaxed.toOriginal(relaxed.text.indexOf('"x"'))).toBe(text.indexOf('"x"'));
    expect(relaxed.toOriginal(relaxed.text.indexOf('2'))).toBe(text.indexOf('2'));
  });

  it('still refuses what go-yaml refuses, at the position written', () => {
    const yaml = pod('  - name: a\n\timage: nginx\n');
    const set = extract(yaml);
    expect(set.problems).toEqual([expect.objectContaining({ kind: 'parse-error', line: 8 })]);
  });
});

describe('differential: parses exactly where kubectl’s decoder parses', () => {
  // Each text was given to kubectl's decoder (k8s.io/apimachinery YAMLReader + sigs.k8s.io/yaml over
  // go-yaml v2, v0.37.0 / v1.6.0); the third column is whether it refused the text.
  it.each<[string, string, boolean]>([
    ['tabAfterColon', 'a:\tb\n', false],
    ['tabIndent', 'a:\n\tb: 1\n', true],
    ['flowClose', 'a:\n  b: [\n    1,\n    2\n  ]\nc: [\n  x\n]\n', false],
    ['flowCol0', 'args: [\n"a",\n"b"\n]\n', false],
    ['flowMap', 'a:\n  b: {\n  x: 1\n  }\n', false],
    ['flowMapCol0', 'a: {\n"b": 1\n}\n', false],
    ['commaCol0', 'a: [1\n, 2]\n', false],
    ['plainMultiFlowDef', 'x:\n  a: [a,\n b]\n', false],
    ['quotedDeficient', 'a:\n  b: "x\ny"\n', false],
    ['seqFlow', 'a:\n  - [1,\n  2]\n', false],
    ['tabInFlow', 'a: [1,\t2]\n', false],
    ['badIndent', 'a: b\n  c: d\n', true],
    ['dashNoSpace', 'a:\n  - b\n  -c\n', true],
    ['atSign', 'a: @x\n', true],
    ['backtick', 'a: `x\n', true],
    ['compactSeq', 'a: - b\n', true],
    ['nestedColon', 'a:  b: c\n', true],
    ['unknownAlias', 'a: *b\n', true],
    ['trailingComma', 'a: {b: 1,}\n', false],
    ['trailingCommaSeq', 'a: [1, 2,]\n', false],
    ['flowPair', 'a: [b: c]\n', false],
    ['flowMapNoValue', 'a: {b}\n', false],
    ['complexKey', '? a\n: b\n', false],
    ['keySpaces', 'key with spaces : 1\n', false],
    ['crlf', 'a: 1\nb: 2\n', false],
    ['docEnd', 'a: 1\n...\nb: 2\n', false],
    ['sepComment', 'a: 1\n--- # c\nb: 2\n', false],
    ['sepSpace', 'a: 1\n---   \nb: 2\n', false],
  ])('%s', (_name, text, kubectlRefuses) => {
    const errors = [...yamlStream(text)].filter((item) => 'error' in item);
    expect(errors.length > 0).toBe(kubectlRefuses);
  });
});

describe('multi-document files split as kubectl splits them', () => {
  const good = (name: string, image: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers:\n    - name: c\n      image: ${image}\n`;

  it('a broken document is reported where it is and the others are all checked', () => {
    const yaml = `${good('one', 'a:1')}---\napiVersion: v1\nkind: Pod\nspec: [\n---\n${good('three', 'c:3')}`;
    const set = extract(yaml);
    expect(set.images.map((image) => [image.image, image.line])).toEqual([
      ['a:1', 7],
      ['c:3', 19],
    ]);
    expect(set.problems).toEqual([expect.objectContaining({ kind: 'parse-error', line: 12 })]);
  });

  it('splits on `---` followed by white space only, as k8s.io/apimachinery YAMLReader does', () => {
    const text = 'a: 1\n---   \nb: 2\n--- # c\nc: 3\n---\n';
    expect(splitYamlStream(text).map((part) => text.slice(part.start, part.end))).toEqual([
      'a: 1\n',
      'b: 2\n--- # c\nc: 3\n',
    ]);
  });

  it('an unknown alias in one document loses only that document', () => {
    const yaml = `${good('one', 'a:1')}---\nkind: Pod\nx: *nope\n---\n${good('two', 'b:2')}`;
    const set = extract(yaml);
    expect(set.images.map((image) => image.image)).toEqual(['a:1', 'b:2']);
    expect(set.problems).toEqual([expect.objectContaining({ kind: 'parse-error', line: 10, column: 5 })]);
  });
});

describe('a JSON stream, as kubectl’s YAMLOrJSONDecoder reads one', () => {
  it('reads every object of concatenated JSON, positions exact', () => {
    const object = (name: string, image: string) =>
      `{\n  "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "${name}"},\n  "spec": {"containers": [{"name": "c", "image": "${image}"}]}\n}\n`;
    const text = object('a', 'reg.test/a:1') + object('b', 'reg.test/b:2');
    const set = extract(text);
    expect(set.problems).toEqual([]);
    expect(set.images.map((image) => [image.image, image.line, image.column])).toEqual([
      ['reg.test/a:1', at(text, '"reg.test/a:1"').line, at(text, '"reg.test/a:1"').column],
      ['reg.test/b:2', at(text, '"reg.test/b:2"').line, at(text, '"reg.test/b:2"').column],
    ]);
  });

  it('a JSON data file of several values that are not objects stays a notice', () => {
    expect(extract('{"a": 1}\n[1, 2]\n').problems.map((p) => p.kind)).toEqual(['not-manifest']);
  });
});

describe('duplicate keys: the later value, as kubectl apply -f keeps it, with a warning', () => {
  it('checks the later image and says what kubectl and kustomize do', () => {
    const yaml = pod('  - name: a\n    image: web:1.4\n    image: web:1.5\n');
    const set = extract(yaml);
    expect(set.images).toEqual([expect.objectContaining({ image: 'web:1.5', ...at(yaml, 'web:1.5') })]);
    expect(set.problems).toEqual([
      expect.objectContaining({ kind: 'duplicate-key', ...at(yaml, 'image', 1) }),
    ]);
    expect(set.problems[0]!.message).toMatch(
      /kubectl apply -f keeps this later value.*kubectl kustomize refuses/,
    );
  });
});

describe('templates: the document, not the file, and only real templates', () => {
  const rule = (expr: string) =>
    `apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n    - name: g\n      rules:\n        - alert: Down\n          annotations:\n            summary: "${expr}"\n`;

  it('{{ $labels.instance }} inside a string is data: the workload beside it is checked', () => {
    const yaml = `${rule('{{ $labels.instance }} is down')}---\n${pod('  - name: a\n    image: nginx:1.27\n')}`;
    const set = extract(yaml);
    expect(set.problems).toEqual([]);
    expect(set.images.map((image) => image.image)).toEqual(['nginx:1.27']);
  });

  it('a Go template in a ConfigMap block scalar is data', () => {
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  t: |\n    {{ range .Alerts }}{{ .Labels.x }}{{ end }}\n---\n${pod('  - name: a\n    image: nginx:1.27\n')}`;
    expect(extract(yaml)).toMatchObject({
      problems: [],
      images: [expect.objectContaining({ image: 'nginx:1.27' })],
    });
  });

  it('template syntax where YAML structure is marks only its document', () => {
    const yaml = `${pod('  - name: a\n    image: {{ .Values.image }}\n')}---\n${pod('  - name: b\n    image: nginx:1.27\n')}`;
    const set = extract(yaml);
    expect(set.problems).toEqual([expect.objectContaining({ kind: 'template', ...at(yaml, '{{') })]);
    expect(set.images.map((image) => image.image)).toEqual(['nginx:1.27']);
  });

  it('a template that breaks the YAML marks its document, not a parse error', () => {
    const yaml = `{{- if .Values.enabled }}\n${pod('  - name: a\n    image: x\n')}{{- end }}\n---\n${pod('  - name: b\n    image: nginx:1.27\n')}`;
    const set = extract(yaml);
    expect(set.problems).toEqual([expect.objectContaining({ kind: 'template', line: 1, column: 1 })]);
    expect(set.images.map((image) => image.image)).toEqual(['nginx:1.27']);
  });

  it.each([
    [
      'a name',
      'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: etcd-{{cell}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: etcd\n          image: quay.io/coreos/etcd:v3.5.0\n',
      'etcd-{{cell}}',
    ],
    ['an image', pod('  - name: a\n    image: "vitess/lite:{{tag}}"\n'), '"vitess/lite:{{tag}}"'],
  ])('a placeholder in %s: the notice on it, its images not checked as written', (_what, yaml, token) => {
    const set = extract(yaml);
    expect(set.images).toEqual([]);
    expect(set.problems).toEqual([expect.objectContaining({ kind: 'template', ...at(yaml, token) })]);
    expect(set.problems[0]!.message).toMatch(/placeholder.*not checked/);
  });

  it('every document of a file in a chart’s templates/ is a template', () => {
    const set = extract(pod('  - name: a\n    image: nginx:1.27\n'), { chartRole: 'templates' });
    expect(set.images).toEqual([]);
    expect(set.problems).toEqual([expect.objectContaining({ kind: 'template' })]);
  });
});

describe('files that are not manifests are at most a notice', () => {
  it.each([
    ['a JSON data file that is not YAML kubectl reads', '{"a": 1, "b": [1, 2}\n', {}],
    ['a compose file with a tab-indented key', 'services:\n  web:\n\timage: web:1\n', {}],
    [
      'a helm-unittest suite under a chart’s tests/',
      'suite: deployment\ntemplates: [deployment.yaml]\ntests:\n  - it: works\n    asserts:\n      - isKind: {of: Deployment}\n    kind: x\n   bad\n',
      { chartRole: 'tests' as const },
    ],
  ])('%s', (_name, text, options) => {
    const set = extract(text, options);
    expect(set.problems.map((problem) => problem.kind)).toEqual(['not-manifest']);
  });

  it('a broken Kubernetes object is still an error', () => {
    expect(extract('apiVersion: v1\nkind: Pod\nspec: [\n').problems[0]!.kind).toBe('parse-error');
  });
});
