/** One challenge of a `WWW-Authenticate` header: `Bearer realm="…",service="…"` or `Basic realm="…"`. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const ITEM = new RegExp(
  `[\\s,]*(?:(${TOKEN})[ \\t]*=[ \\t]*("(?:[^"\\\\]|\\\\.)*"|[^\\s,]*)|(${TOKEN}))`,
  'y',
);

/**
 * Parses a `WWW-Authenticate` value (RFC 7235): several challenges, each a scheme followed by
 * `name=value` parameters, values plain or quoted with `\` escapes. Schemes and names lower-cased.
 */
export function parseChallenges(header: string | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  if (!header) return challenges;
  ITEM.lastIndex = 0;
  for (let match = ITEM.exec(header); match; match = ITEM.exec(header)) {
    const [, name, value, scheme] = match;
    if (scheme) challenges.push({ scheme: scheme.toLowerCase(), params: {} });
    else if (name && challenges.length) {
      const unquoted = value!.startsWith('"') ? value!.slice(1, -1).replace(/\\(.)/g, '$1') : value!;
      challenges.at(-1)!.params[name.toLowerCase()] = unquoted;
    }
  }
  return challenges;
}
