import type { Finding } from '../findings.js';
import type { ManifestProblem } from '../manifests/types.js';
import { finding } from './finding.js';
import type { RuleId } from './rules.js';

const PROBLEM_RULES: Record<ManifestProblem['kind'], RuleId> = {
  'parse-error': 'manifest-parse-error',
  'too-large': 'manifest-skipped',
  unreadable: 'manifest-skipped',
  'not-text': 'manifest-skipped',
  template: 'template-not-rendered',
  'not-manifest': 'not-a-manifest',
  'duplicate-key': 'manifest-duplicate-key',
  'symlink-outside': 'symlink-not-followed',
  'render-capped': 'render-roots-capped',
  'secret-invalid': 'pull-secret-invalid',
  'kustomize-render-error': 'kustomize-render-error',
  'helm-render-error': 'helm-render-error',
  'helm-dependencies-missing': 'helm-dependencies-missing',
  'helm-values-number': 'helm-values-number',
  'kustomize-image-unused': 'kustomize-image-unused',
  'kustomize-remote-base': 'kustomize-remote-base',
  'render-tool-missing': 'render-tool-missing',
  'max-duration': 'max-duration-exceeded',
  'gitops-render-error': 'gitops-render-error',
  'gitops-substitution-unresolved': 'gitops-substitution-unresolved',
  'gitops-source-not-checked': 'gitops-source-not-checked',
  'gitops-path-not-scanned': 'gitops-path-not-scanned',
};

/** Nothing read is lost: every file-level problem becomes a finding where it happened. */
export function manifestProblemFindings(problems: ManifestProblem[]): Finding[] {
  return problems.map((problem) =>
    finding(PROBLEM_RULES[problem.kind], problem, {
      message: problem.message,
      ...(problem.resource ? { resource: problem.resource } : {}),
    }),
  );
}
