import type { ManifestSet } from '../manifests/types.js';

/**
 * `scan: changed`: the workloads in changed files, plus those whose pull secrets or ServiceAccount a
 * changed file defines (a changed Secret re-checks the pods that use it). Secrets and ServiceAccounts
 * themselves always come from every file, so a pod sees a secret defined elsewhere.
 */
export function restrictToChanged(manifests: ManifestSet, changed: ReadonlySet<string>): ManifestSet {
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const changedSecrets = new Set(
    manifests.pullSecrets.filter((s) => changed.has(s.file)).map((s) => key(s.namespace, s.name)),
  );
  const changedAccounts = manifests.serviceAccounts.filter((sa) => changed.has(sa.file));
  const accountKeys = new Set(changedAccounts.map((sa) => key(sa.namespace, sa.name)));
  // Secrets named by changed ServiceAccounts matter to the pods that run as those accounts.
  const images = manifests.images.filter((image) => {
    if (changed.has(image.file)) return true;
    const namespace = image.pod.resource.namespace;
    if (accountKeys.has(key(namespace, image.pod.serviceAccountName))) return true;
    return image.pod.imagePullSecrets.some((secret) => changedSecrets.has(key(namespace, secret.value)));
  });
  return {
    ...manifests,
    images,
    problems: manifests.problems.filter((problem) => changed.has(problem.file)),
  };
}
