import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseImageReference } from '../../src/reference/index.js';
import type { ReferenceParseResult } from '../../src/reference/index.js';
import { oracleParseNormalizedNamed } from './upstream-oracle.js';
import type { OracleResult } from './upstream-oracle.js';

// `npm run fuzz` runs this file; FUZZ_RUNS=100000 for a long soak.
const RUNS = Number.parseInt(process.env.FUZZ_RUNS ?? '', 10) || 2000;
const TIMEOUT = Math.max(30_000, RUNS * 3);
const settings = { numRuns: RUNS };

const chars = (s: string): fc.Arbitrary<string> => fc.constantFrom(...s);
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_HEX = '0123456789abcdef';
const hexOf = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: chars(LOWER_HEX), minLength: length, maxLength: length });

// --- Valid references, built from the grammar in distribution/reference's regexp.go ---
const alnumRun = fc.string({ unit: chars(LOWER_ALNUM), minLength: 1, maxLength: 6 });
const pathSeparator = fc.constantFrom('.', '_', '__', '-', '--', '---');
const pathComponent = fc
  .tuple(alnumRun, fc.array(fc.tuple(pathSeparator, alnumRun), { maxLength: 3 }))
  .map(([head, rest]) => head + rest.map(([sep, run]) => sep + run).join(''));
const pathArb = fc.array(pathComponent, { minLength: 1, maxLength: 4 });

const dnsLabel = fc
  .tuple(
    chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
    fc.string({
      unit: chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'),
      maxLength: 8,
    }),
    chars('abcdefghijklmnopqrstuvwxyz0123456789'),
  )
  .map(([first, middle, last]) => (middle === '' ? first : first + middle + last));
const port = fc.integer({ min: 0, max: 99999 }).map((p) => `:${p}`);
const optionalPort = fc.option(port, { nil: '' });
/** First segments that splitDockerDomain treats as a registry. */
const registryArb = fc.oneof(
  fc
    .tuple(fc.array(dnsLabel, { minLength: 2, maxLength: 4 }), optionalPort)
    .map(([labels, p]) => labels.join('.') + p),
  fc.tuple(dnsLabel, port).map(([label, p]) => label + p),
  optionalPort.map((p) => `localhost${p}`),
  fc
    .ipV6()
    .filter((ip) => !ip.includes('.'))
    .chain((ip) => optionalPort.map((p) => `[${ip}]${p}`)),
  dnsLabel.filter((label) => label.toLowerCase() !== label),
  fc.constantFrom('docker.io', 'index.docker.io'),
);
const tagArb = fc.stringMatching(/^[\w][\w.-]{0,127}$/);
const digestArb = fc.oneof(
  hexOf(64).map((h) => `sha256:${h}`),
  hexOf(96).map((h) => `sha384:${h}`),
  hexOf(128).map((h) => `sha512:${h}`),
);

