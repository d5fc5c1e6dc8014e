// Vendored manifests from public repositories (test/fixtures/real-world/README.md names each source,
// commit and licence): every image a person reading them would list is found, nothing is lost to a
// parse error, and only real templates are set aside.
import { describe, expect, it } from 'vitest';
import { scanOffline } from '../support/run.js';

interface Expected {
  images: string[];
  roots: string[];
  /** Findings other than mutable-tag, as `rule file:line`. */
  findings: string[];
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
};

describe('real-world repositories', () => {
  it.each(Object.entries(REPOSITORIES))(
    '%s: every image found, nothing dropped',
    async (repository, expected) => {
      const result = await scanOffline(`test/fixtures/real-world/${repository}`);
      expect([...new Set(result.images.map((image) => image.reference))].sort()).toEqual(expected.images);
      expect(result.rendered.roots).toEqual(expected.roots);
      expect(
        result.findings.filter((f) => f.rule !== 'mutable-tag').map((f) => `${f.rule} ${f.file}:${f.line}`),
      ).toEqual(expected.findings);
    },
    60_000,
  );
});
