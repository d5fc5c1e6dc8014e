import type { RelatedLocation, ResourceRef, SourceLocation } from '../findings.js';

/** A string value from a manifest together with where it is written. */
export interface LocatedString extends SourceLocation {
  value: string;
}

export type ContainerField = 'containers' | 'initContainers' | 'ephemeralContainers';

/**
 * Which node architectures a pod may land on (§4): `null` means the manifest does not say, so the
 * cluster's default platform applies.
 */
export interface PlatformConstraint {
  /** Allowed `kubernetes.io/arch` values, or null when unconstrained. */
  architectures: string[] | null;
  /** Architectures excluded by a `NotIn` node-affinity term. */
  excluded: string[];
  /** Where the constraint is written, if anywhere. */
  source?: SourceLocation;
}

/** What the kubelet needs to know about the pod that runs a container. */
export interface PodContext {
  resource: ResourceRef;
  /** Whether the namespace came from the manifest (false: the default-namespace setting). */
  namespaceExplicit: boolean;
  imagePullSecrets: LocatedString[];
  serviceAccountName: string;
  platforms: PlatformConstraint;
}

/** How a rendered image was traced back to the line to edit, most exact first. */
export type RenderMapping = 'exact' | 'derived' | 'heuristic' | 'root';

/** For an image from kustomize or helm output: which render produced it and how its position was found. */
export interface RenderedFrom {
  mapping: RenderMapping;
  /** The kustomize root or Helm chart (with its values files) that rendered it. */
  root: string;
  /** Why this line, for the finding's message: `set by overlays/prod/kustomization.yaml newTag`. */
  via: string;
  /** Other lines that explain it: the `image:` line an Argo CD or Flux override applied to. */
  related?: RelatedLocation[];
}

/** What src/render adds to a finding about a rendered image (the JSON report reads it). */
export interface RenderedFindingFields {
  mapping: RenderMapping;
  /** Every root whose output produced this finding at this line. */
  renderedBy: string[];
}

/** One container's image, positioned exactly on the `image:` value as written. */
export interface ContainerImage extends SourceLocation {
  /** The image string exactly as written (after YAML unquoting); for rendered output, as rendered. */
  image: string;
  container: string;
  field: ContainerField;
  imagePullPolicy?: string;
  pod: PodContext;
  /** Present when the image comes from rendered output; the position is then the source's. */
  rendered?: RenderedFrom;
}

export interface ServiceAccountManifest extends SourceLocation {
  name: string;
  namespace: string;
  imagePullSecrets: LocatedString[];
}

/** One `auths` entry of a docker config: the credentials the kubelet would use for `key`. */
export interface RegistryCredential {
  /** The key as written in the secret, e.g. `https://index.docker.io/v1/` or `*.example.com`. */
  key: string;
  username: string;
  password: string;
}

/**
 * A v1 Secret a pod may name in `imagePullSecrets`. Secrets of every type are kept: the kubelet
 * ignores those not of a pull-secret type, and a pod naming one must be told so.
 */
export interface PullSecretManifest extends SourceLocation {
  name: string;
  namespace: string;
  /** As written; `Opaque` (the API server's default) when absent. */
  type: string;
  /** Where `type:` is written, when it is. */
  typeAt?: SourceLocation;
  /** For a type the kubelet ignores: the docker config key it holds anyway, if any. */
  holds?: '.dockerconfigjson' | '.dockercfg';
  /** Usable entries; empty when the secret could not be decoded (see `problem`). */
  credentials: RegistryCredential[];
  /** Why the secret is unusable, in plain English, never quoting its content. */
  problem?: string;
}

export type ManifestProblemKind =
  | 'parse-error'
  | 'too-large'
  | 'unreadable'
  | 'not-text'
  | 'template'
  | 'not-manifest'
  | 'duplicate-key'
  | 'symlink-outside'
  | 'secret-invalid'
  // Rendering kustomizations and charts (src/render).
  | 'kustomize-render-error'
  | 'helm-render-error'
  | 'helm-dependencies-missing'
  | 'helm-values-number'
  | 'kustomize-image-unused'
  | 'kustomize-remote-base'
  | 'render-capped'
  | 'render-tool-missing'
  // The scan's overall deadline (max-duration) came before this root was rendered.
  | 'max-duration'
  // Argo CD and Flux objects (src/render/gitops).
  | 'gitops-render-error'
  | 'gitops-substitution-unresolved'
  | 'gitops-source-not-checked'
  | 'gitops-path-not-scanned';

/** Something about a file that is not an image but must not be lost. */
export interface ManifestProblem extends SourceLocation {
  kind: ManifestProblemKind;
  message: string;
  resource?: ResourceRef;
}

/** `# imagepull-preflight: ignore[rule-a,rule-b] reason`: silences those rules on its line and the next. */
export interface SuppressionComment {
  file: string;
  line: number;
  /** Rule IDs; empty means every rule. */
  rules: string[];
  reason: string;
}

export interface ManifestSet {
  images: ContainerImage[];
  suppressions: SuppressionComment[];
  serviceAccounts: ServiceAccountManifest[];
  pullSecrets: PullSecretManifest[];
  problems: ManifestProblem[];
  /** Files read, relative to the working directory. */
  files: string[];
}
