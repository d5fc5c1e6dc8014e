/**
 * Every finding's words, in one place: the message (what the cluster would show and why), the
 * specific fix (the rule's general fix in `rules.ts` when absent) and the related locations, from the
 * facts `decisions.ts` records. kube-linter's split of check data and message templates.
 */
import type { RelatedLocation, SourceLocation } from '../findings.js';
import { formatPlatform } from '../registry/platforms.js';
import type { Platform } from '../registry/types.js';
import type { Decision, DecidedRule, DecisionFacts, SecretEntryFacts } from './decisions.js';
import { formatDuration } from '../duration.js';

export interface Wording {
  message: string;
  /** The specific fix; the rule's general fix when omitted. */
  fix?: string;
  related?: RelatedLocation[];
}

const WORDING: { [R in DecidedRule]: (facts: DecisionFacts[R]) => Wording } = {
  'invalid-reference': ({ written, reason }) => ({
    message: `"${written}" is not a valid image reference (${reason}); the kubelet reports InvalidImageName and never pulls.`,
  }),
  'deploy-time-substitution': ({ written, variable }) => ({
    message: variable.startsWith('$(')
      ? `"${written}" holds ${variable}, substituted by Tekton when it runs (the param's default or the run's value); the image was not verified.`
      : `"${written}" holds ${variable}, substituted at deploy time (Flux postBuild.substitute or envsubst); the image was not verified.`,
  }),
  'pull-policy-never': ({ reference }) => ({
    message: `imagePullPolicy is Never: the kubelet will not pull ${reference.familiar}; the pod fails with ErrImageNeverPull unless the image is already on every node it can run on.`,
  }),
  'mutable-tag': ({ reference, digest }) => ({
    message: `${reference.tag ? 'The tag "latest"' : 'No tag, so "latest",'} is mutable: each node may pull a different image, and imagePullPolicy defaults to Always.`,
    fix: `Pin a version tag or a digest: ${reference.familiar.replace(/:latest$/, '')}@${digest ?? 'sha256:…'}`,
  }),
  'platform-not-in-index': ({ reference, missing, available, constraint }) => ({
    message: `${reference.familiar} has no image for ${platforms(missing)} (it has: ${platforms(available) || 'none'}); on such nodes the pull fails with ErrImagePull "no match for platform in manifest: not found", then ImagePullBackOff.`,
    fix: `Publish ${reference.familiar} for ${platforms(missing)}, or schedule the pod onto nodes it supports (nodeSelector kubernetes.io/arch: ${[...new Set(available.map((p) => p.architecture))].join(' or ')}).`,
    ...constraintRelated(constraint),
  }),
  'platform-manifest-missing': ({ reference, gone }) => ({
    message: `${reference.familiar}: ${gone.map(describeGone).join('; ')}, but the registry no longer has ${gone.length > 1 ? 'those manifests' : 'that manifest'}. containerd resolves the tag to the index, then fails fetching it: ErrImagePull "failed to copy: httpReadSeeker: failed open: content at …/manifests/${gone[0]!.digest} not found", then ImagePullBackOff.`,
    fix: `Push ${reference.familiar} again (the index and every platform it lists), or pin a digest whose manifests all exist; check the registry's lifecycle rules that expire untagged manifests an index still lists.`,
  }),
  'platform-mismatch': ({ reference, built, wanted, constraint }) => ({
    message: `${reference.familiar} is a single-platform image built for ${formatPlatform(built)}, but the pod runs on ${platforms(wanted)}: the pull succeeds, then the container fails with "exec format error".`,
    ...constraintRelated(constraint),
  }),
  'registry-error': (facts) => ({
    message:
      facts.cause === 'platform-unreadable'
        ? `${facts.reference.familiar} exists, but its architecture could not be read (${facts.reason}); whether it runs on ${platforms(facts.wanted)} was not verified.`
        : facts.cause === 'child-unreadable'
          ? `${facts.reference.familiar}: whether the registry still has the ${formatPlatform(facts.listed)} manifest its index lists (${facts.digest}) could not be checked (${facts.reason}); the pull was not verified.`
          : `${facts.reference.domain} answered ${facts.reason}; ${facts.reference.familiar} was not verified.`,
  }),
  'registry-rate-limited': ({ reference, remaining, limit, retryAfterSeconds }) => {
    const quota = remaining ? ` (remaining: ${remaining} of ${limit})` : '';
    const retry = retryAfterSeconds !== undefined ? `; retry after ${retryAfterSeconds} s` : '';
    return {
      message: `${reference.domain} rate-limited this check${quota}${retry}; ${reference.familiar} was not verified. Nodes pulling anonymously may hit the same limit (toomanyrequests).`,
    };
  },
  'registry-refused': ({ reason }) => ({
    message: `Not verified: ${reason}. No credentials were sent.`,
  }),
  'max-duration-exceeded': ({ reference, limit }) => ({
    message: `The scan reached max-duration (${limit}) before ${reference.familiar} was checked; it was not verified.`,
  }),
  'registry-unreachable': ({ reference, reason }) => ({
    message: `${reference.domain} could not be reached (${reason}); ${reference.familiar} was not verified.`,
  }),
  'repository-not-found': ({ reference }) => ({
    message: `Repository ${repositoryName(reference)} does not exist: the pull fails with ErrImagePull "repository name not known to registry", then ImagePullBackOff.`,
    fix: `Correct the image name, or push ${repositoryName(reference)} before merging.`,
  }),
  'digest-not-found': ({ reference, digest, tags, tagListFailure }) => ({
    message: `${repositoryName(reference)}@${digest} does not exist: the pull fails with ErrImagePull "manifest unknown", then ImagePullBackOff.${tagListUnknown(tagListFailure)}`,
    fix: `Pin a digest that exists in ${repositoryName(reference)}${tags.length ? ` (tags there include ${tags.slice(0, 3).join(', ')})` : ''}.`,
  }),
  'tag-not-found': ({ reference, tag, closest, tagListFailure, listsNoTags }) => ({
    message: `Tag "${tag}" does not exist in ${repositoryName(reference)}: the pull fails with ErrImagePull "manifest unknown", then ImagePullBackOff.${tagListUnknown(tagListFailure)}`,
    fix: closest.length
      ? `Use an existing tag: ${closest.map((t) => `${reference.familiar.replace(/:[^:/@]+$/, '')}:${t}`).join(', ')}.`
      : `Check the image name, or push ${repositoryName(reference)}:${tag} before merging${listsNoTags ? ' (the repository lists no tags)' : ''}.`,
  }),
  'access-denied': ({ reference, entries }) => ({
    message: `${reference.domain} denies pull secret ${secretNames(entries)} access to ${reference.path}: ErrImagePull "denied: requested access to the resource is denied", then ImagePullBackOff.`,
    related: entries.flatMap(secretEntryRelated),
  }),
  'pull-secret-rejected': ({ reference, entries, ambiguous, detail }) => {
    const why = ambiguous
      ? `the registry refuses these credentials for ${reference.path}: the account lacks access, or the repository does not exist`
      : (detail ?? 'the registry rejects its credentials');
    return {
      message: `Pull secret ${secretNames(entries)} does not let the kubelet pull ${reference.familiar}: ${why}. The pod shows ErrImagePull "unauthorized", then ImagePullBackOff.`,
      related: entries.flatMap(secretEntryRelated),
    };
  },
  'node-credentials': ({ reference }) => ({
    message: `${reference.domain} refuses anonymous pulls and the pod has no pull secret for it; the pull succeeds only if the nodes' credential provider can pull ${reference.familiar}.`,
  }),
  'pull-secret-wrong-namespace': ({ namespace, references }) => ({
    message: `Pull secret ${references.map((r) => `"${r.name}" is in ${r.namespaces.join(', ')}`).join('; ')}, but the pod runs in ${namespace}: the kubelet reads pull secrets only from the pod's namespace ("Unable to retrieve some image pull secrets"), pulls anonymously and fails with ErrImagePull, then ImagePullBackOff.`,
    fix: `Create the secret in namespace ${namespace} (kubectl create secret docker-registry … -n ${namespace}).`,
    related: references.map((r) => ({
      ...location(r.written),
      message: `imagePullSecrets entry "${r.name}"`,
    })),
  }),
  'pull-secret-wrong-type': ({ reference, secrets }) => {
    const why = secrets.map((s) => `Secret "${s.name}" is type ${s.type}`).join('; ');
    const kubeletReads = 'the kubelet only reads kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg';
    const names = secrets.map((s) => `"${s.name}"`).join(', ');
    return {
      message: reference
        ? `${why}; ${kubeletReads}, so it ignores ${secrets.length > 1 ? 'them' : 'it'}, pulls ${reference.familiar} anonymously and ${reference.domain} refuses: ErrImagePull, then ImagePullBackOff.`
        : `${why}; ${kubeletReads}, so it ignores ${secrets.length > 1 ? 'them' : 'it'} and this pod's pulls go anonymous.`,
      fix: `${secrets.some((s) => s.typeWritten) ? 'Change' : 'Set'} the type of ${names} to ${secrets.every((s) => s.holds === '.dockercfg') ? 'kubernetes.io/dockercfg' : 'kubernetes.io/dockerconfigjson'} (kubectl create secret docker-registry, not generic)${secrets.some((s) => !s.holds) ? ', with the docker config under .dockerconfigjson' : ''}; the API server refuses to change an existing Secret's type, so delete and recreate it.`,
      related: secrets.flatMap((s) => [
        ...(reference
          ? [
              {
                ...location(s.written),
                message: `imagePullSecrets entry "${s.name}": ignored by the kubelet`,
              },
            ]
          : []),
        {
          ...location(s.typeAt),
          message: s.typeWritten
            ? `type of Secret "${s.name}"`
            : `Secret "${s.name}" has no type, so it is Opaque`,
        },
      ]),
    };
  },
  'pull-secret-no-matching-entry': ({ reference, secrets }) => {
    const names = secrets.map((s) => `"${s.name}"`).join(', ');
    return {
      message: `Pull secret ${names} has no entry the kubelet matches to ${reference.domain}, so it pulls ${reference.familiar} anonymously and the registry refuses: ErrImagePull, then ImagePullBackOff.`,
      fix: `Add an entry for "${reference.domain}" to ${names} (kubectl create secret docker-registry … --docker-server=${reference.domain}).`,
      related: secrets.map((s) => ({ ...location(s.location), message: `secret "${s.name}"` })),
    };
  },
  'not-found-or-private': ({ reference, namespace }) => ({
    message: `${reference.domain} answers "unauthorized" for ${reference.path}: the repository does not exist, or it is private and the pod has no pull secret for it. The pod shows ErrImagePull "pull access denied … may require authorization", then ImagePullBackOff.`,
    fix: `Check the name; if ${reference.path} is private, create a docker-registry secret for ${reference.domain} in namespace ${namespace} and list it in imagePullSecrets.`,
  }),
  'credentials-required': ({ reference, exists, namespace, serviceAccountName }) => ({
    message: `${reference.domain} requires credentials to pull ${reference.familiar}${exists ? ' (the image exists)' : ''} and the pod has none for it: ErrImagePull "authorization failed", then ImagePullBackOff.`,
    fix: `kubectl create secret docker-registry regcred --docker-server=${reference.domain} … -n ${namespace}, then add it to imagePullSecrets (or to ServiceAccount "${serviceAccountName}").`,
  }),
  'pull-secret-not-in-repository': ({ reference, unknown, imageSeen }) => {
    const seen = imageSeen
      ? 'the image exists, but whether'
      : 'the image could not be checked either, and whether';
    return {
      message: `Pull secret ${unknown.map((name) => `"${name}"`).join(', ')} is not in this repository; ${seen} ${unknown.length > 1 ? 'they grant' : 'it grants'} access to ${reference.familiar} cannot be verified.`,
    };
  },
  'image-pending': ({ reference, pattern }) => ({
    message: `${reference.familiar} does not exist yet; it will be published by this workflow (pending image ${pattern}), so it was not verified.`,
    fix: `Nothing, if the workflow pushes ${reference.familiar} before this change is deployed; to check it once pushed, wait for it (wait-for-images, --wait).`,
  }),
  'ecr-static-token': ({ reference, entries }) => ({
    message: `Pull secret "${entries[0]!.secretName}" holds a static ECR token for ${reference.domain}: ECR tokens expire 12 hours after they are issued, and pulls then fail with 401.`,
    related: entries.flatMap(secretEntryRelated),
  }),
};

