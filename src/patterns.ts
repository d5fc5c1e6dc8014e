/**
 * Matching of patterns a pull request writes (globs, kustomize's regular-expression names) without
 * letting one hold the runner: JavaScript's regular expressions backtrack, Go's (which kustomize and
 * Argo CD use) do not, so `(a+)+$` or `*a*a*a*…b` must never reach a backtracking engine.
 */

/**
 * `*` any run of characters and `?` any one — except `separator` when given, which only `**` crosses;
 * everything else is literal. Memoised over (pattern, text) positions: time is linear in their product.
 */
export function wildcardMatch(pattern: string, text: string, separator?: string): boolean {
  // The matcher recurses once per `*`; no real pattern is this long.
  if (pattern.length > MAX_WILDCARD_PATTERN) return false;
  const seen = new Set<number>();
  const width = text.length + 1;
  const match = (p: number, t: number): boolean => {
    for (;;) {
      if (p === pattern.length) return t === text.length;
      const c = pattern[p];
      if (c === '*') {
        const globstar = pattern[p + 1] === '*';
        const next = globstar ? p + 2 : p + 1;
        const key = p * width + t;
        if (seen.has(key)) return false;
        seen.add(key);
        if (match(next, t)) return true;
        if (t === text.length || (!globstar && text[t] === separator)) return false;
        t++;
        continue;
      }
      if (t === text.length) return false;
      if (c === '?' ? text[t] === separator : c !== text[t]) return false;
      p++;
      t++;
    }
  };
  return match(0, 0);
}

const MAX_WILDCARD_PATTERN = 1024;

/**
 * Whether a regular expression could backtrack without end in JavaScript: a quantifier applied to a
 * group (`(a+)+`, `(a|a)*`), or more than three quantifiers (`.*.*.*.*x`). Such a pattern is compared
 * literally by its callers instead of being run.
 */
export function mayBacktrack(pattern: string): boolean {
  const quantifiers = pattern.replace(/\\./g, '').match(/[*+?]|\{\d/g)?.length ?? 0;
  return /\)\s*(?:[*+?]|\{\d)/.test(pattern) || quantifiers > 3;
}