interface Generated {
  input: string;
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

/** A valid reference and what upstream makes of it, modelled independently of the parser. */
const validReference: fc.Arbitrary<Generated> = fc
  .record({
    registry: fc.option(registryArb, { nil: undefined }),
    path: pathArb,
    tag: fc.option(tagArb, { nil: undefined }),
    digest: fc.option(digestArb, { nil: undefined }),
  })
  // Without a registry, a first segment with a dot would itself be taken as the registry.
  .filter(({ registry, path }) => registry !== undefined || path.length === 1 || !path[0]!.includes('.'))
  .map(({ registry, path, tag, digest }) => {
    const written = path.join('/');
    const domain = registry === undefined || registry === 'index.docker.io' ? 'docker.io' : registry;
    const input =
      (registry === undefined ? '' : `${registry}/`) +
      written +
      (tag === undefined ? '' : `:${tag}`) +
      (digest === undefined ? '' : `@${digest}`);
    const fullPath = domain === 'docker.io' && path.length === 1 ? `library/${written}` : written;
    return {
      input,
      domain,
      path: fullPath,
      ...(tag !== undefined && { tag }),
      ...(digest !== undefined && { digest }),
    };
  })
  // A bare 64-hex name is an image ID, which ParseNormalizedNamed refuses.
  .filter(({ input }) => !/^[a-f0-9]{64}$/.test(input));

/** The fields both parsers report, for comparing them. */
function comparable(result: ReferenceParseResult): OracleResult {
  if (!result.ok) return result;
  const { domain, path, tag, digest } = result.reference;
  return {
    ok: true,
    domain,
    path,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

/** splitDockerDomain's test for "this first segment is a registry". */
const looksLikeRegistry = (segment: string): boolean =>
  segment === 'localhost' || /[.:]/.test(segment) || segment.toLowerCase() !== segment;

// --- Near-miss and hostile strings ---
const WORDS =
  '__ -- // :: [] [::1] :5000 sha256: sha512: SHA256: localhost docker.io index.docker.io library/';
const TOKENS = [
  ...'abzf09AZ._-/:@[] \t\n%+~é\u212a\u0130\u{1F433}', // spreads by code point
  ...WORDS.split(' '),
  'f'.repeat(32),
  'f'.repeat(64),
];
const tokenString = fc.array(fc.constantFrom(...TOKENS), { maxLength: 14 }).map((parts) => parts.join(''));
const MUTATION_CHARS = 'aZ09._-/:@[]% \u212a';
const mutated = fc
  .tuple(validReference, fc.nat(), chars(MUTATION_CHARS), fc.constantFrom('insert', 'delete', 'replace'))
  .map(([{ input }, at, c, op]) => {
    const i = at % (input.length + 1);
    if (op === 'insert') return input.slice(0, i) + c + input.slice(i);
    return input.slice(0, i) + (op === 'replace' ? c : '') + input.slice(i + 1);
  });
// Around the 255-character path limit, where `library/` and separators count.
const nearLengthLimit = fc
  .tuple(
    fc.constantFrom('', 'example.com/', 'docker.io/', 'a/'),
    fc.integer({ min: 240, max: 270 }),
    fc.nat(),
  )
  .map(([prefix, n, slash]) => {
    const path = 'a'.repeat(n);
    const i = 1 + (slash % (n - 2));
    return prefix + (slash % 3 === 0 ? `${path.slice(0, i)}/${path.slice(i + 1)}` : path);
  });
const validInput = validReference.map(({ input }) => input);
const shortBinary = fc.string({ unit: 'binary', maxLength: 24 });
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 32 }),
  tokenString,
  mutated,
);

