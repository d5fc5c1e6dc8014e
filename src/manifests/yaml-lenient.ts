/**
 * Where js-yaml is stricter than go-yaml (what kubectl and kustomize parse with), a copy of the text
 * that js-yaml accepts, with a map back to the original offsets so positions stay exact.
 *
 * The differences, found by running go-yaml (sigs.k8s.io/yaml over gopkg.in/yaml.v2, as kubectl's
 * decoder does) and js-yaml on the same inputs:
 * - libyaml does not check indentation inside flow collections (`[ … ]`, `{ … }`) or inside
 *   multi-line quoted scalars; js-yaml wants every continuation line indented deeper than the line
 *   the collection or scalar starts on ("deficient indentation"), so `]` at its key's indentation
 *   fails there. Such lines get the missing spaces.
 * - libyaml takes a tab as white space anywhere in a flow collection; js-yaml only at some places.
 *   Such tabs become spaces (same length, so offsets do not move).
 */
export interface RelaxedText {
  text: string;
  /** The offset in the original text of an offset in `text`. */
  toOriginal(offset: number): number;
}

const PLAIN_BREAK = /[\s]/;

/** The relaxed text, or undefined when nothing needed relaxing. */
export function relaxForGoYaml(text: string): RelaxedText | undefined {
  const out: string[] = [];
  /** Sorted insertion points: at original offset `at`, `added` spaces were inserted (cumulative). */
  const insertions: Array<{ patched: number; original: number; shift: number }> = [];
  let shift = 0;
  let changed = false;
  let patchedLength = 0;

  let flowDepth = 0;
  let quote: '"' | "'" | undefined;
  /** Indentation of the line the open flow collection or quoted scalar started on. */
  let openedIndent = 0;
  /** Inside a block scalar: lines indented deeper than this (or blank) are its content. */
  let blockParent: number | undefined;

  let offset = 0;
  while (offset < text.length) {
    const newline = text.indexOf('\n', offset);
    const lineEnd = newline === -1 ? text.length : newline + 1;
    let line = text.slice(offset, lineEnd);
    const indent = /^ */.exec(line)![0].length;
    const blank = /^[ \t]*\r?\n?$/.test(line);

    if (blockParent !== undefined) {
      if (blank || indent > blockParent) {
        out.push(line);
        patchedLength += line.length;
        offset = lineEnd;
        continue;
      }
      blockParent = undefined;
    }

    const continuing = flowDepth > 0 || quote !== undefined;
    if (continuing && !blank) {
      if (flowDepth > 0 && quote === undefined) {
        const leading = /^[ \t]*/.exec(line)![0];
        if (leading.includes('\t')) {
          line = leading.replace(/\t/g, ' ') + line.slice(leading.length);
          changed = true;
        }
      }
      const current = /^ */.exec(line)![0].length;
      const missing = openedIndent + 1 - current;
      if (missing > 0 && !line.startsWith('---') && !line.startsWith('...')) {
        shift += missing;
        insertions.push({ patched: patchedLength, original: offset, shift });
        line = ' '.repeat(missing) + line;
        changed = true;
      }
    }

    // Scan the line for flow indicators, quotes, comments and block scalar headers.
    const chars = line.split('');
    const lineIndent = /^ */.exec(line)![0].length;
    let tokenStart = true;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (quote === '"') {
        if (c === '\\') i++;
        else if (c === '"') {
          quote = undefined;
          tokenStart = false;
        }
        continue;
      }
      if (quote === "'") {
        if (c === "'" && chars[i + 1] === "'") i++;
        else if (c === "'") {
          quote = undefined;
          tokenStart = false;
        }
        continue;
      }
      if (c === '#' && (i === 0 || PLAIN_BREAK.test(chars[i - 1]!))) break;
      if (c === '\t' && flowDepth > 0) {
        chars[i] = ' ';
        changed = true;
      }
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
      if ((c === '"' || c === "'") && tokenStart) {
        if (flowDepth === 0) openedIndent = lineIndent;
        quote = c;
        continue;
      }
      if ((c === '[' || c === '{') && (tokenStart || flowDepth > 0)) {
        if (flowDepth === 0) openedIndent = lineIndent;
        flowDepth++;
        tokenStart = true;
        continue;
      }
      if (flowDepth > 0 && (c === ']' || c === '}')) {
        flowDepth--;
        tokenStart = false;
        continue;
      }
      if (flowDepth > 0 && c === ',') {
        tokenStart = true;
        continue;
      }
      if (
        (c === ':' || c === '-' || c === '?') &&
        (i + 1 >= chars.length || PLAIN_BREAK.test(chars[i + 1]!))
      ) {
        tokenStart = true;
        continue;
      }
      if (flowDepth === 0 && tokenStart && (c === '|' || c === '>')) {
        const rest = line.slice(i + 1);
        if (/^[0-9+-]*\s*(?:#.*)?$/.test(rest.replace(/\r?\n$/, ''))) {
          blockParent = lineIndent;
          break;
        }
      }
      if ((c === '&' || c === '!') && tokenStart) {
        // An anchor or tag: the node itself follows after white space.
        while (i + 1 < chars.length && !PLAIN_BREAK.test(chars[i + 1]!)) i++;
        continue;
      }
      tokenStart = false;
    }
    out.push(chars.join(''));
    patchedLength += line.length;
    offset = lineEnd;
  }
  if (!changed) return undefined;
  const patchedText = out.join('');
  return {
    text: patchedText,
    toOriginal(patched: number): number {
      // The last insertion at or before this offset decides the shift.
      let low = 0;
      let high = insertions.length - 1;
      let found = -1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        if (insertions[mid]!.patched <= patched) {
          found = mid;
          low = mid + 1;
        } else high = mid - 1;
      }
      if (found === -1) return patched;
      const insertion = insertions[found]!;
      // Inside the inserted spaces: the first character of the original line.
      return Math.max(insertion.original, patched - insertion.shift);
    },
  };
}
