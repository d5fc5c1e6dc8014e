import type { Finding, RelatedLocation } from '../findings.js';
import type { KeyringEntry } from '../credentials/keyring.js';
import { lookupCredentials } from '../credentials/keyring.js';
import type { CredentialLookup } from '../credentials/lookup.js';
import {
  credentialsToTry,
  resolvePodPullSecrets,
  type PodSecretResolution,
} from '../credentials/pod-credentials.js';
import type { ContainerImage, ManifestSet } from '../manifests/types.js';
import type { ImageReference } from '../reference/types.js';
import type { RegistryClient } from '../registry/client.js';
import { formatPlatform, normalizePlatform } from '../registry/platforms.js';
import type { BasicCredential, ManifestProbe, Platform, ProbeOutcome } from '../registry/types.js';
import { imageFinding } from './finding.js';
import type { ImageStatus } from './images.js';
import { globMatch } from './glob.js';
import { closestTags } from './suggest.js';

export interface PullCheckOptions {
  client: RegistryClient;
  manifests: ManifestSet;
  ciCredentials?: CredentialLookup;
  /** The platform of nodes when a pod does not say (`linux/amd64`). */
  defaultPlatform: Platform;
  /** Registry host globs whose nodes pull with their own credentials (ECR, GCR, ACR, …). */
  nodeCredentialHosts: string[];
}

export interface PullVerdict {
  status: ImageStatus;
  digest?: string;
  findings: Finding[];
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
 * credentials only help to look when the deciding secret is not in the repository.
 */
export class PullChecker {
  constructor(private readonly options: PullCheckOptions) {}

  private resolution(image: ContainerImage): PodSecretResolution {
    const { pullSecrets, serviceAccounts } = this.options.manifests;
    return resolvePodPullSecrets(image.pod, pullSecrets, serviceAccounts);
  }

  /** The probes the kubelet's first attempt makes for every image, so tokens can be fetched in bulk. */
  prepare(images: Array<{ image: ContainerImage; reference: ImageReference }>): void {
    const probes = images.map(({ image, reference }) => {
      const [first] = credentialsToTry(lookupCredentials(this.resolution(image).keyring, reference));
      return this.probe(image, reference, first);
    });
    this.options.client.prepare(probes);
  }

  private wantedPlatforms(image: ContainerImage): Platform[] {
    const { architectures, excluded } = image.pod.platforms;
    if (architectures)
      return architectures.map((architecture) => normalizePlatform({ os: 'linux', architecture }));
    const fallback = normalizePlatform(this.options.defaultPlatform);
    return excluded.includes(fallback.architecture) ? [] : [fallback];
  }

  private probe(
    image: ContainerImage,
    reference: ImageReference,
    credential: BasicCredential | undefined,
  ): ManifestProbe {
    const probe: ManifestProbe = {
      domain: reference.domain,
      apiHost: reference.apiHost,
      repository: reference.path,
      reference: reference.manifestReference,
      platforms: this.wantedPlatforms(image),
      // A single-platform image's architecture costs two more requests: only when the pod says.
      inspectConfig: image.pod.platforms.architectures !== null,
    };
    if (credential) probe.credential = credential;
    return probe;
  }

  async check(image: ContainerImage, reference: ImageReference): Promise<PullVerdict> {
    const resolution = this.resolution(image);
    const matches = lookupCredentials(resolution.keyring, reference);
    const findings: Finding[] = this.staticCredentialFindings(image, reference, matches);
    // The kubelet's attempts, in order, stopping at the first success.
    let outcome: ProbeOutcome = { kind: 'unreachable', reason: 'not probed' };
    let used: BasicCredential | undefined;
    for (const credential of credentialsToTry(matches)) {
      used = credential;
      outcome = await this.options.client.probe(this.probe(image, reference, credential));
      if (outcome.kind === 'exists') break;
    }
    switch (outcome.kind) {
      case 'exists':
        return this.exists(image, reference, outcome, findings);
      case 'manifest-unknown':
      case 'name-unknown':
        return {
          status: 'not-found',
          findings: [...findings, await this.missing(image, reference, outcome, used)],
        };
      case 'unauthorized':
      case 'denied': {
        const verdict = await this.refused(image, reference, outcome, resolution, matches);
        return { ...verdict, findings: [...findings, ...verdict.findings] };
      }
      default:
        return {
          status: 'unverified',
          findings: [...findings, this.unverifiable(image, reference, outcome)],
        };
    }
  }

