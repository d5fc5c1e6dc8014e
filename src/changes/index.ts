// Stage 1 of the pipeline: which files did this event change?
export { detectChanges } from './detect.js';
export { normalisePaths } from './paths.js';
export { MAX_PULL_FILES } from './pull-files.js';
export type { ChangeOptions, ChangeSet } from './types.js';
