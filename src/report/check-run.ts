import type { getOctokit } from '@actions/github';
import type { Finding } from '../findings.js';
import { RULES } from '../analysis/rules.js';

type Octokit = ReturnType<typeof getOctokit>;

/** The Checks API takes at most 50 annotations per request. */
export const ANNOTATIONS_PER_REQUEST = 50;
const LEVELS = { error: 'failure', warning: 'warning', notice: 'notice' } as const;
// The Checks API's limit on a message, details or summary, in characters.
const MAX_TEXT = 65535;

export interface CheckRunTarget {
  owner: string;
  repo: string;
  headSha: string;
  name: string;
}

export function checkAnnotation(finding: Finding) {
  const annotation: Record<string, string | number> = {
    path: finding.file,
    start_line: finding.line,
    end_line: finding.endLine,
    annotation_level: LEVELS[finding.severity],
    title: `${finding.rule}: ${RULES.get(finding.rule as never)?.title ?? finding.rule}`,
    message: finding.message.slice(0, MAX_TEXT),
    raw_details: `Fix: ${finding.fix}`.slice(0, MAX_TEXT),
  };
  // Columns are allowed only on one-line annotations; the API's end_column is inclusive.
  if (finding.line === finding.endLine) {
    annotation.start_column = finding.column;
    annotation.end_column = Math.max(finding.column, finding.endColumn - 1);
  }
  return annotation;
}

/**
 * One completed check run carrying every annotation, in batches of 50 (the first with the create,
 * the rest as updates). Throws the API's error (e.g. 403 for a fork's read-only token).
 */
export async function publishCheckRun(
  octokit: Octokit,
  target: CheckRunTarget,
  findings: Finding[],
  output: { title: string; summary: string; failed: boolean },
): Promise<{ id: number; requests: number }> {
  const annotations = findings.map(checkAnnotation);
  const batches: Array<typeof annotations> = [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST)
    batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const summary = output.summary.slice(0, MAX_TEXT);
  const created = await octokit.rest.checks.create({
    owner: target.owner,
    repo: target.repo,
    name: target.name,
    head_sha: target.headSha,
    status: 'completed',
    conclusion: output.failed ? 'failure' : 'success',
    output: { title: output.title, summary, annotations: (batches[0] ?? []) as never },
  });
  for (const batch of batches.slice(1)) {
    await octokit.rest.checks.update({
      owner: target.owner,
      repo: target.repo,
      check_run_id: created.data.id,
      output: { title: output.title, summary, annotations: batch as never },
    });
  }
  return { id: created.data.id, requests: Math.max(1, batches.length) };
}