  private exists(
    image: ContainerImage,
    reference: ImageReference,
    outcome: Extract<ProbeOutcome, { kind: 'exists' }>,
    findings: Finding[],
  ): PullVerdict {
    const verdict: PullVerdict = { status: 'available', findings };
    if (outcome.digest) verdict.digest = outcome.digest;
    const related = platformSource(image);
    if (outcome.index) {
      const missing = outcome.index.matches.filter((match) => !match.matched);
      if (missing.length) {
        verdict.status = 'platform-missing';
        const available = outcome.index.available.map(formatPlatform).join(', ') || 'none';
        findings.push(
          imageFinding('platform-not-in-index', image, {
            message: `${reference.familiar} has no image for ${missing.map((m) => formatPlatform(m.wanted)).join(', ')} (it has: ${available}); on such nodes the pull fails with ErrImagePull "no match for platform in manifest: not found", then ImagePullBackOff.`,
            fix: `Publish ${reference.familiar} for ${missing.map((m) => formatPlatform(m.wanted)).join(', ')}, or schedule the pod onto nodes it supports (nodeSelector kubernetes.io/arch: ${[...new Set(outcome.index.available.map((p) => p.architecture))].join(' or ')}).`,
            ...(related ? { related } : {}),
          }),
        );
      }
    } else if (outcome.imagePlatformUnknown) {
      verdict.status = 'unverified';
      findings.push(
        imageFinding('registry-error', image, {
          message: `${reference.familiar} exists, but its architecture could not be read (${outcome.imagePlatformUnknown}); whether it runs on ${this.wantedPlatforms(image).map(formatPlatform).join(', ')} was not verified.`,
        }),
      );
    } else if (outcome.imagePlatform) {
      const wanted = this.wantedPlatforms(image);
      const built = normalizePlatform(outcome.imagePlatform);
      const runs = wanted.some(
        (platform) =>
          platform.architecture === built.architecture ||
          (platform.architecture === 'amd64' && built.architecture === '386'),
      );
      if (wanted.length && !runs) {
        findings.push(
          imageFinding('platform-mismatch', image, {
            message: `${reference.familiar} is a single-platform image built for ${formatPlatform(built)}, but the pod runs on ${wanted.map(formatPlatform).join(', ')}: the pull succeeds, then the container fails with "exec format error".`,
            ...(related ? { related } : {}),
          }),
        );
      }
    }
    return verdict;
  }

  private unverifiable(image: ContainerImage, reference: ImageReference, outcome: ProbeOutcome): Finding {
    switch (outcome.kind) {
      case 'rate-limited': {
        const quota = outcome.remaining ? ` (remaining: ${outcome.remaining} of ${outcome.limit})` : '';
        const retry =
          outcome.retryAfterSeconds !== undefined ? `; retry after ${outcome.retryAfterSeconds} s` : '';
        return imageFinding('registry-rate-limited', image, {
          message: `${reference.domain} rate-limited this check${quota}${retry}; ${reference.familiar} was not verified. Nodes pulling anonymously may hit the same limit (toomanyrequests).`,
        });
      }
      case 'refused':
        return imageFinding('registry-refused', image, {
          message: `Not verified: ${outcome.reason}. No credentials were sent.`,
        });
      case 'server-error':
        return imageFinding('registry-error', image, {
          message: `${reference.domain} answered ${outcome.reason}; ${reference.familiar} was not verified.`,
        });
      default:
        return imageFinding('registry-unreachable', image, {
          message: `${reference.domain} could not be reached (${outcome.kind === 'unreachable' ? outcome.reason : outcome.kind}); ${reference.familiar} was not verified.`,
        });
    }
  }

  /** A missing tag, digest or repository, told apart with the tag list (which also gives suggestions). */
  private async missing(
    image: ContainerImage,
    reference: ImageReference,
    outcome: ProbeOutcome,
    credential: BasicCredential | undefined,
  ): Promise<Finding> {
    const listing = await this.options.client.listTags(
      reference.domain,
      reference.apiHost,
      reference.path,
      credential,
    );
    const repositoryMissing = outcome.kind === 'name-unknown' || 'repositoryUnknown' in listing;
    const name = `${reference.domain}/${reference.path}`;
    if (repositoryMissing) {
      return imageFinding('repository-not-found', image, {
        message: `Repository ${name} does not exist: the pull fails with ErrImagePull "repository name not known to registry", then ImagePullBackOff.`,
        fix: `Correct the image name, or push ${name} before merging.`,
      });
    }
    // A tag list that could not be read is not evidence: the manifest is missing all the same, but
    // neither the tags nor the repository's existence are known.
    const unknown =
      'failure' in listing
        ? ` (the tag list could not be read: ${listing.failure}; whether the repository exists is unknown)`
        : '';
    const tags = 'tags' in listing ? listing.tags : [];
    if (reference.digest) {
      return imageFinding('digest-not-found', image, {
        message: `${name}@${reference.digest} does not exist: the pull fails with ErrImagePull "manifest unknown", then ImagePullBackOff.${unknown}`,
        fix: `Pin a digest that exists in ${name}${tags.length ? ` (tags there include ${tags.slice(0, 3).join(', ')})` : ''}.`,
      });
    }
    const wanted = reference.tag ?? 'latest';
    const closest = closestTags(wanted, tags);
    const listed = 'tags' in listing && tags.length === 0 ? ' (the repository lists no tags)' : '';
    return imageFinding('tag-not-found', image, {
      message: `Tag "${wanted}" does not exist in ${name}: the pull fails with ErrImagePull "manifest unknown", then ImagePullBackOff.${unknown}`,
      fix: closest.length
        ? `Use an existing tag: ${closest.map((tag) => `${reference.familiar.replace(/:[^:/@]+$/, '')}:${tag}`).join(', ')}.`
        : `Check the image name, or push ${name}:${wanted} before merging${listed}.`,
    });
  }

