import { describe, expect, it } from 'vitest';
import type { ImagePathSpec } from '../../src/manifests/custom-resources.js';
import { emptyManifestSet, extractFromText } from '../../src/manifests/extract.js';

/** Images of custom resources, each where its upstream schema keeps them, positioned on the value. */

function extract(yaml: string, imagePaths: ImagePathSpec[] = []) {
  const set = emptyManifestSet();
  extractFromText('cr.yaml', yaml, { defaultNamespace: 'default', imagePaths }, set);
  expect(set.problems).toEqual([]);
  return set.images.map((image) => ({
    image: image.image,
    line: image.line,
    column: image.column,
    container: image.container,
    field: image.field,
    secrets: image.pod.imagePullSecrets.map((secret) => secret.value),
    serviceAccount: image.pod.serviceAccountName,
  }));
}

/** 1-based line of the first line containing `text`. */
const lineOf = (yaml: string, text: string) => yaml.split('\n').findIndex((line) => line.includes(text)) + 1;

const cases: Array<{
  name: string;
  yaml: string;
  expected: Array<{ image: string; container: string; field?: string; secrets?: string[]; sa?: string }>;
}> = [
  {
    name: 'Argo Workflows Workflow: container, script, containerSet, initContainers, sidecars',
    yaml: `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: steps-
spec:
  entrypoint: main
  serviceAccountName: runner
  imagePullSecrets:
  - name: regcred
  templates:
  - name: main
    steps:
    - - name: hello
        template: whalesay
  - name: whalesay
    container:
      image: docker/whalesay:latest
      command: [cowsay]
  - name: gen
    script:
      image: python:3.12-alpine
      source: print(1)
  - name: set
    containerSet:
      containers:
      - name: a
        image: alpine:3.20
  - name: with-sidecar
    initContainers:
    - name: init
      image: busybox:1.36
    sidecars:
    - name: db
      image: postgres:16
    container:
      image: app:1
`,
    expected: [
      { image: 'docker/whalesay:latest', container: 'whalesay', secrets: ['regcred'], sa: 'runner' },
      { image: 'python:3.12-alpine', container: 'gen' },
      { image: 'alpine:3.20', container: 'a' },
      { image: 'app:1', container: 'with-sidecar' },
      { image: 'busybox:1.36', container: 'init', field: 'initContainers' },
      { image: 'postgres:16', container: 'db' },
    ],
  },
  {
    name: 'Argo Workflows CronWorkflow: spec.workflowSpec',
    yaml: `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedule: "0 0 * * *"
  workflowSpec:
    entrypoint: run
    templates:
    - name: run
      container: {image: "registry.example.com/job:2"}
`,
    expected: [{ image: 'registry.example.com/job:2', container: 'run' }],
  },
  {
    name: 'Tekton Task: steps, sidecars, stepTemplate',
    yaml: `apiVersion: tekton.dev/v1
kind: Task
metadata: {name: build}
spec:
  stepTemplate:
    image: alpine:3.20
  steps:
  - name: compile
    image: golang:1.23
    script: go build
  - name: inherit
    script: echo uses the stepTemplate image
  sidecars:
  - name: docker
    image: docker:27-dind
`,
    expected: [
      { image: 'golang:1.23', container: 'compile' },
      { image: 'docker:27-dind', container: 'docker' },
      { image: 'alpine:3.20', container: 'stepTemplate' },
    ],
  },
  {
    name: 'Tekton PipelineRun: embedded pipelineSpec and taskSpec, pull secrets in the pod template',
    yaml: `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {name: run, namespace: ci}
spec:
  taskRunTemplate:
    serviceAccountName: builder
    podTemplate:
      imagePullSecrets: [{name: ci-pull}]
  pipelineSpec:
    tasks:
    - name: test
      taskSpec:
        steps:
        - name: unit
          image: node:24
    finally:
    - name: notify
      taskSpec:
        steps:
        - image: curlimages/curl:8.10.1
`,
    expected: [
      { image: 'node:24', container: 'unit', secrets: ['ci-pull'], sa: 'builder' },
      { image: 'curlimages/curl:8.10.1', container: 'notify.steps[0]', secrets: ['ci-pull'], sa: 'builder' },
    ],
  },
  {
    name: 'Tekton TaskRun (v1beta1): taskSpec with podTemplate secrets',
    yaml: `apiVersion: tekton.dev/v1beta1
kind: TaskRun
metadata: {name: once}
spec:
  serviceAccountName: bot
  podTemplate: {imagePullSecrets: [{name: s}]}
  taskSpec:
    steps:
    - {name: s1, image: "ubuntu:24.04"}
`,
    expected: [{ image: 'ubuntu:24.04', container: 's1', secrets: ['s'], sa: 'bot' }],
  },
  {
    name: 'Prometheus Operator Prometheus: image, containers, initContainers; operator patches skipped',
    yaml: `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  image: quay.io/prometheus/prometheus:v2.55.0
  serviceAccountName: prometheus-k8s
  imagePullSecrets: [{name: quay}]
  containers:
  - name: prometheus
    resources: {}
  - name: oauth-proxy
    image: quay.io/oauth2-proxy/oauth2-proxy:v7.7.1
  initContainers:
  - name: init-config-reloader
    image: quay.io/prometheus-operator/prometheus-config-reloader:v0.77.1
`,
    expected: [
      {
        image: 'quay.io/prometheus/prometheus:v2.55.0',
        container: 'main',
        secrets: ['quay'],
        sa: 'prometheus-k8s',
      },
      { image: 'quay.io/oauth2-proxy/oauth2-proxy:v7.7.1', container: 'oauth-proxy' },
      {
        image: 'quay.io/prometheus-operator/prometheus-config-reloader:v0.77.1',
        container: 'init-config-reloader',
        field: 'initContainers',
      },
    ],
  },
  {
    name: 'Strimzi Kafka: kafka.image, pull secrets in template.pod',
    yaml: `apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata: {name: cluster}
spec:
  kafka:
    image: quay.io/strimzi/kafka:0.44.0-kafka-3.8.0
    template:
      pod:
        imagePullSecrets: [{name: strimzi}]
  zookeeper:
    replicas: 3
`,
    expected: [
      { image: 'quay.io/strimzi/kafka:0.44.0-kafka-3.8.0', container: 'kafka', secrets: ['strimzi'] },
    ],
  },
  {
    name: 'Crossplane Provider: package with packagePullSecrets',
    yaml: `apiVersion: pkg.crossplane.io/v1
kind: Provider
metadata: {name: provider-aws}
spec:
  package: xpkg.upbound.io/upbound/provider-aws-s3:v1.14.0
  packagePullSecrets: [{name: upbound}]
`,
    expected: [
      {
        image: 'xpkg.upbound.io/upbound/provider-aws-s3:v1.14.0',
        container: 'package',
        secrets: ['upbound'],
      },
    ],
  },
];

