import { wildcardMatch } from '../patterns.js';

/**
 * `*` matches any run of characters (dots and slashes included), `?` one character; the rest is
 * literal. Patterns may come from the repository's config file, so no regular expression is built.
 */
export function globMatch(pattern: string, text: string): boolean {
  return wildcardMatch(pattern, text);
}
