export { parseImageReference } from './parse.js';
export type { ImageReference, ReferenceParseResult } from './types.js';
