import type { SourceLocation } from '../../findings.js';
import type { ManifestProblem } from '../../manifests/types.js';
import type { ImageOverride } from '../kustomize/image-tag.js';
import type { ImagePatch } from './patches.js';
import type { InlineValues } from './values.js';

/** An image override an Argo CD or Flux object sets, with the line a person edits to change it. */
export interface ImageOverrideAt {
  override: ImageOverride;
  location: SourceLocation;
  /** For messages: `apps/guestbook.yaml kustomize.images`. */
  via: string;
}

/** A Flux substitution variable and where it is defined. */
export interface DefinedVariable {
  value: string;
  location: SourceLocation;
  /** For messages: `clusters/prod/apps.yaml postBuild.substitute`. */
  via: string;
}

export interface SubstitutionPlan {
  variables: Map<string, DefinedVariable>;
  /** False when a `substituteFrom` source is not in the repository: undefined variables stay unresolved. */
  complete: boolean;
}

/** How the controller reads the path. */
export type Layout =
  /** kustomize-controller: the kustomization, else one generated over every manifest below the path. */
  | { kind: 'flux' }
  /** Argo CD: the kustomization, else a plain directory (`directory.recurse`, include/exclude globs). */
  | { kind: 'argocd'; recurse: boolean; include?: string; exclude?: string }
  /** A Helm chart in this repository: values files (absolute, lowest precedence first), then inline values. */
  | { kind: 'helm'; valueFiles: string[]; inline: InlineValues; release?: string };

/** One in-repository path an Argo CD Application or Flux Kustomization deploys, with what it sets. */
export interface GitOpsUnit {
  /** `Application guestbook`, `Kustomization flux-system/apps`. */
  label: string;
  /** The object's file (absolute) and where a finding about the whole render goes. */
  objectFile: string;
  anchor: SourceLocation;
  /** The directory rendered (absolute). */
  dir: string;
  layout: Layout;
  /** The path's kustomization file (absolute), when it has one. */
  kustomization?: string;
  images: ImageOverrideAt[];
  /** Inline strategic-merge patches that set container images (applied before `images`). */
  patches: ImagePatch[];
  namePrefix?: string;
  nameSuffix?: string;
  /** `force`: every object (targetNamespace, kustomize namespace); else objects naming none. */
  namespace?: { value: string; force: boolean };
  substitution?: SubstitutionPlan;
  /** Other files that decide the render (override files, substitution sources), absolute. */
  inputs: string[];
}

/** What reading the Argo CD and Flux objects found: units to render and problems to report. */
export interface GitOpsPlan {
  units: GitOpsUnit[];
  problems: ManifestProblem[];
}
