import type { Severity } from '../findings.js';

/**
 * The catalogue of rules. IDs are stable: users suppress them, SARIF fingerprints them. `docs/rules.md`
 * documents each one and a test keeps the two equal.
 */
export interface Rule {
  id: string;
  severity: Severity;
  title: string;
  /** What `kubectl describe pod` would show, or why the rule matters if nothing shows. */
  clusterShows: string;
  /** The fix, in general; findings say the specific one. */
  fix: string;
}

const RULE_LIST = [
  // Errors: the pull will fail.
  {
    id: 'invalid-reference',
    severity: 'error',
    title: 'Image reference does not parse',
    clusterShows: 'InvalidImageName: Failed to apply default image tag: couldnotparse image reference',
    fix: 'Write the image as [registry[:port]/]repository[:tag][@digest] with a lowercase repository.',
  },
  {
    id: 'tag-not-found',
    severity: 'error',
    title: 'Tag does not exist in the repository',
    clusterShows: 'ErrImagePull: manifest unknown, then ImagePullBackOff',
    fix: 'Use a tag that exists (the finding lists the closest ones) or push the image before merging.',
  },
  {
    id: 'digest-not-found',
    severity: 'error',
    title: 'Digest does not exist in the repository',
    clusterShows: 'ErrImagePull: manifest unknown, then ImagePullBackOff',
    fix: 'Pin a digest that exists in this repository (docker buildx imagetools inspect <image>).',
  },
  {
    id: 'repository-not-found',
    severity: 'error',
    title: 'Repository does not exist on the registry',
    clusterShows: 'ErrImagePull: repository name not known to registry, then ImagePullBackOff',
    fix: 'Correct the registry or repository name, or push the image before merging.',
  },
  {
    id: 'not-found-or-private',
    severity: 'error',
    title: 'Repository does not exist or is private',
    clusterShows: 'ErrImagePull: pull access denied, repository does not exist or may require authorization',
    fix: 'Check the repository name; if it is private, add an imagePullSecret with access to it.',
  },
  {
    id: 'credentials-required',
    severity: 'error',
    title: 'Registry requires credentials and the pod has none for it',
    clusterShows: 'ErrImagePull: authorization failed / no basic auth credentials, then ImagePullBackOff',
    fix: 'Create a docker-registry secret for this registry and list it in imagePullSecrets.',
  },
  {
    id: 'pull-secret-rejected',
    severity: 'error',
    title: 'The registry rejects the pull secret',
    clusterShows: 'ErrImagePull: unauthorized: authentication required, then ImagePullBackOff',
    fix: 'Update the secret with valid credentials that can pull this repository.',
  },
  {
    id: 'access-denied',
    severity: 'error',
    title: 'The registry denies access to the repository',
    clusterShows: 'ErrImagePull: denied: requested access to the resource is denied',
    fix: 'Grant the pull secret’s account read access to the repository, or use an account that has it.',
  },
  {
    id: 'pull-secret-wrong-namespace',
    severity: 'error',
    title: 'Pull secret is in another namespace',
    clusterShows: 'Unable to retrieve some image pull secrets; then ErrImagePull without credentials',
    fix: 'Create the secret in the pod’s namespace; the kubelet reads pull secrets only from there.',
  },
  {
    id: 'pull-secret-no-matching-entry',
    severity: 'error',
    title: 'Pull secret has no entry for this registry',
    clusterShows: 'ErrImagePull: no basic auth credentials, then ImagePullBackOff',
    fix: 'Add an entry for this registry host (exact host[:port], as the kubelet matches) to the secret.',
  },
  {
    id: 'pull-secret-wrong-type',
    severity: 'error',
    title: 'Pull secret is of a type the kubelet does not read',
    clusterShows:
      'ErrImagePull without credentials: the kubelet ignores the secret silently, pulls anonymously and the registry refuses',
    fix: 'Recreate the secret as type kubernetes.io/dockerconfigjson (kubectl create secret docker-registry, not generic); a Secret’s type cannot be changed in place.',
  },
  {
    id: 'pull-secret-invalid',
    severity: 'error',
    title: 'Pull secret cannot be decoded',
    clusterShows: 'The kubelet skips the secret; the pull proceeds without its credentials',
    fix: 'Recreate it with kubectl create secret docker-registry NAME --docker-server=… --docker-username=…',
  },
  {
    id: 'platform-not-in-index',
    severity: 'error',
    title: 'The image has no variant for the pod’s platform',
    clusterShows: 'ErrImagePull: no match for platform in manifest: not found',
    fix: 'Build and push the image for this platform, or schedule the pod onto nodes the image supports.',
  },
  {
    id: 'platform-manifest-missing',
    severity: 'error',
    title: 'The index lists the pod’s platform, but that manifest is gone',
    clusterShows:
      'ErrImagePull: failed to copy: httpReadSeeker: failed open: content at …/manifests/sha256:… not found: not found, then ImagePullBackOff',
    fix: 'Push the image again (every platform the index lists), or pin a digest whose manifests all exist; check the registry’s lifecycle rules for untagged manifests.',
  },
  {
    id: 'manifest-parse-error',
    severity: 'error',
    title: 'Manifest cannot be parsed',
    clusterShows: 'kubectl apply fails: error converting YAML to JSON',
    fix: 'Fix the YAML at the position shown.',
  },
  {
    id: 'kustomize-render-error',
    severity: 'error',
    title: 'Kustomization does not build',
    clusterShows: 'kubectl apply -k fails with the same error; nothing from this overlay is applied',
    fix: 'Fix the kustomization so that kubectl kustomize builds it (the finding quotes kustomize’s error).',
  },
  {
    id: 'helm-render-error',
    severity: 'error',
    title: 'Helm chart does not render',
    clusterShows: 'helm install / upgrade fails with the same error; nothing from this release is applied',
    fix: 'Fix the chart or its values so that helm template renders it (the finding quotes helm’s error).',
  },
  {
    id: 'gitops-render-error',
    severity: 'error',
    title: 'Argo CD Application or Flux Kustomization cannot be rendered',
    clusterShows:
      'The Application or Kustomization fails to sync with the same error; nothing from it is applied',
    fix: 'Fix what the finding names (the path, the override file, the substitution) so that the controller can build it.',
  },
  // Warnings: cannot be verified from here, or will break later.
  {
    id: 'pull-secret-not-in-repository',
    severity: 'warning',
    title: 'Pull secret is not in this repository',
    clusterShows: 'Depends on the secret that exists in the cluster',
    fix: 'Nothing, if the secret exists in the cluster; add its manifest (or a sealed form) to verify it here.',
  },
  {
    id: 'pull-policy-never',
    severity: 'warning',
    title: 'imagePullPolicy: Never',
    clusterShows: 'ErrImageNeverPull unless the image is preloaded on every node',
    fix: 'Use IfNotPresent unless the image is preloaded on every node the pod can run on.',
  },
  {
    id: 'platform-mismatch',
    severity: 'warning',
    title: 'Single-platform image built for another architecture',
    clusterShows: 'The pull succeeds, then the container crashes: exec format error',
    fix: 'Publish a multi-platform image or schedule the pod onto nodes of the image’s architecture.',
  },
  {
    id: 'registry-unreachable',
    severity: 'warning',
    title: 'Registry could not be reached; not verified',
    clusterShows: 'Unknown: the registry did not answer this check',
    fix: 'Check the registry host; for a private network registry use node-credentials or run on a runner that reaches it.',
  },
  {
    id: 'registry-rate-limited',
    severity: 'warning',
    title: 'Registry rate limit reached; not verified',
    clusterShows: 'Nodes may also hit: toomanyrequests: You have reached your pull rate limit',
    fix: 'Authenticate to the registry (registry-auth input, docker/login-action) or mirror the image.',
  },
  {
    id: 'registry-error',
    severity: 'warning',
    title: 'Registry answered with an error; not verified',
    clusterShows: 'Unknown: the registry failed while answering this check',
    fix: 'Retry later; if it persists, check the registry’s health.',
  },
  {
    id: 'registry-refused',
    severity: 'warning',
    title: 'Check refused for safety; not verified',
    clusterShows: 'Unknown: the registry asked for something this action will not do',
    fix: 'Check the registry’s authentication settings (token realm, redirects).',
  },
  {
    id: 'max-duration-exceeded',
    severity: 'warning',
    title: 'Scan reached max-duration before this was checked; not verified',
    clusterShows: 'Unknown: this image (or this kustomization or chart) was not checked in time',
    fix: 'Raise max-duration, or find the slow registry or render in the run’s warnings and fix or exclude it.',
  },
  {
    id: 'ecr-static-token',
    severity: 'warning',
    title: 'Pull secret holds a static ECR token',
    clusterShows: 'Pulls start failing with 401 when the token expires, 12 hours after it was made',
    fix: 'Use the kubelet ECR credential provider or a controller that refreshes the secret.',
  },
  {
    id: 'node-credentials',
    severity: 'warning',
    title: 'Pull relies on node credentials',
    clusterShows: 'Depends on the node’s credential provider (ECR/GCR/ACR) or config.json',
    fix: 'Nothing, if the nodes can pull from this registry; otherwise add an imagePullSecret.',
  },
  {
    id: 'manifest-skipped',
    severity: 'warning',
    title: 'File was not scanned',
    clusterShows: 'Nothing: images in this file were not checked',
    fix: 'Make the file UTF-8 text under the size limit (max-file-size), or exclude it from paths.',
  },
  {
    id: 'kustomize-image-unused',
    severity: 'warning',
    title: 'Kustomize images entry matches no container',
    clusterShows: 'Nothing: kustomize ignores the entry silently, so the containers keep the image they had',
    fix: 'Make name match the image as the bases write it (without tag or digest), or delete the entry.',
  },
  {
    id: 'kustomize-remote-base',
    severity: 'warning',
    title: 'Remote kustomize base not fetched; not verified',
    clusterShows:
      'Unknown: the overlays that use this base were not rendered, so their images were not checked',
    fix: 'Vendor the base into the repository, or set kustomize-remote: true to let the check fetch it.',
  },
  {
    id: 'gitops-substitution-unresolved',
    severity: 'warning',
    title: 'Flux substitution variable not resolved; not verified',
    clusterShows: 'Depends on the ConfigMap or Secret that exists in the cluster',
    fix: 'Add the ConfigMap or Secret named in substituteFrom to the repository (or mark it optional: true and give a default).',
  },
  {
    id: 'manifest-duplicate-key',
    severity: 'warning',
    title: 'Key set twice in one mapping',
    clusterShows:
      'kubectl apply -f keeps the later value silently; kubectl kustomize refuses the file (mapping key already defined)',
    fix: 'Delete one of the two keys, keeping the value you mean.',
  },
  {
    id: 'render-roots-capped',
    severity: 'warning',
    title: 'Render budget reached; some roots not rendered',
    clusterShows: 'Nothing: the kustomize roots, charts and Argo CD/Flux objects left out were not checked',
    fix: 'Raise max-render-roots, or narrow paths to the roots this change affects.',
  },
  {
    id: 'helm-dependencies-missing',
    severity: 'warning',
    title: 'Helm chart dependencies not vendored; not verified',
    clusterShows:
      'Unknown: the chart was not rendered, so its images were not checked (helm install fails the same way until helm dependency build runs)',
    fix: 'Set helm-dependencies: true to let the check run helm dependency build, or vendor the dependencies in charts/.',
  },
  {
    id: 'helm-values-number',
    severity: 'warning',
    title: 'Image value written as a number renders differently',
    clusterShows:
      'The kubelet pulls the tag as helm prints the number (1.20 becomes 1.2): another image, or ErrImagePull',
    fix: 'Quote the value in the values file (tag: "1.20") so helm renders it as written.',
  },
  // Notices.
  {
    id: 'mutable-tag',
    severity: 'notice',
    title: 'Mutable tag',
    clusterShows: 'imagePullPolicy defaults to Always; nodes may run different images over time',
    fix: 'Pin a version tag or digest.',
  },
  {
    id: 'template-not-rendered',
    severity: 'notice',
    title: 'Template file not scanned',
    clusterShows: 'Nothing: the rendered manifests are what the cluster sees',
    fix: 'Render it (helm template, kustomize build) and scan the output.',
  },
  {
    id: 'render-tool-missing',
    severity: 'notice',
    title: 'Chart or kustomization not rendered: tool not installed',
    clusterShows: 'Nothing: images in this chart or overlay were not checked',
    fix: 'Install helm (azure/setup-helm) or kubectl before this step so the check can render it.',
  },
  {
    id: 'gitops-source-not-checked',
    severity: 'notice',
    title: 'GitOps source outside this repository not checked',
    clusterShows: 'Depends on the chart or repository the controller fetches',
    fix: 'Nothing, if that source is checked where it lives; sources are never fetched from here.',
  },
  {
    id: 'gitops-path-not-scanned',
    severity: 'notice',
    title: 'GitOps path in this repository outside the scanned paths; not checked',
    clusterShows: 'Depends on the manifests under that path, which were not checked',
    fix: 'Add the path to paths (Argo CD and Flux paths count from the repository’s top folder) to check what it deploys.',
  },
  {
    id: 'deploy-time-substitution',
    severity: 'notice',
    title: 'Image is substituted at deploy time; not verified',
    clusterShows: 'Depends on the value substituted at deploy time',
    fix: 'Nothing, if a Flux Kustomization outside the scanned paths substitutes it (scan that Kustomization too to check the image), or Tekton fills in a step’s $(params…) when it runs.',
  },
  {
    id: 'image-pending',
    severity: 'notice',
    title: 'Image will be published by this workflow; not verified',
    clusterShows:
      'Nothing, once the workflow has pushed the image; ErrImagePull "manifest unknown" if it never does',
    fix: 'Nothing, if the workflow pushes the image before the change is deployed; set wait-for-images (--wait) to check it once pushed.',
  },
  {
    id: 'not-a-manifest',
    severity: 'notice',
    title: 'File is not a Kubernetes manifest',
    clusterShows: 'Nothing: kubectl would not apply this file',
    fix: 'Nothing, if the file is not meant for the cluster; otherwise exclude it from paths.',
  },
  {
    id: 'symlink-not-followed',
    severity: 'notice',
    title: 'Symbolic link out of the scanned tree not followed',
    clusterShows: 'Nothing: what the link points at was not read or checked',
    fix: 'Commit the file itself instead of a link to a place outside the repository.',
  },
] as const satisfies readonly Rule[];

export type RuleId = (typeof RULE_LIST)[number]['id'];

export const RULES: ReadonlyMap<RuleId, Rule> = new Map(RULE_LIST.map((rule) => [rule.id, rule]));

export function rule(id: RuleId): Rule {
  return RULES.get(id)!;
}
