/** What a scan hands the report stage: its own module, so report/ depends on the result, not on the scan. */
import type { AnalysisResult } from './analysis/analyze.js';
import type { RenderSummary } from './render/index.js';
import type { RateLimitInfo } from './registry/types.js';

export interface RegistryActivity {
  contacted: string[];
  rateLimits: Record<string, RateLimitInfo>;
  requests: Record<string, number>;
  /** A wait for missing images (wait-for-images): re-check rounds run and HEAD requests they made. */
  wait?: { rounds: number; rechecks: number; perRound: number[] };
}

/** What a scan concluded. Deliberately not the ManifestSet: that holds the pull secrets' passwords. */
export interface ScanResult extends AnalysisResult {
  /** Files read, relative to the working directory. */
  files: string[];
  /** Absent when offline. */
  registry?: RegistryActivity;
  /** Problems with the CI's own credentials (never containing them), and roots left out of rendering. */
  warnings: string[];
  /** The kustomize roots and Helm charts rendered and checked. */
  rendered: RenderSummary;
}
