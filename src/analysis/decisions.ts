/**
 * What the analysis decided, as data: a rule and the facts behind it. Wording (message, fix, related
 * locations) is done in one place, `messages.ts`, so deciding and explaining change independently.
 */
import type { SourceLocation } from '../findings.js';
import type { ImageReference } from '../reference/types.js';
import type { Platform } from '../registry/types.js';
import type { ImageStatus } from './images.js';
import type { RuleId } from './rules.js';

/** A pull-secret entry the kubelet would use: where it is written, never what it holds. */
export interface SecretEntryFacts {
  secretName: string;
  /** The registry key as written in the secret. */
  key: string;
  location?: SourceLocation;
}

/** A Secret the pod names whose type the kubelet does not read. */
export interface IgnoredSecretFacts {
  name: string;
  type: string;
  /** The `imagePullSecrets` entry naming it. */
  written: SourceLocation;
  /** The `type:` line, or the Secret's name when no type is written. */
  typeAt: SourceLocation;
  typeWritten: boolean;
  /** The docker config key it holds anyway, which says the type it should have. */
  holds?: '.dockerconfigjson' | '.dockercfg';
}

/** The facts each rule's wording needs. */
export interface DecisionFacts {
  'invalid-reference': { written: string; reason: string };
  'deploy-time-substitution': { written: string; variable: string };
  'pull-policy-never': { reference: ImageReference };
  'mutable-tag': { reference: ImageReference; digest?: string };
  'platform-not-in-index': {
    reference: ImageReference;
    missing: Platform[];
    available: Platform[];
    /** Where the pod's node architecture constraint is written. */
    constraint?: SourceLocation;
  };
  'platform-manifest-missing': {
    reference: ImageReference;
    /** Per wanted platform: the index entry containerd picks, whose manifest the registry no longer has. */
    gone: Array<{ wanted: Platform; listed: Platform; digest: string }>;
  };
  'platform-mismatch': {
    reference: ImageReference;
    built: Platform;
    wanted: Platform[];
    constraint?: SourceLocation;
  };
  'registry-error':
    | { cause: 'server-error'; reference: ImageReference; reason: string }
    | { cause: 'platform-unreadable'; reference: ImageReference; reason: string; wanted: Platform[] }
    | {
        cause: 'child-unreadable';
        reference: ImageReference;
        reason: string;
        listed: Platform;
        digest: string;
      };
  'registry-rate-limited': {
    reference: ImageReference;
    remaining?: string;
    limit?: string;
    retryAfterSeconds?: number;
  };
  'registry-refused': { reason: string };
  'max-duration-exceeded': { reference: ImageReference; limit: string };
  'registry-unreachable': { reference: ImageReference; reason: string };
  'repository-not-found': { reference: ImageReference };
  'digest-not-found': { reference: ImageReference; digest: string; tags: string[]; tagListFailure?: string };
  'tag-not-found': {
    reference: ImageReference;
    tag: string;
    closest: string[];
    tagListFailure?: string;
    /** The tag list was read and is empty. */
    listsNoTags: boolean;
  };
  'access-denied': { reference: ImageReference; entries: SecretEntryFacts[] };
  'pull-secret-rejected': {
    reference: ImageReference;
    entries: SecretEntryFacts[];
    /** A 401 that may mean "no access" or "no such repository". */
    ambiguous: boolean;
    detail?: string;
  };
  'node-credentials': { reference: ImageReference };
  'pull-secret-wrong-namespace': {
    namespace: string;
    references: Array<{ name: string; namespaces: string[]; written: SourceLocation }>;
  };
  /** With `reference`, on the image line (the pull it breaks); without, on the `imagePullSecrets` entry. */
  'pull-secret-wrong-type': { reference?: ImageReference; secrets: IgnoredSecretFacts[] };
  'pull-secret-no-matching-entry': {
    reference: ImageReference;
    secrets: Array<{ name: string; location: SourceLocation }>;
  };
  'not-found-or-private': { reference: ImageReference; namespace: string };
  'credentials-required': {
    reference: ImageReference;
    /** A look with the CI's credentials found the image. */
    exists: boolean;
    namespace: string;
    serviceAccountName: string;
  };
  'pull-secret-not-in-repository': {
    reference: ImageReference;
    /** Secret names only the cluster knows (or a ServiceAccount's, described). */
    unknown: string[];
    /** A look with the CI's credentials found the image. */
    imageSeen: boolean;
  };
  'ecr-static-token': { reference: ImageReference; entries: SecretEntryFacts[] };
  'image-pending': {
    reference: ImageReference;
    /** The pending-images entry it matched, as written. */ pattern: string;
  };
}

export type DecidedRule = keyof DecisionFacts & RuleId;

/**
 * `at`: where the finding goes when it is not the container's `image:` line. `waitedMs`: decided after
 * waiting this long for the image to appear (wait-for-images).
 */
export type Decision = {
  [R in DecidedRule]: { rule: R; facts: DecisionFacts[R]; at?: SourceLocation };
}[DecidedRule] & { waitedMs?: number };

/** Shorthand that keeps the rule and its facts in step. */
export function decide<R extends DecidedRule>(
  rule: R,
  facts: DecisionFacts[R],
  at?: SourceLocation,
): Decision {
  return (at ? { rule, facts, at } : { rule, facts }) as Decision;
}

/** What the kubelet's pull of one container would get. */
export interface PullVerdict {
  status: ImageStatus;
  digest?: string;
  decisions: Decision[];
}
