import type { SourceLocation } from '../findings.js';
import type { KeyringEntry } from '../credentials/keyring.js';
import { lookupCredentials } from '../credentials/keyring.js';
import type { CredentialLookup } from '../credentials/lookup.js';
import { credentialKey } from '../registry/authorizer.js';
import {
  credentialsToTry,
  resolvePodPullSecrets,
  type PodSecretResolution,
} from '../credentials/pod-credentials.js';
import type { ContainerImage, ManifestSet, PullSecretManifest } from '../manifests/types.js';
import type { ImageReference } from '../reference/types.js';
import type { RegistryClient } from '../registry/client.js';
import { normalizePlatform } from '../registry/platforms.js';
import type {
  BasicCredential,
  ManifestProbe,
  Platform,
  PlatformMatch,
  ProbeOutcome,
} from '../registry/types.js';
import {
  decide,
  type Decision,
  type IgnoredSecretFacts,
  type PullVerdict,
  type SecretEntryFacts,
} from './decisions.js';
import { globMatch } from './glob.js';
import { matchPending, type PendingImage } from './pending.js';
import { closestTags } from './suggest.js';
import type { ImageWaiter, WaitSettings } from './wait.js';

export interface PullCheckOptions {
  client: RegistryClient;
  manifests: ManifestSet;
  ciCredentials?: CredentialLookup;
  /** The platform of nodes when a pod does not say (`linux/amd64`). */
  defaultPlatform: Platform;
  /** Registry host globs whose nodes pull with their own credentials (ECR, GCR, ACR, …). */
  nodeCredentialHosts: string[];
  /** Images this workflow publishes: missing ones are `image-pending`, not errors. */
  pending?: PendingImage[];
  /** A bounded wait for missing images (pending ones, or all). */
  wait?: { waiter: ImageWaiter; settings: WaitSettings };
}

/** Everything about one container's pull that does not need the registry, worked out once. */
export interface PullPlan {
  image: ContainerImage;
  reference: ImageReference;
  resolution: PodSecretResolution;
  /** The pod's keyring entries matching the image, most specific first. */
  matches: KeyringEntry[];
  /** The kubelet's attempts in order (`undefined`: anonymous). */
  attempts: Array<BasicCredential | undefined>;
  platforms: Platform[];
}

/** Registries whose nodes usually pull through a kubelet credential provider. */
export const DEFAULT_NODE_CREDENTIAL_HOSTS = [
  '*.dkr.ecr.*.amazonaws.com',
  '*.dkr.ecr.*.amazonaws.com.cn',
  'gcr.io',
  '*.gcr.io',
  '*-docker.pkg.dev',
  '*.azurecr.io',
  '*.azurecr.cn',
];

const ECR_HOST = /\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/**
 * What the kubelet's pull of one container would get: the pod's own credentials decide; CI
 * credentials only help to look when the deciding secret is not in the repository. It decides rules
 * and facts; `messages.ts` words them.
 */
export class PullChecker {
  constructor(private readonly options: PullCheckOptions) {}

  /** The pod's secrets, the matching keyring entries and the attempts: once per image. */
  plan(image: ContainerImage, reference: ImageReference): PullPlan {
    const { pullSecrets, serviceAccounts } = this.options.manifests;
    const resolution = resolvePodPullSecrets(image.pod, pullSecrets, serviceAccounts);
    const matches = lookupCredentials(resolution.keyring, reference);
    return {
      image,
      reference,
      resolution,
      matches,
      attempts: credentialsToTry(matches),
      platforms: this.wantedPlatforms(image),
    };
  }

  /** The probes the kubelet's first attempt makes for every image, so tokens can be fetched in bulk. */
  prepare(plans: PullPlan[]): void {
    this.options.client.prepare(plans.map((plan) => this.probe(plan, plan.attempts[0])));
  }

  private wantedPlatforms(image: ContainerImage): Platform[] {
    const { architectures, excluded } = image.pod.platforms;
    if (architectures)
      return architectures.map((architecture) => normalizePlatform({ os: 'linux', architecture }));
    const fallback = normalizePlatform(this.options.defaultPlatform);
    return excluded.includes(fallback.architecture) ? [] : [fallback];
  }

  private probe(plan: PullPlan, credential: BasicCredential | undefined): ManifestProbe {
    const { reference, image } = plan;
    const probe: ManifestProbe = {
      domain: reference.domain,
      apiHost: reference.apiHost,
      repository: reference.path,
      reference: reference.manifestReference,
      platforms: plan.platforms,
      // A single-platform image's architecture costs two more requests: only when the pod says.
      inspectConfig: image.pod.platforms.architectures !== null,
    };
    if (credential) probe.credential = credential;
    return probe;
  }

