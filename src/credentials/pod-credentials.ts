/**
 * Which pull secrets a pod's pulls use, and the keyring they give the kubelet.
 *
 * Upstream behaviour reproduced here:
 * - plugin/pkg/admission/serviceaccount/admission.go: at pod creation, only when the pod lists no
 *   `imagePullSecrets`, the ServiceAccount's list is copied in (replace, not merge). A missing
 *   ServiceAccount makes the API server refuse the pod altogether.
 * - pkg/kubelet/kubelet_pods.go getPullSecretsForPod: names are read in order from the pod's
 *   namespace; empty names are skipped; a secret that cannot be read is skipped with the event
 *   "Unable to retrieve some image pull secrets (…); attempting to pull the image may not succeed.";
 *   duplicates are read (and added) again.
 * - pkg/credentialprovider/secrets/secrets.go MakeDockerKeyring: secrets are added in that order; only
 *   type kubernetes.io/dockerconfigjson (key .dockerconfigjson) and kubernetes.io/dockercfg (key
 *   .dockercfg) with a non-empty value are read, any other Secret is skipped without a word; the
 *   pod's keyring is consulted before the node's (config.json, credential provider plugins).
 * - pkg/kubelet/kuberuntime/kuberuntime_image.go PullImage: with any matching credentials the pull is
 *   tried with each in turn and fails with all their errors; anonymous only when none match.
 */
import type {
  LocatedString,
  PodContext,
  PullSecretManifest,
  ServiceAccountManifest,
} from '../manifests/types.js';
import { isPullSecretType } from '../manifests/pull-secrets.js';
import type { BasicCredential } from './types.js';
import type { KeyringEntry } from './keyring.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export type PullSecretStatus =
  /** Defined in the pod's namespace and decodable. */
  | { kind: 'found'; secret: PullSecretManifest }
  /**
   * Defined in the pod's namespace with a type the kubelet does not read (`Opaque`, …): MakeDockerKeyring
   * skips it silently, whatever it holds, so it adds no credentials and no event.
   */
  | { kind: 'ignored-type'; secret: PullSecretManifest }
  /**
   * Defined in the pod's namespace but not decodable. Depending on the defect the kubelet ignores it
   * (wrong key, empty value) or fails every pull of the pod with the decoding error.
   */
  | { kind: 'invalid'; secret: PullSecretManifest; problem: string }
  /** Not in the pod's namespace, but a secret of that name is defined in these other namespaces. */
  | { kind: 'other-namespace'; namespaces: string[]; secrets: PullSecretManifest[] }
  /** Not defined anywhere in the repository: it may exist only in the cluster. */
  | { kind: 'not-in-repository' }
  /** `name: ""`: allowed by the API (with a warning) and skipped by the kubelet without an event. */
  | { kind: 'empty-name' };

export interface PullSecretReference {
  name: string;
  /** The `imagePullSecrets` entry that names the secret, in the pod or in the ServiceAccount. */
  written: LocatedString;
  status: PullSecretStatus;
  /**
   * Index of an earlier reference to the same name. The API server only warns; the kubelet reads the
   * secret again and its credentials are tried twice.
   */
  duplicateOf?: number;
}

export type PullSecretOrigin =
  /** The pod lists `imagePullSecrets`: the ServiceAccount's are not used. */
  | { kind: 'pod' }
  /** The pod lists none; the ServiceAccount (present in the repository) supplies its list, maybe empty. */
  | { kind: 'service-account'; serviceAccount: ServiceAccountManifest }
  /**
   * The pod lists none and its ServiceAccount is not in the repository, so its pull secrets are
   * unknown. `default` exists in every namespace; any other missing ServiceAccount makes the API
   * server refuse to create the pod. `otherNamespaces`: where a ServiceAccount of that name is defined.
   */
  | {
      kind: 'service-account-not-in-repository';
      name: string;
      isDefault: boolean;
      otherNamespaces: string[];
    };

export interface PodSecretResolution {
  /** The namespace secrets are read from: the pod's. */
  namespace: string;
  /** The ServiceAccount the pod runs as (`default` when unset). */
  serviceAccountName: string;
  origin: PullSecretOrigin;
  /** One per name, in the order the kubelet reads them, duplicates and empty names included. */
  references: PullSecretReference[];
  /** Names the kubelet would fail to read if the cluster matched the repository (its event lists these). */
  unreadable: string[];
  /** Entries from the usable secrets, in the order MakeDockerKeyring adds them (duplicates repeated). */
  keyring: KeyringEntry[];
}

