import type { Finding } from '../findings.js';
import type { ContainerImage, ManifestSet } from '../manifests/types.js';
import { parseImageReference } from '../reference/index.js';
import type { ImageReference } from '../reference/types.js';
import { deployTimeFinding } from './deploy-time.js';
import { imageFinding } from './finding.js';
import { summarizeImages, type ImageReport, type ImageStatus, type ImageVerdict } from './images.js';
import { manifestProblemFindings } from './manifest-findings.js';
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
export interface PullCheck {
  /** Called once with every image to be checked, before any `check` (to batch tokens); does not wait. */
  prepare(images: Array<{ image: ContainerImage; reference: ImageReference }>): void;
  check(
    image: ContainerImage,
    reference: ImageReference,
  ): Promise<{ status: ImageStatus; digest?: string; findings: Finding[] }>;
}

/**
 * Findings for everything the files say, plus (when a pull check is given) what the registries say.
 * Without a pull check every parseable image is `unchecked`.
 */
export async function analyze(
  manifests: ManifestSet,
  pullCheck?: PullCheck,
  suppressions: SuppressionSettings = NO_SUPPRESSIONS,
): Promise<AnalysisResult> {
  const findings = manifestProblemFindings(manifests.problems);
  const parsed = manifests.images.map((image) => ({ image, parsed: parseImageReference(image.image) }));
  const toCheck = parsed.flatMap(({ image, parsed: result }) =>
    result.ok && image.imagePullPolicy !== 'Never' ? [{ image, reference: result.reference }] : [],
  );
  pullCheck?.prepare(toCheck);
  const verdicts = await Promise.all(
    parsed.map(async ({ image, parsed: result }): Promise<ImageVerdict> => {
      if (!result.ok) {
        const deployTime = deployTimeFinding(image);
        if (deployTime) {
          findings.push(deployTime);
          return { image, status: 'unverified' };
        }
        findings.push(
          imageFinding('invalid-reference', image, {
            message: `"${image.image}" is not a valid image reference (${result.reason}); the kubelet reports InvalidImageName and never pulls.`,
          }),
        );
        return { image, status: 'invalid' };
      }
      const reference = result.reference;
      const verdict: ImageVerdict = { image, status: 'unchecked', normalized: reference.normalized };
      if (pullCheck && image.imagePullPolicy !== 'Never') {
        const checked = await pullCheck.check(image, reference);
        findings.push(...checked.findings);
        verdict.status = checked.status;
        if (checked.digest) verdict.digest = checked.digest;
      }
      findings.push(...staticImageFindings(image, reference, verdict.digest));
      return verdict;
    }),
  );
  const { kept, suppressed } = applySuppressions(
    sortFindings(findings),
    manifests.suppressions,
    suppressions,
  );
  return { findings: kept, suppressed, images: summarizeImages(verdicts) };
}

function staticImageFindings(image: ContainerImage, reference: ImageReference, digest?: string): Finding[] {
  const findings: Finding[] = [];
  if (image.imagePullPolicy === 'Never') {
    findings.push(
      imageFinding('pull-policy-never', image, {
        message: `imagePullPolicy is Never: the kubelet will not pull ${reference.familiar}; the pod fails with ErrImageNeverPull unless the image is already on every node it can run on.`,
      }),
    );
  }
  if (!reference.digest && (reference.tag === undefined || reference.tag === 'latest')) {
    findings.push(
      imageFinding('mutable-tag', image, {
        message: `${reference.tag ? 'The tag "latest"' : 'No tag, so "latest",'} is mutable: each node may pull a different image, and imagePullPolicy defaults to Always.`,
        fix: `Pin a version tag or a digest: ${reference.familiar.replace(/:latest$/, '')}@${digest ?? 'sha256:…'}`,
      }),
    );
  }
  return findings;
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
