// A deterministic corpus of Kubernetes manifests: every workload kind plus Services, ConfigMaps and
// Secrets as noise, written with anchors, aliases, merge keys, flow style, quotes and block scalars.
import { between, pick, seeded, type Random } from '../test/support/random.js';

export interface Corpus {
  /** One multi-document text per file. */
  files: Array<{ name: string; text: string }>;
  documents: number;
  /** `image:` values the generator wrote (aliases of a container count once per use). */
  images: number;
}

const SEED = 0xc0ffee;
export const CORPUS_DOCUMENTS = 10_000;
export const CORPUS_FILES = 250;

type Kind =
  | 'Pod'
  | 'Deployment'
  | 'StatefulSet'
  | 'DaemonSet'
  | 'Job'
  | 'CronJob'
  | 'ReplicaSet'
  | 'Service'
  | 'ConfigMap'
  | 'Secret';

/** 70% workloads, 30% noise. */
const KINDS: readonly Kind[] = [
  'Pod',
  'Deployment',
  'Deployment',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'Job',
  'Pod',
  'DaemonSet',
  'Service',
  'Service',
  'ConfigMap',
  'ConfigMap',
  'Secret',
  'CronJob',
];

const API_VERSIONS: Record<Kind, string> = {
  Pod: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Service: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
};

const REGISTRIES = ['', 'docker.io/', 'ghcr.io/acme/', 'registry.example.com:5000/team/', 'quay.io/org/'];
const NAMES = ['web', 'api', 'worker', 'cache', 'gateway', 'billing', 'search', 'auth', 'metrics', 'queue'];
const NAMESPACES = ['default', 'shop', 'payments', 'infra', 'data'];

interface Writer {
  random: Random;
  images: number;
}

export function generateCorpus(documents = CORPUS_DOCUMENTS, files = CORPUS_FILES): Corpus {
  const writer: Writer = { random: seeded(SEED), images: 0 };
  const docs = Array.from({ length: documents }, (_, i) => documentYaml(writer, i));
  const perFile = Math.ceil(documents / files);
  const out: Corpus['files'] = [];
  for (let f = 0; f * perFile < documents; f++) {
    const text = docs.slice(f * perFile, (f + 1) * perFile).join('---\n');
    out.push({ name: `manifests-${String(f).padStart(3, '0')}.yaml`, text });
  }
  return { files: out, documents, images: writer.images };
}

/** The whole corpus as one multi-document text. */
export function corpusText(corpus: Corpus): string {
  return corpus.files.map((file) => file.text).join('---\n');
}

function documentYaml(w: Writer, i: number): string {
  const kind = pick(w.random, KINDS);
  const name = `${pick(w.random, NAMES)}-${i}`;
  const header = [
    `# ${kind} ${name}, generated`,
    `apiVersion: ${API_VERSIONS[kind]}`,
    `kind: ${kind}`,
    'metadata:',
    `  name: ${w.random() < 0.2 ? `"${name}"` : name}`,
    `  namespace: ${pick(w.random, NAMESPACES)}`,
    `  labels: &labels {app: ${name}, tier: "${pick(w.random, ['front', 'back', 'batch'])}"}`,
  ];
  return [...header, ...body(w, kind, name), ''].join('\n');
}

function body(w: Writer, kind: Kind, name: string): string[] {
  switch (kind) {
    case 'Service':
      return serviceYaml(w);
    case 'ConfigMap':
      return configMapYaml(w, name);
    case 'Secret':
      return secretYaml(w, name);
    case 'Pod':
      return ['spec:', ...podSpec(w, 2)];
    case 'CronJob':
      return [
        'spec:',
        `  schedule: "${between(w.random, 0, 59)} * * * *"`,
        '  jobTemplate:',
        '    spec:',
        '      template:',
        '        metadata: {labels: *labels}',
        '        spec:',
        ...podSpec(w, 10),
      ];
    default:
      return [
        'spec:',
        ...(kind === 'Job' ? ['  backoffLimit: 2'] : [`  replicas: ${between(w.random, 1, 5)}`]),
        ...(kind === 'Job' ? [] : ['  selector:', '    matchLabels: *labels']),
        ...(kind === 'StatefulSet' ? [`  serviceName: ${name}`] : []),
        '  template:',
        '    metadata:',
        '      labels: *labels',
        '      annotations: {"prometheus.io/scrape": "true"}',
        '    spec:',
        ...podSpec(w, 6),
      ];
  }
}