/** The definition `kubectl apply` of the files in order would leave: the last one. */
function lastDefinition<T>(items: T[]): T | undefined {
  return items[items.length - 1];
}

function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function secretStatus(name: string, namespace: string, secrets: PullSecretManifest[]): PullSecretStatus {
  if (name === '') return { kind: 'empty-name' };
  const named = secrets.filter((s) => s.name === name);
  const here = lastDefinition(named.filter((s) => s.namespace === namespace));
  if (here) {
    if (!isPullSecretType(here.type)) return { kind: 'ignored-type', secret: here };
    return here.problem === undefined
      ? { kind: 'found', secret: here }
      : { kind: 'invalid', secret: here, problem: here.problem };
  }
  if (named.length > 0) {
    return {
      kind: 'other-namespace',
      namespaces: uniqueSorted(named.map((s) => s.namespace)),
      secrets: named,
    };
  }
  return { kind: 'not-in-repository' };
}

function origin(
  pod: PodContext,
  serviceAccountName: string,
  serviceAccounts: ServiceAccountManifest[],
): { origin: PullSecretOrigin; names: LocatedString[] } {
  // The admission plugin tests the list's length: a list holding only an empty name still counts.
  if (pod.imagePullSecrets.length > 0) return { origin: { kind: 'pod' }, names: pod.imagePullSecrets };
  const namespace = pod.resource.namespace;
  const named = serviceAccounts.filter((sa) => sa.name === serviceAccountName);
  const serviceAccount = lastDefinition(named.filter((sa) => sa.namespace === namespace));
  if (serviceAccount) {
    return { origin: { kind: 'service-account', serviceAccount }, names: serviceAccount.imagePullSecrets };
  }
  const otherNamespaces = uniqueSorted(named.map((sa) => sa.namespace));
  return {
    origin: {
      kind: 'service-account-not-in-repository',
      name: serviceAccountName,
      isDefault: serviceAccountName === DEFAULT_SERVICE_ACCOUNT,
      otherNamespaces,
    },
    names: [],
  };
}

function keyringEntries(secret: PullSecretManifest): KeyringEntry[] {
  const { file, line, column, endLine, endColumn } = secret;
  return secret.credentials.map((c) => ({
    key: c.key,
    credential: { username: c.username, password: c.password },
    source: {
      secretName: secret.name,
      namespace: secret.namespace,
      location: { file, line, column, endLine, endColumn },
    },
  }));
}

/** The secrets the kubelet reads for `pod`, what the repository says of each, and the keyring. */
export function resolvePodPullSecrets(
  pod: PodContext,
  secrets: PullSecretManifest[],
  serviceAccounts: ServiceAccountManifest[],
): PodSecretResolution {
  const namespace = pod.resource.namespace;
  const serviceAccountName = pod.serviceAccountName || DEFAULT_SERVICE_ACCOUNT;
  const { origin: from, names } = origin(pod, serviceAccountName, serviceAccounts);
  const firstIndex = new Map<string, number>();
  const references = names.map((written, index): PullSecretReference => {
    const reference: PullSecretReference = {
      name: written.value,
      written,
      status: secretStatus(written.value, namespace, secrets),
    };
    const earlier = firstIndex.get(written.value);
    if (earlier !== undefined && written.value !== '') reference.duplicateOf = earlier;
    else firstIndex.set(written.value, index);
    return reference;
  });
  const unreadable = references
    .filter((r) => r.status.kind === 'other-namespace' || r.status.kind === 'not-in-repository')
    .map((r) => r.name);
  const keyring = references.flatMap((r) =>
    r.status.kind === 'found' ? keyringEntries(r.status.secret) : [],
  );
  return { namespace, serviceAccountName, origin: from, references, unreadable, keyring };
}

/**
 * The attempts the kubelet makes for one image, in order, given the pod's matching keyring entries
 * (from `lookupCredentials`): each matching credential in turn, with no anonymous attempt after them;
 * a single anonymous attempt (`undefined`) only when nothing matches. An entry with an empty username
 * is an anonymous attempt too: containerd's ParseAuth turns such an auth config into no credentials.
 * Node-level credentials (config.json, credential provider plugins) would follow the pod's and are
 * not visible from the repository.
 */
export function credentialsToTry(matches: KeyringEntry[]): Array<BasicCredential | undefined> {
  if (matches.length === 0) return [undefined];
  return matches.map((m) => (m.credential.username === '' ? undefined : m.credential));
}
