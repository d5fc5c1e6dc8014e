import type { Finding } from '../findings.js';
import type { ContainerImage, ManifestSet } from '../manifests/types.js';
import { parseImageReference } from '../reference/index.js';
import type { ImageReference } from '../reference/types.js';
import { mergeRenderedFindings } from '../render/findings.js';
import { decide, type Decision, type PullVerdict } from './decisions.js';
import { deployTimeDecision } from './deploy-time.js';
import { finding, imageFinding } from './finding.js';
import { summarizeImages, type ImageReport, type ImageVerdict } from './images.js';
import { manifestProblemFindings } from './manifest-findings.js';
import { word } from './messages.js';
import {
  applySuppressions,
  NO_SUPPRESSIONS,
  type SuppressedFinding,
  type SuppressionSettings,
} from './suppress.js';

export interface AnalysisResult {
  findings: Finding[];
  /** Findings silenced by comments or settings: counted and listed, never lost. */
  suppressed: SuppressedFinding[];
  images: ImageReport[];
}

/** Decides, for one container whose reference parses, what the kubelet's pull would get. */
export interface PullCheck<Plan> {
  /** What can be known before asking the registry (the pod's credentials), worked out once per image. */
  plan(image: ContainerImage, reference: ImageReference): Plan;
  /** Called once with every plan, before any `check` (to batch tokens); does not wait. */
  prepare(plans: Plan[]): void;
  check(plan: Plan): Promise<PullVerdict>;
}

/**
 * Findings for everything the files say, plus (when a pull check is given) what the registries say.
 * Without a pull check every parseable image is `unchecked`.
 */
export async function analyze<Plan>(
  manifests: ManifestSet,
  pullCheck?: PullCheck<Plan>,
  suppressions: SuppressionSettings = NO_SUPPRESSIONS,
): Promise<AnalysisResult> {
  const findings = manifestProblemFindings(manifests.problems);
  const elsewhere = new Set<string>();
  const found = (image: ContainerImage, decisions: Decision[]) => {
    for (const decision of decisions) {
      if (!decision.at) {
        findings.push(imageFinding(decision.rule, image, word(decision)));
        continue;
      }
      // Anchored on what the pod shares (an imagePullSecrets entry): once, however many containers.
      const made = finding(decision.rule, decision.at, { resource: image.pod.resource, ...word(decision) });
      const key = [made.rule, made.file, made.line, made.column, made.message].join('\0');
      if (!elsewhere.has(key)) findings.push(made);
      elsewhere.add(key);
    }
  };
  const parsed = manifests.images.map((image) => {
    const result = parseImageReference(image.image);
    const plan =
      pullCheck && result.ok && image.imagePullPolicy !== 'Never'
        ? pullCheck.plan(image, result.reference)
        : undefined;
    return { image, result, plan };
  });
  pullCheck?.prepare(parsed.flatMap(({ plan }) => (plan === undefined ? [] : [plan])));
  const verdicts = await Promise.all(
    parsed.map(async ({ image, result, plan }): Promise<ImageVerdict> => {
      if (!result.ok) {
        const deployTime = deployTimeDecision(image.image, image.pod.resource.kind);
        if (deployTime) {
          found(image, [deployTime]);
          return { image, status: 'unverified' };
        }
        found(image, [decide('invalid-reference', { written: image.image, reason: result.reason })]);
        return { image, status: 'invalid' };
      }
      const reference = result.reference;
      const verdict: ImageVerdict = { image, status: 'unchecked', normalized: reference.normalized };
      if (pullCheck && plan !== undefined) {
        const checked = await pullCheck.check(plan);
        found(image, checked.decisions);
        verdict.status = checked.status;
        if (checked.digest) verdict.digest = checked.digest;
      }
      found(image, staticImageDecisions(image, reference, verdict.digest));
      return verdict;
    }),
  );
  const { kept, suppressed } = applySuppressions(
    sortFindings(findings),
    manifests.suppressions,
    suppressions,
  );
  return { findings: mergeRenderedFindings(kept), suppressed, images: summarizeImages(verdicts) };
}

function staticImageDecisions(image: ContainerImage, reference: ImageReference, digest?: string): Decision[] {
  const decisions: Decision[] = [];
  if (image.imagePullPolicy === 'Never') decisions.push(decide('pull-policy-never', { reference }));
  if (!reference.digest && (reference.tag === undefined || reference.tag === 'latest')) {
    decisions.push(decide('mutable-tag', { reference, ...(digest ? { digest } : {}) }));
  }
  return decisions;
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      a.rule.localeCompare(b.rule) ||
      a.message.localeCompare(b.message),
  );
}