describe('parseImageReference fuzzing', () => {
  it(
    'never throws, on any string',
    () => {
      fc.assert(
        fc.property(anyString, (input) => {
          const result = parseImageReference(input);
          expect(result.ok || result.reason.length > 0).toBe(true);
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'agrees with a transliteration of upstream regexps on near-miss strings',
    () => {
      fc.assert(
        fc.property(fc.oneof(tokenString, mutated, validInput, nearLengthLimit, shortBinary), (input) => {
          expect(comparable(parseImageReference(input))).toEqual(oracleParseNormalizedNamed(input));
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'parses generated valid references as modelled, and round-trips normalized and familiar',
    () => {
      fc.assert(
        fc.property(validReference, (generated) => {
          const { input, ...expected } = generated;
          const result = parseImageReference(input);
          expect(comparable(result)).toEqual({ ok: true, ...expected });
          if (!result.ok) return;
          const ref = result.reference;
          expect(ref.manifestReference).toBe(ref.digest ?? ref.tag ?? 'latest');
          expect(ref.apiHost).toBe(ref.domain === 'docker.io' ? 'registry-1.docker.io' : ref.domain);

          const again = parseImageReference(ref.normalized);
          expect(again.ok && again.reference).toMatchObject({
            normalized: ref.normalized,
            domain: ref.domain,
            path: ref.path,
            manifestReference: ref.manifestReference,
          });

          const familiar = parseImageReference(ref.familiar);
          const firstSegment = ref.familiar.split('/')[0]!;
          if (ref.domain === 'docker.io' && ref.familiar.includes('/') && looksLikeRegistry(firstSegment)) {
            // Upstream's FamiliarString is lossy here: "docker.io/foo.com/x" prints as "foo.com/x".
            expect(familiar.ok && familiar.reference.domain).not.toBe('docker.io');
          } else {
            expect(familiar.ok && familiar.reference.normalized).toBe(ref.normalized);
          }
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'rejects uppercase in the repository path, except where upstream reads it as a registry',
    () => {
      const withUppercasePath = fc
        .record({
          registry: fc.option(registryArb, { nil: undefined }),
          path: pathArb.filter((path) => path.join('').search(/[a-z]/) >= 0),
          tag: fc.option(tagArb, { nil: undefined }),
          digest: fc.option(digestArb, { nil: undefined }),
          pick: fc.nat(),
        })
        .filter(
          ({ registry, path }) => registry !== undefined || path.length === 1 || !path[0]!.includes('.'),
        )
        .map(({ pick, path, ...rest }) => {
          // Upper-case one letter of one path segment.
          const letters = path.flatMap((c, k) => [...c.matchAll(/[a-z]/g)].map((m) => [k, m.index] as const));
          const [k, i] = letters[pick % letters.length]!;
          const segment = path[k]!;
          const upper = [...path];
          upper[k] = segment.slice(0, i) + segment[i]!.toUpperCase() + segment.slice(i + 1);
          return { ...rest, path: upper, k };
        });
      fc.assert(
        fc.property(withUppercasePath, ({ registry, path, tag, digest, k }) => {
          const written = path.join('/');
          const suffix = (tag === undefined ? '' : `:${tag}`) + (digest === undefined ? '' : `@${digest}`);
          const result = parseImageReference(
            (registry === undefined ? '' : `${registry}/`) + written + suffix,
          );
          if (registry === undefined && k === 0 && path.length > 1) {
            // splitDockerDomain takes an uppercase first segment for a registry host; one that is no
            // valid host (an underscore) fails, and upstream's lowercase retry names the cause.
            expect(result.ok ? result.reference.domain : result.reason).toBe(
              path[0]!.includes('_') ? 'repository name must be lowercase' : path[0],
            );
            return;
          }
          const dockerHub =
            registry === undefined || registry === 'docker.io' || registry === 'index.docker.io';
          const remainder = (dockerHub && path.length === 1 ? 'library/' : '') + written + suffix;
          const remote = remainder.split(':')[0];
          expect(result).toEqual({
            ok: false,
            reason: `invalid reference format: repository name (${remote}) must be lowercase`,
          });
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'rejects whitespace anywhere',
    () => {
      const withWhitespace = fc
        .tuple(validReference, fc.nat(), chars(' \t\n\r\v\f\u00a0\u2028\u3000'))
        .map(([{ input }, at, ws]) => {
          const i = at % (input.length + 1);
          return input.slice(0, i) + ws + input.slice(i);
        });
      fc.assert(
        fc.property(withWhitespace, (input) => {
          expect(parseImageReference(input).ok).toBe(false);
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'rejects "::" outside brackets',
    () => {
      const withDoubleColon = fc.tuple(validReference, fc.nat()).map(([{ input }, at]) => {
        const bracketed = /^\[[^\]]*\]/.exec(input)?.[0].length ?? 0;
        const i = bracketed + (at % (input.length - bracketed + 1));
        return input.slice(0, i) + '::' + input.slice(i);
      });
      fc.assert(
        fc.property(withDoubleColon, (input) => {
          expect(parseImageReference(input).ok).toBe(false);
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'accepted references satisfy the grammar invariants',
    () => {
      fc.assert(
        fc.property(anyString, (input) => {
          const result = parseImageReference(input);
          if (!result.ok) return;
          const ref = result.reference;
          expect(ref.path).toMatch(/^[a-z0-9._/-]+$/);
          expect(ref.path.length).toBeLessThanOrEqual(255);
          expect(input.trim()).toBe(input);
          expect(ref.original).toBe(input);
        }),
        settings,
      );
    },
    TIMEOUT,
  );
});