function podSpec(w: Writer, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  if (w.random() < 0.3) lines.push(`${pad}imagePullSecrets: [{name: regcred}]`);
  if (w.random() < 0.2)
    lines.push(`${pad}nodeSelector: {kubernetes.io/arch: ${pick(w.random, ['amd64', 'arm64'])}}`);
  if (w.random() < 0.25) lines.push(`${pad}initContainers:`, ...flowContainer(w, pad, 'init'));
  lines.push(`${pad}containers:`, ...mainContainer(w, pad));
  const sidecars = between(w.random, 0, 2);
  for (let s = 0; s < sidecars; s++) {
    lines.push(...(w.random() < 0.5 ? mergedSidecar(w, pad, s) : flowContainer(w, pad, `sidecar-${s}`)));
  }
  lines.push(`${pad}restartPolicy: ${pick(w.random, ['Always', 'OnFailure', 'Never'])}`);
  return lines;
}

function image(w: Writer): string {
  w.images++;
  const ref = `${pick(w.random, REGISTRIES)}${pick(w.random, NAMES)}:${between(w.random, 1, 3)}.${between(w.random, 0, 20)}.${between(w.random, 0, 9)}`;
  const quote = w.random();
  return quote < 0.3 ? `"${ref}"` : quote < 0.45 ? `'${ref}'` : ref;
}

function mainContainer(w: Writer, pad: string): string[] {
  return [
    `${pad}  - &main`,
    `${pad}    name: main`,
    `${pad}    image: ${image(w)}`,
    `${pad}    imagePullPolicy: IfNotPresent`,
    `${pad}    args: ["--port", "${between(w.random, 1024, 9999)}", --verbose]`,
    `${pad}    ports:`,
    `${pad}      - {containerPort: 8080, protocol: TCP}`,
    `${pad}    env:`,
    `${pad}      - name: LOG_LEVEL`,
    `${pad}        value: "${pick(w.random, ['debug', 'info', 'warn'])}"`,
    `${pad}      - {name: REGION, value: 'eu-west-1'}`,
    `${pad}    resources: &resources`,
    `${pad}      requests: {cpu: 100m, memory: 128Mi}`,
    `${pad}      limits: {cpu: "1", memory: 512Mi}`,
    `${pad}    readinessProbe:`,
    `${pad}      httpGet: {path: /healthz, port: 8080}`,
  ];
}

/** A sidecar written as `<<: *main` with its own name and image. */
function mergedSidecar(w: Writer, pad: string, s: number): string[] {
  return [
    `${pad}  - <<: *main`,
    `${pad}    name: sidecar-${s}`,
    `${pad}    image: ${image(w)}`,
    `${pad}    resources: *resources`,
  ];
}

function flowContainer(w: Writer, pad: string, name: string): string[] {
  return [`${pad}  - {name: ${name}, image: ${image(w)}, command: [sh, -c, "echo ready"]}`];
}

function serviceYaml(w: Writer): string[] {
  return [
    'spec:',
    '  selector: *labels',
    `  type: ${pick(w.random, ['ClusterIP', 'NodePort'])}`,
    '  ports:',
    `    - {name: http, port: 80, targetPort: ${between(w.random, 1024, 9999)}}`,
    '    - name: "metrics"',
    '      port: 9090',
  ];
}

function configMapYaml(w: Writer, name: string): string[] {
  const keys = between(w.random, 3, 12);
  const lines = ['data:'];
  for (let k = 0; k < keys; k++) lines.push(`  key-${k}: "value ${between(w.random, 0, 1e6)}"`);
  lines.push(
    '  app.yaml: |',
    `    # config for ${name}`,
    '    server:',
    `      port: ${between(w.random, 1024, 9999)}`,
    '      image: not-a-container-image:1.0',
    '    features: [a, b, c]',
  );
  return lines;
}

function secretYaml(w: Writer, name: string): string[] {
  if (w.random() < 0.5) {
    const auth = Buffer.from(`user-${name}:pw-${between(w.random, 0, 1e6)}`).toString('base64');
    const config = { auths: { 'registry.example.com:5000': { auth } } };
    return [
      'type: kubernetes.io/dockerconfigjson',
      'data:',
      `  .dockerconfigjson: ${Buffer.from(JSON.stringify(config)).toString('base64')}`,
    ];
  }
  return [
    'type: Opaque',
    'stringData:',
    `  password: '${between(w.random, 0, 1e9)}'`,
    `  username: admin-${name}`,
  ];
}
