// Vendored manifests from public repositories (test/fixtures/real-world/README.md names each source,
// commit and licence): every image a person reading them would list is found, nothing is lost to a
// parse error, and only real templates are set aside.
import { execFileSync } from 'node:child_process';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanOffline } from '../support/run.js';
import { removeDir, scratchDir } from '../render/support.js';

interface Expected {
  /**
   * The repository's URL, for GitOps repositories: scanned as a user's checkout of it (its own git
   * top directory with this origin), since Argo CD and Flux paths are relative to that top directory.
   */
  origin?: string;
  images: string[];
  roots: string[];
  /** Findings other than mutable-tag, as `rule file:line`. */
  findings: string[];
  /** Where images were traced to, as `reference file:line mapping`, when that is the point. */
  locations?: string[];
  /** How many distinct file:line image locations, when every `image:` line is plain to count. */
  imageLines?: number;
}

const REPOSITORIES: Record<string, Expected> = {
  'kubernetes-examples': {
    images: [
      'gcr.io/google-samples/cassandra:v14',
      'gcr.io/google-samples/gb-frontend:v5',
      'gcr.io/google_samples/gb-frontend:v4',
      'gcr.io/google_samples/gb-redisslave:v1',
      'registry.k8s.io/redis:e2e',
      'vitess/guestbook:v2.0.0-alpha5',
      'vitess/lite:v2.0.0-alpha5',
    ],
    roots: [],
    // Vitess's templates name objects `etcd-{{cell}}`: set aside with a notice, the rest checked.
    findings: [
      'template-not-rendered _archived/storage/vitess/etcd-controller-template.yaml:6',
      'template-not-rendered _archived/storage/vitess/etcd-service-template.yaml:7',
      'template-not-rendered _archived/storage/vitess/vtgate-controller-template.yaml:6',
      'template-not-rendered _archived/storage/vitess/vttablet-pod-template.yaml:4',
    ],
  },
  'kustomize-examples': {
    images: [
      'debian',
      'jingfang/sbdemo',
      'monopole/hello:1',
      'mysql:5.6',
      'nginx:1.7.9',
      'osixia/openldap:1.1.11',
      'wordpress:4.8-apache',
    ],
    roots: [
      'examples/helloWorld',
      'examples/ldap/overlays/production',
      'examples/ldap/overlays/staging',
      'examples/multibases',
      'examples/springboot/overlays/production',
      'examples/springboot/overlays/staging',
      'examples/wordpress',
    ],
    findings: [],
  },
  // PrometheusRules full of `{{ $labels.instance }}` and Grafana dashboards full of `{{instance}}`:
  // data, not templates; the workloads beside them are all checked.
  'kube-prometheus': {
    images: [
      'ghcr.io/jimmidyson/configmap-reload:v0.15.0',
      'grafana/grafana:13.1.3',
      'quay.io/brancz/kube-rbac-proxy:v0.22.1',
      'quay.io/prometheus-operator/prometheus-operator:v0.93.1',
      'quay.io/prometheus/alertmanager:v0.33.1',
      'quay.io/prometheus/blackbox-exporter:v0.28.0',
      'quay.io/prometheus/node-exporter:v1.12.1',
      'quay.io/prometheus/prometheus:v3.13.2',
      'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.19.1',
      'registry.k8s.io/prometheus-adapter/prometheus-adapter:v0.12.0',
    ],
    roots: ['.'],
    findings: [],
  },
  istio: {
    images: [
      'docker.io/istio/examples-bookinfo-details-v1:1.20.1',
      'docker.io/istio/examples-bookinfo-productpage-v1:1.20.1',
      'docker.io/istio/examples-bookinfo-ratings-v1:1.20.1',
      'docker.io/istio/examples-bookinfo-reviews-v1:1.20.1',
      'docker.io/istio/examples-bookinfo-reviews-v2:1.20.1',
      'docker.io/istio/examples-bookinfo-reviews-v3:1.20.1',
    ],
    roots: [],
    findings: [],
  },
  // The current layout: Flux Kustomizations whose source is an ExternalArtifact an ArtifactGenerator
  // copies from the flux-system GitRepository. Every workload comes from a chart in a Helm or OCI
  // repository: one notice each (podinfo's once, for staging and production), never fetched.
  'flux2-kustomize-helm-example': {
    origin: 'https://github.com/fluxcd/flux2-kustomize-helm-example',
    images: [],
    roots: [
      'clusters/production/flux-system',
      'clusters/staging/flux-system',
      'Kustomization flux-system/apps (clusters/production/apps.yaml)',
      'Kustomization flux-system/infra-controllers (clusters/production/infrastructure.yaml)',
      'Kustomization flux-system/infra-configs (clusters/production/infrastructure.yaml)',
      'Kustomization flux-system/apps (clusters/staging/apps.yaml)',
      'Kustomization flux-system/infra-controllers (clusters/staging/infrastructure.yaml)',
      'Kustomization flux-system/infra-configs (clusters/staging/infrastructure.yaml)',
    ],
    findings: [
      'gitops-source-not-checked apps/base/podinfo/release.yaml:11',
      'gitops-source-not-checked infrastructure/controllers/cert-manager.yaml:38',
      'gitops-source-not-checked infrastructure/controllers/envoy-gateway.yaml:39',
    ],
  },
  // Rendered by the real helm: `image.registry`/`repository`, an empty `tag` and a helper falling back
  // to `printf "v%s" .Chart.AppVersion` — the tag is Chart.yaml's appVersion line to edit. The
  // chart's `unittests/` and `ci/` values files are not manifests.
  'kube-state-metrics-chart': {
    images: ['registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0'],
    roots: ['charts/kube-state-metrics'],
    findings: [],
    locations: [
      'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0 charts/kube-state-metrics/Chart.yaml:12 derived',
    ],
  },
  // Custom resources: Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow with
  // container, script, containerSet, initContainers, sidecars and daemons — all 25 image: lines.
  'argo-workflows': {
    images: [
      'alpine:3.23',
      'argoproj/argosay:v2',
      'busybox',
      'curlimages/curl:latest',
      'docker:19.03.13',
      'docker:19.03.13-dind',
      'nginx:1.13',
      'python:alpine3.23',
    ],
    roots: [],
    findings: [],
    imageLines: 25,
  },
  // Every step image is a param (`$(params.BUILDER_IMAGE)`, `golang:$(params.version)`) that Tekton
  // fills in when the task runs: a notice each, never an invalid-reference error.
  'tekton-catalog': {
    images: [
      '$(params.BUILDER_IMAGE)',
      '$(params.WRITER_IMAGE)',
      '$(params.gitInitImage)',
      'docker.io/library/golang:$(params.version)',
    ],
    roots: [],
    findings: [
      'deploy-time-substitution task/buildah/0.9/buildah.yaml:78',
      'deploy-time-substitution task/git-clone/0.10/git-clone.yaml:121',
      'deploy-time-substitution task/golang-build/0.3/golang-build.yaml:55',
      'deploy-time-substitution task/kaniko/0.7/kaniko.yaml:52',
      'deploy-time-substitution task/kaniko/0.7/kaniko.yaml:65',
    ],
  },
};