  async check(plan: PullPlan): Promise<PullVerdict> {
    const decisions = this.staticCredentialDecisions(plan);
    // The kubelet's attempts, in order, stopping at the first success.
    let outcome: ProbeOutcome = { kind: 'unreachable', reason: 'not probed' };
    let used: BasicCredential | undefined;
    for (const credential of plan.attempts) {
      used = credential;
      outcome = await this.options.client.probe(this.probe(plan, credential));
      if (outcome.kind === 'exists') break;
    }
    switch (outcome.kind) {
      case 'exists':
        return this.exists(plan, outcome, decisions);
      case 'manifest-unknown':
      case 'name-unknown':
        return this.notFound(plan, outcome, used, decisions);
      case 'unauthorized':
      case 'denied': {
        const verdict = await this.refused(plan, outcome);
        return { ...verdict, decisions: [...decisions, ...verdict.decisions] };
      }
      default:
        return { status: 'unverified', decisions: [...decisions, unverifiable(plan.reference, outcome)] };
    }
  }

  private exists(
    plan: PullPlan,
    outcome: Extract<ProbeOutcome, { kind: 'exists' }>,
    decisions: Decision[],
  ): PullVerdict {
    const { reference } = plan;
    const verdict: PullVerdict = { status: 'available', decisions };
    if (outcome.digest) verdict.digest = outcome.digest;
    const constraint = plan.image.pod.platforms.source;
    if (outcome.index) {
      const missing = outcome.index.matches.filter((match) => !match.matched);
      if (missing.length) {
        verdict.status = 'platform-missing';
        decisions.push(
          decide('platform-not-in-index', {
            reference,
            missing: missing.map((m) => m.wanted),
            available: outcome.index.available,
            ...(constraint ? { constraint } : {}),
          }),
        );
      }
      this.children(plan, outcome.index.matches, verdict);
    } else if (outcome.imagePlatformUnknown) {
      verdict.status = 'unverified';
      decisions.push(
        decide('registry-error', {
          cause: 'platform-unreadable',
          reference,
          reason: outcome.imagePlatformUnknown,
          wanted: plan.platforms,
        }),
      );
    } else if (outcome.imagePlatform) {
      const wanted = plan.platforms;
      const built = normalizePlatform(outcome.imagePlatform);
      const runs = wanted.some(
        (platform) =>
          platform.architecture === built.architecture ||
          (platform.architecture === 'amd64' && built.architecture === '386'),
      );
      if (wanted.length && !runs) {
        decisions.push(
          decide('platform-mismatch', { reference, built, wanted, ...(constraint ? { constraint } : {}) }),
        );
      }
    }
    return verdict;
  }

  /** The index's child for each wanted platform must exist too: containerd GETs it next. */
  private children(plan: PullPlan, matches: PlatformMatch[], verdict: PullVerdict): void {
    const { reference } = plan;
    const gone = matches.flatMap(({ wanted, matched, child }) => {
      if (!matched || child !== 'missing') return [];
      const { digest, ...listed } = matched;
      return [{ wanted, listed, digest }];
    });
    if (gone.length) {
      verdict.status = 'not-found';
      verdict.decisions.push(decide('platform-manifest-missing', { reference, gone }));
    }
    const unknown = matches.find(({ matched, child }) => matched && typeof child === 'object');
    if (unknown?.matched && typeof unknown.child === 'object' && !gone.length) {
      if (verdict.status === 'available') verdict.status = 'unverified';
      const { digest, ...listed } = unknown.matched;
      verdict.decisions.push(
        decide('registry-error', {
          cause: 'child-unreadable',
          reference,
          reason: unknown.child.unknown,
          listed,
          digest,
        }),
      );
    }
  }