describe('built-in custom resource image locations', () => {
  it.each(cases)('$name', ({ yaml, expected }) => {
    const images = extract(yaml);
    expect(images.map(({ image, container }) => ({ image, container }))).toEqual(
      expected.map(({ image, container }) => ({ image, container })),
    );
    images.forEach((found, index) => {
      const want = expected[index]!;
      // Positioned on the value as written (quotes included).
      expect(found.line).toBe(lineOf(yaml, want.image));
      const text = yaml.split('\n')[found.line - 1]!;
      expect(text.slice(found.column - 1)).toMatch(
        new RegExp(`^"?${want.image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
      expect(found.field).toBe(want.field ?? 'containers');
      if (want.secrets) expect(found.secrets).toEqual(want.secrets);
      if (want.sa) expect(found.serviceAccount).toBe(want.sa);
    });
  });

  it('a same-named kind of another group is not read as the custom resource', () => {
    const yaml =
      'apiVersion: example.com/v1\nkind: Task\nmetadata: {name: t}\nspec:\n  steps:\n  - {name: s, image: "x:1"}\n';
    expect(extract(yaml)).toEqual([]);
  });
});

describe('imagePaths (kustomize fieldSpecs)', () => {
  const yaml = `apiVersion: example.com/v1alpha1
kind: Runner
metadata: {name: r}
spec:
  imagePullSecrets: [{name: runner-pull}]
  template:
    image: ghcr.io/acme/runner:1.2.3
  jobs:
  - name: a
    image: ghcr.io/acme/job-a:1
  - name: b
    image: ghcr.io/acme/job-b:1
`;

  it.each<[string, ImagePathSpec[], string[]]>([
    ['a map path', [{ kind: 'Runner', path: 'spec/template/image' }], ['ghcr.io/acme/runner:1.2.3']],
    [
      'sequences walked',
      [{ kind: 'Runner', path: 'spec/jobs/image' }],
      ['ghcr.io/acme/job-a:1', 'ghcr.io/acme/job-b:1'],
    ],
    [
      'kustomize [] suffix',
      [{ kind: 'Runner', path: 'spec/jobs[]/image' }],
      ['ghcr.io/acme/job-a:1', 'ghcr.io/acme/job-b:1'],
    ],
    ['[name=b] selector', [{ kind: 'Runner', path: 'spec/jobs[name=b]/image' }], ['ghcr.io/acme/job-b:1']],
    [
      'group and version match',
      [{ group: 'example.com', version: 'v1alpha1', kind: 'Runner', path: 'spec/template/image' }],
      ['ghcr.io/acme/runner:1.2.3'],
    ],
    ['another group: nothing', [{ group: 'other.io', kind: 'Runner', path: 'spec/template/image' }], []],
    ['another kind: nothing', [{ kind: 'Job', path: 'spec/template/image' }], []],
    ['a missing path: nothing', [{ kind: 'Runner', path: 'spec/nope/image' }], []],
  ])('%s', (_name, imagePaths, images) => {
    const found = extract(yaml, imagePaths);
    expect(found.map((image) => image.image)).toEqual(images);
    for (const image of found) {
      expect(image.line).toBe(lineOf(yaml, image.image));
      expect(image.secrets).toEqual(['runner-pull']);
    }
  });

  it('a path the built-in table also covers yields the image once', () => {
    const task =
      'apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n  steps:\n  - {name: s, image: "x:1"}\n';
    expect(extract(task, [{ kind: 'Task', path: 'spec/steps/image' }]).map((i) => i.image)).toEqual(['x:1']);
  });
});