  /** The registry refused (401/403): say exactly whose credentials and why. */
  private async refused(
    image: ContainerImage,
    reference: ImageReference,
    outcome: Extract<ProbeOutcome, { kind: 'unauthorized' } | { kind: 'denied' }>,
    resolution: PodSecretResolution,
    matches: KeyringEntry[],
  ): Promise<PullVerdict> {
    const unknown = unknownSecrets(resolution);
    const secretRelated = matches.flatMap((m) => relatedSecret(m));
    if (matches.length > 0) {
      if (unknown.length) return this.cannotVerify(image, reference, unknown);
      const secrets = [...new Set(matches.map((m) => `"${m.source.secretName}"`))].join(', ');
      if (outcome.kind === 'denied') {
        return {
          status: 'unauthorized',
          findings: [
            imageFinding('access-denied', image, {
              message: `${reference.domain} denies pull secret ${secrets} access to ${reference.path}: ErrImagePull "denied: requested access to the resource is denied", then ImagePullBackOff.`,
              related: secretRelated,
            }),
          ],
        };
      }
      const why = outcome.ambiguous
        ? `the registry refuses these credentials for ${reference.path}: the account lacks access, or the repository does not exist`
        : (outcome.detail ?? 'the registry rejects its credentials');
      return {
        status: 'unauthorized',
        findings: [
          imageFinding('pull-secret-rejected', image, {
            message: `Pull secret ${secrets} does not let the kubelet pull ${reference.familiar}: ${why}. The pod shows ErrImagePull "unauthorized", then ImagePullBackOff.`,
            related: secretRelated,
          }),
        ],
      };
    }
    // Anonymous pull refused. Secrets that may exist only in the cluster leave it open.
    if (unknown.length) return this.cannotVerify(image, reference, unknown);
    const looked = await this.lookWithCiCredentials(image, reference);
    if (looked?.status === 'not-found') return looked;
    if (this.nodeCredentials(reference)) {
      return {
        status: 'unverified',
        findings: [
          imageFinding('node-credentials', image, {
            message: `${reference.domain} refuses anonymous pulls and the pod has no pull secret for it; the pull succeeds only if the nodes' credential provider can pull ${reference.familiar}.`,
          }),
        ],
      };
    }
    const exists = looked?.status === 'available';
    const wrongNamespace = resolution.references.filter((r) => r.status.kind === 'other-namespace');
    if (wrongNamespace.length) {
      const where = wrongNamespace.map((r) =>
        r.status.kind === 'other-namespace' ? `"${r.name}" is in ${r.status.namespaces.join(', ')}` : '',
      );
      return {
        status: 'unauthorized',
        findings: [
          imageFinding('pull-secret-wrong-namespace', image, {
            message: `Pull secret ${where.join('; ')}, but the pod runs in ${resolution.namespace}: the kubelet reads pull secrets only from the pod's namespace ("Unable to retrieve some image pull secrets"), pulls anonymously and fails with ErrImagePull, then ImagePullBackOff.`,
            fix: `Create the secret in namespace ${resolution.namespace} (kubectl create secret docker-registry … -n ${resolution.namespace}).`,
            related: wrongNamespace.map((r) => ({
              ...location(r.written),
              message: `imagePullSecrets entry "${r.name}"`,
            })),
          }),
        ],
      };
    }
    const usable = resolution.references.filter((r) => r.status.kind === 'found');
    if (usable.length) {
      const names = usable.map((r) => `"${r.name}"`).join(', ');
      return {
        status: 'unauthorized',
        findings: [
          imageFinding('pull-secret-no-matching-entry', image, {
            message: `Pull secret ${names} has no entry the kubelet matches to ${reference.domain}, so it pulls ${reference.familiar} anonymously and the registry refuses: ErrImagePull, then ImagePullBackOff.`,
            fix: `Add an entry for "${reference.domain}" to ${names} (kubectl create secret docker-registry … --docker-server=${reference.domain}).`,
            related: usable.flatMap((r) =>
              r.status.kind === 'found'
                ? [{ ...location(r.status.secret), message: `secret "${r.name}"` }]
                : [],
            ),
          }),
        ],
      };
    }
    if (outcome.kind === 'unauthorized' && outcome.ambiguous && !exists) {
      return {
        status: 'unauthorized',
        findings: [
          imageFinding('not-found-or-private', image, {
            message: `${reference.domain} answers "unauthorized" for ${reference.path}: the repository does not exist, or it is private and the pod has no pull secret for it. The pod shows ErrImagePull "pull access denied … may require authorization", then ImagePullBackOff.`,
            fix: `Check the name; if ${reference.path} is private, create a docker-registry secret for ${reference.domain} in namespace ${resolution.namespace} and list it in imagePullSecrets.`,
          }),
        ],
      };
    }
    return {
      status: 'unauthorized',
      findings: [
        imageFinding('credentials-required', image, {
          message: `${reference.domain} requires credentials to pull ${reference.familiar}${exists ? ' (the image exists)' : ''} and the pod has none for it: ErrImagePull "authorization failed", then ImagePullBackOff.`,
          fix: `kubectl create secret docker-registry regcred --docker-server=${reference.domain} … -n ${resolution.namespace}, then add it to imagePullSecrets (or to ServiceAccount "${resolution.serviceAccountName}").`,
        }),
      ],
    };
  }