  /**
   * Not there (yet): a pending image is a notice; an awaited one is re-checked until it appears (then
   * checked in full) or the wait ends (then the finding it would have had, saying how long it waited).
   * The tag list, for suggestions, is read only then.
   */
  private async notFound(
    plan: PullPlan,
    outcome: ProbeOutcome,
    credential: BasicCredential | undefined,
    decisions: Decision[],
  ): Promise<PullVerdict> {
    const pending = matchPending(this.options.pending ?? [], plan.reference);
    const wait = this.options.wait;
    if (wait && wait.settings.durationMs > 0 && (pending || wait.settings.for === 'all')) {
      const probe = this.probe(plan, credential);
      const key = [probe.apiHost, probe.repository, probe.reference, credentialKey(credential)].join(' ');
      const client = this.options.client;
      if (await wait.waiter.waitFor(key, plan.reference.familiar, () => client.recheck(probe))) {
        client.forget(probe);
        return this.check(plan);
      }
      const missing = await this.missing(plan, outcome, credential);
      return {
        status: 'not-found',
        decisions: [...decisions, { ...missing, waitedMs: wait.settings.durationMs }],
      };
    }
    if (pending) {
      return {
        status: 'pending',
        decisions: [
          ...decisions,
          decide('image-pending', { reference: plan.reference, pattern: pending.written }),
        ],
      };
    }
    return { status: 'not-found', decisions: [...decisions, await this.missing(plan, outcome, credential)] };
  }

  /** A missing tag, digest or repository, told apart with the tag list (which also gives suggestions). */
  private async missing(
    plan: PullPlan,
    outcome: ProbeOutcome,
    credential: BasicCredential | undefined,
  ): Promise<Decision> {
    const { reference } = plan;
    const listing = await this.options.client.listTags(
      reference.domain,
      reference.apiHost,
      reference.path,
      credential,
    );
    if (outcome.kind === 'name-unknown' || 'repositoryUnknown' in listing) {
      return decide('repository-not-found', { reference });
    }
    // A tag list that could not be read is not evidence: the manifest is missing all the same, but
    // neither the tags nor the repository's existence are known.
    const failure = 'failure' in listing ? { tagListFailure: listing.failure } : {};
    const tags = 'tags' in listing ? listing.tags : [];
    if (reference.digest) {
      return decide('digest-not-found', { reference, digest: reference.digest, tags, ...failure });
    }
    const tag = reference.tag ?? 'latest';
    return decide('tag-not-found', {
      reference,
      tag,
      closest: closestTags(tag, tags),
      listsNoTags: 'tags' in listing && tags.length === 0,
      ...failure,
    });
  }

  /** The registry refused (401/403): say exactly whose credentials and why. */
  private async refused(
    plan: PullPlan,
    outcome: Extract<ProbeOutcome, { kind: 'unauthorized' } | { kind: 'denied' }>,
  ): Promise<PullVerdict> {
    const { reference, resolution, matches } = plan;
    const unknown = unknownSecrets(resolution);
    const refused = (decision: Decision): PullVerdict => ({ status: 'unauthorized', decisions: [decision] });
    if (matches.length > 0) {
      if (unknown.length) return this.cannotVerify(plan, unknown);
      const entries = matches.map(secretEntryFacts);
      if (outcome.kind === 'denied') return refused(decide('access-denied', { reference, entries }));
      return refused(
        decide('pull-secret-rejected', {
          reference,
          entries,
          ambiguous: Boolean(outcome.ambiguous),
          ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}),
        }),
      );
    }
    // Anonymous pull refused. Secrets that may exist only in the cluster leave it open.
    if (unknown.length) return this.cannotVerify(plan, unknown);
    const looked = await this.lookWithCiCredentials(plan);
    // A pending image is missing until pushed; pushing it does not give the pod credentials.
    if (looked?.status === 'not-found' && !this.isPending(plan)) return looked;
    if (this.nodeCredentials(reference)) {
      return { status: 'unverified', decisions: [decide('node-credentials', { reference })] };
    }
    const exists = looked?.status === 'available';
    const namespace = resolution.namespace;
    const ignored = resolution.references.flatMap((r) =>
      r.status.kind === 'ignored-type' ? [ignoredSecretFacts(r.name, r.written, r.status.secret)] : [],
    );
    if (ignored.length) {
      // Said on the image line (the pull it breaks) and on each imagePullSecrets entry (the cause).
      return {
        status: 'unauthorized',
        decisions: [
          decide('pull-secret-wrong-type', { reference, secrets: ignored }),
          ...ignored.map((secret) => decide('pull-secret-wrong-type', { secrets: [secret] }, secret.written)),
        ],
      };
    }
    const wrongNamespace = resolution.references.flatMap((r) =>
      r.status.kind === 'other-namespace'
        ? [{ name: r.name, namespaces: r.status.namespaces, written: r.written }]
        : [],
    );
    if (wrongNamespace.length) {
      return refused(decide('pull-secret-wrong-namespace', { namespace, references: wrongNamespace }));
    }
    const usable = resolution.references.flatMap((r) =>
      r.status.kind === 'found' ? [{ name: r.name, location: sourceLocation(r.status.secret) }] : [],
    );
    if (usable.length)
      return refused(decide('pull-secret-no-matching-entry', { reference, secrets: usable }));
    if (outcome.kind === 'unauthorized' && outcome.ambiguous && !exists) {
      return refused(decide('not-found-or-private', { reference, namespace }));
    }
    return refused(
      decide('credentials-required', {
        reference,
        exists,
        namespace,
        serviceAccountName: resolution.serviceAccountName,
      }),
    );
  }

  /** The deciding secret is only in the cluster: look with CI credentials, and say what is unknown. */
  private async cannotVerify(plan: PullPlan, unknown: string[]): Promise<PullVerdict> {
    const looked = await this.lookWithCiCredentials(plan);
    if (looked?.status === 'not-found' && !this.isPending(plan)) return looked;
    return {
      status: 'unverified',
      decisions: [
        decide('pull-secret-not-in-repository', {
          reference: plan.reference,
          unknown,
          imageSeen: looked?.status === 'available',
        }),
      ],
    };
  }

  /** A second look with the CI run's own credentials: it can prove an image missing, never pullable. */
  private async lookWithCiCredentials(plan: PullPlan): Promise<PullVerdict | undefined> {
    const credential = await this.options.ciCredentials?.lookup(plan.reference.domain);
    if (!credential) return undefined;
    const outcome = await this.options.client.probe(this.probe(plan, credential));
    if (outcome.kind === 'exists') return { status: 'available', decisions: [] };
    if (outcome.kind === 'manifest-unknown' || outcome.kind === 'name-unknown') {
      return { status: 'not-found', decisions: [await this.missing(plan, outcome, credential)] };
    }
    return undefined;
  }

  private isPending(plan: PullPlan): boolean {
    return matchPending(this.options.pending ?? [], plan.reference) !== undefined;
  }

  private nodeCredentials(reference: ImageReference): boolean {
    const host = reference.domain.toLowerCase();
    return this.options.nodeCredentialHosts.some((pattern) => globMatch(pattern.toLowerCase(), host));
  }

  private staticCredentialDecisions({ reference, matches }: PullPlan): Decision[] {
    const ecr = matches.filter((m) => ECR_HOST.test(reference.domain) && m.credential.username === 'AWS');
    return ecr.length ? [decide('ecr-static-token', { reference, entries: ecr.map(secretEntryFacts) })] : [];
  }
}

