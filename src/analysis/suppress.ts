import type { Finding } from '../findings.js';
import type { SuppressionComment } from '../manifests/types.js';
import { globMatch } from './glob.js';

export interface SuppressionSettings {
  /** Rule IDs never reported. */
  ignoreRules: string[];
  /** Globs on the image as written (`*` crosses `/`), e.g. `registry.internal/*`. */
  ignoreImages: string[];
  /** The config file's per-path suppressions. */
  paths?: PathSuppression[];
}

/** Findings in files under `path` (a file, a directory or a glob whose `*` crosses `/`), for `rules` or all. */
export interface PathSuppression {
  path: string;
  /** Empty: every rule. */
  rules: string[];
  reason: string;
}

export interface SuppressedFinding {
  finding: Finding;
  by: 'comment' | 'ignore-rules' | 'ignore-images' | 'config-path';
  reason: string;
}

export const NO_SUPPRESSIONS: SuppressionSettings = { ignoreRules: [], ignoreImages: [] };

/** Splits findings into those reported and those suppressed (which are counted, never silently lost). */
export function applySuppressions(
  findings: Finding[],
  comments: SuppressionComment[],
  settings: SuppressionSettings,
): { kept: Finding[]; suppressed: SuppressedFinding[] } {
  const kept: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const why = suppression(finding, comments, settings);
    if (why) suppressed.push({ finding, ...why });
    else kept.push(finding);
  }
  return { kept, suppressed };
}

function suppression(
  finding: Finding,
  comments: SuppressionComment[],
  settings: SuppressionSettings,
): Omit<SuppressedFinding, 'finding'> | undefined {
  if (settings.ignoreRules.includes(finding.rule))
    return { by: 'ignore-rules', reason: 'listed in ignore-rules' };
  const image = finding.image;
  if (image !== undefined && settings.ignoreImages.some((glob) => globMatch(glob, image))) {
    return { by: 'ignore-images', reason: 'matches ignore-images' };
  }
  const byPath = settings.paths?.find(
    (entry) =>
      (entry.rules.length === 0 || entry.rules.includes(finding.rule)) &&
      pathMatches(entry.path, finding.file),
  );
  if (byPath) return { by: 'config-path', reason: byPath.reason || `under ${byPath.path} (config file)` };
  // A comment on the finding's line, or on the line above it.
  const comment = comments.find(
    (c) =>
      c.file === finding.file &&
      (c.line === finding.line || c.line === finding.line - 1) &&
      (c.rules.length === 0 || c.rules.includes(finding.rule)),
  );
  return comment ? { by: 'comment', reason: comment.reason || 'inline comment' } : undefined;
}

/** `deploy/legacy` covers the files below it; `./` and a trailing `/` are ignored. */
function pathMatches(pattern: string, file: string): boolean {
  const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
  return globMatch(clean, file) || globMatch(`${clean}/*`, file);
}