const checkouts: string[] = [];
afterAll(async () => {
  for (const dir of checkouts) await removeDir(dir);
});

async function checkout(repository: string, origin: string | undefined): Promise<string> {
  const fixture = `test/fixtures/real-world/${repository}`;
  if (!origin) return fixture;
  const dir = await scratchDir(repository);
  checkouts.push(dir);
  await cp(path.resolve(fixture), dir, { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: dir });
  execFileSync('git', ['remote', 'add', 'origin', `${origin}.git`], { cwd: dir });
  return dir;
}

describe('real-world repositories', () => {
  it.each(Object.entries(REPOSITORIES))(
    '%s: every image found, nothing dropped',
    async (repository, expected) => {
      const result = await scanOffline(await checkout(repository, expected.origin));
      expect([...new Set(result.images.map((image) => image.reference))].sort()).toEqual(expected.images);
      expect(result.rendered.roots).toEqual(expected.roots);
      expect(
        result.findings.filter((f) => f.rule !== 'mutable-tag').map((f) => `${f.rule} ${f.file}:${f.line}`),
      ).toEqual(expected.findings);
      if (expected.locations) {
        expect(
          result.images.flatMap((image) =>
            image.locations.map((l) => `${image.reference} ${l.file}:${l.line} ${l.mapping ?? ''}`.trim()),
          ),
        ).toEqual(expected.locations);
      }
      if (expected.imageLines !== undefined) {
        const lines = result.images.flatMap((image) => image.locations.map((l) => `${l.file}:${l.line}`));
        expect(new Set(lines).size).toBe(expected.imageLines);
      }
    },
    60_000,
  );
});