  /** The deciding secret is only in the cluster: look with CI credentials, and say what is unknown. */
  private async cannotVerify(
    image: ContainerImage,
    reference: ImageReference,
    unknown: string[],
  ): Promise<PullVerdict> {
    const looked = await this.lookWithCiCredentials(image, reference);
    if (looked?.status === 'not-found') return looked;
    const names = unknown.map((name) => `"${name}"`).join(', ');
    const seen =
      looked?.status === 'available'
        ? 'the image exists, but whether'
        : 'the image could not be checked either, and whether';
    return {
      status: 'unverified',
      findings: [
        imageFinding('pull-secret-not-in-repository', image, {
          message: `Pull secret ${names} is not in this repository; ${seen} ${unknown.length > 1 ? 'they grant' : 'it grants'} access to ${reference.familiar} cannot be verified.`,
        }),
      ],
    };
  }

  /** A second look with the CI run's own credentials: it can prove an image missing, never pullable. */
  private async lookWithCiCredentials(
    image: ContainerImage,
    reference: ImageReference,
  ): Promise<PullVerdict | undefined> {
    const credential = await this.options.ciCredentials?.lookup(reference.domain);
    if (!credential) return undefined;
    const outcome = await this.options.client.probe(this.probe(image, reference, credential));
    if (outcome.kind === 'exists') return { status: 'available', findings: [] };
    if (outcome.kind === 'manifest-unknown' || outcome.kind === 'name-unknown') {
      return { status: 'not-found', findings: [await this.missing(image, reference, outcome, credential)] };
    }
    return undefined;
  }

  private nodeCredentials(reference: ImageReference): boolean {
    const host = reference.domain.toLowerCase();
    return this.options.nodeCredentialHosts.some((pattern) => globMatch(pattern.toLowerCase(), host));
  }

  private staticCredentialFindings(
    image: ContainerImage,
    reference: ImageReference,
    matches: KeyringEntry[],
  ): Finding[] {
    const ecr = matches.filter((m) => ECR_HOST.test(reference.domain) && m.credential.username === 'AWS');
    if (!ecr.length) return [];
    return [
      imageFinding('ecr-static-token', image, {
        message: `Pull secret "${ecr[0]!.source.secretName}" holds a static ECR token for ${reference.domain}: ECR tokens expire 12 hours after they are issued, and pulls then fail with 401.`,
        related: ecr.flatMap((m) => relatedSecret(m)),
      }),
    ];
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

function location(at: { file: string; line: number; column: number; endLine: number; endColumn: number }) {
  return { file: at.file, line: at.line, column: at.column, endLine: at.endLine, endColumn: at.endColumn };
}

function relatedSecret(entry: KeyringEntry): RelatedLocation[] {
  const at = entry.source.location;
  return at
    ? [{ ...location(at), message: `secret "${entry.source.secretName}", entry "${entry.key}"` }]
    : [];
}

function platformSource(image: ContainerImage): RelatedLocation[] | undefined {
  const source = image.pod.platforms.source;
  return source ? [{ ...location(source), message: 'the pod’s node architecture constraint' }] : undefined;
}