/** The words for one decision. */
export function word(decision: Decision): Wording {
  const wording = (WORDING[decision.rule] as (facts: Decision['facts']) => Wording)(decision.facts);
  if (decision.waitedMs === undefined) return wording;
  return { ...wording, message: `${wording.message} (waited ${formatDuration(decision.waitedMs)})` };
}

function describeGone({
  wanted,
  listed,
  digest,
}: {
  wanted: Platform;
  listed: Platform;
  digest: string;
}): string {
  const as =
    formatPlatform(listed) === formatPlatform(wanted) ? '' : ` (what ${formatPlatform(wanted)} nodes run)`;
  return `the index lists ${formatPlatform(listed)}${as} as ${digest}`;
}

function platforms(list: Platform[]): string {
  return list.map(formatPlatform).join(', ');
}

function repositoryName(reference: { domain: string; path: string }): string {
  return `${reference.domain}/${reference.path}`;
}

/** A tag list that could not be read is not evidence: say that the repository's existence is unknown. */
function tagListUnknown(failure: string | undefined): string {
  return failure !== undefined
    ? ` (the tag list could not be read: ${failure}; whether the repository exists is unknown)`
    : '';
}

function secretNames(entries: SecretEntryFacts[]): string {
  return [...new Set(entries.map((e) => `"${e.secretName}"`))].join(', ');
}

function location(at: SourceLocation): SourceLocation {
  return { file: at.file, line: at.line, column: at.column, endLine: at.endLine, endColumn: at.endColumn };
}

function secretEntryRelated(entry: SecretEntryFacts): RelatedLocation[] {
  return entry.location
    ? [{ ...location(entry.location), message: `secret "${entry.secretName}", entry "${entry.key}"` }]
    : [];
}

function constraintRelated(constraint: SourceLocation | undefined): { related?: RelatedLocation[] } {
  return constraint
    ? { related: [{ ...location(constraint), message: 'the pod’s node architecture constraint' }] }
    : {};
}
