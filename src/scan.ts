import { analyze, type AnalysisResult, type PullCheck } from './analysis/analyze.js';
import { discoverManifestFiles, readManifests } from './manifests/files.js';
import type { ManifestSet } from './manifests/types.js';

/** Everything the engine needs, already validated: the CLI and the action each build one. */
export interface ScanOptions {
  cwd: string;
  paths: string[];
  defaultNamespace: string;
  maxFileSize: number;
}

export interface ScanResult extends AnalysisResult {
  manifests: ManifestSet;
}

/** changes → manifests → reference → credentials → registry → analysis: one pass. */
export async function scan(options: ScanOptions, pullCheck?: PullCheck): Promise<ScanResult> {
  const files = await discoverManifestFiles(options.paths, options.cwd);
  const manifests = await readManifests(files, {
    cwd: options.cwd,
    maxFileSize: options.maxFileSize,
    defaultNamespace: options.defaultNamespace,
  });
  const result = await analyze(manifests, pullCheck);
  return { ...result, manifests };
}