/** The registry gave no answer the kubelet's pull could be predicted from. */
function unverifiable(reference: ImageReference, outcome: ProbeOutcome): Decision {
  switch (outcome.kind) {
    case 'rate-limited':
      return decide('registry-rate-limited', {
        reference,
        ...(outcome.remaining !== undefined ? { remaining: outcome.remaining } : {}),
        ...(outcome.limit !== undefined ? { limit: outcome.limit } : {}),
        ...(outcome.retryAfterSeconds !== undefined ? { retryAfterSeconds: outcome.retryAfterSeconds } : {}),
      });
    case 'refused':
      return decide('registry-refused', { reason: outcome.reason });
    case 'server-error':
      return decide('registry-error', { cause: 'server-error', reference, reason: outcome.reason });
    default:
      return decide('registry-unreachable', {
        reference,
        reason: outcome.kind === 'unreachable' ? outcome.reason : outcome.kind,
      });
  }
}

/** Names whose secrets only the cluster knows: not in the repository, or an unseen ServiceAccount's. */
function unknownSecrets(resolution: PodSecretResolution): string[] {
  const names = resolution.references.filter((r) => r.status.kind === 'not-in-repository').map((r) => r.name);
  const origin = resolution.origin;
  if (origin.kind === 'service-account-not-in-repository' && !origin.isDefault) {
    names.push(`(those of ServiceAccount ${origin.name})`);
  }
  return names;
}

function sourceLocation(at: SourceLocation): SourceLocation {
  return { file: at.file, line: at.line, column: at.column, endLine: at.endLine, endColumn: at.endColumn };
}

function ignoredSecretFacts(
  name: string,
  written: SourceLocation,
  secret: PullSecretManifest,
): IgnoredSecretFacts {
  return {
    name,
    type: secret.type,
    written: sourceLocation(written),
    typeAt: sourceLocation(secret.typeAt ?? secret),
    typeWritten: secret.typeAt !== undefined,
    ...(secret.holds ? { holds: secret.holds } : {}),
  };
}

function secretEntryFacts(entry: KeyringEntry): SecretEntryFacts {
  const { secretName, location } = entry.source;
  return { secretName, key: entry.key, ...(location ? { location } : {}) };
}
