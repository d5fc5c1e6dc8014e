import { showControlCharacters } from './escape.js';

/**
 * User-controlled text in GitHub Markdown (job summary, check-run summary, PR comment). GitHub
 * renders with cmark-gfm (tables, autolinks, strikethrough, math) and then links `@mentions` and
 * `#123` references in the remaining text, so both layers are neutralised.
 */

// Every character that can open inline syntax or end a table cell; a backslash makes each literal.
const INLINE_SYNTAX = /[\\`*_[\]<>!|~&$#@{}]/g;

/** Prose: shown literally, never a link, image, mention, reference, HTML or the end of a cell. */
export function markdownText(text: string): string {
  return (
    showControlCharacters(text)
      .replace(INLINE_SYNTAX, (char) => `\\${char}`)
      // A zero-width space after `@` and `#` (as Renovate does): GitHub's mention and issue-reference
      // filters, and GFM's e-mail autolinks, need the name or number right after it.
      .replace(/\\([@#])/g, '\\$1&#8203;')
      // GFM extended autolinks start at `www.` and at `scheme://`.
      .replace(/www\./gi, (www) => `${www.slice(0, 3)}\\.`)
      .replace(/:(?=\/\/)/g, '\\:')
      // At the start of a block (a note in a blockquote) these would begin a list or a code block.
      .replace(/^(?=\s|[-+=]|\d+[.)])/, '&#8203;')
  );
}

/**
 * Exact text (an image, a file name) as a code span, which nothing inside can end: the fence is longer
 * than any run of backticks in it. In a table cell `|` is escaped (GFM unescapes `\|` in cells before
 * parsing the span); elsewhere a code span needs no escaping.
 */
export function markdownCode(text: string, options: { inTable: boolean }): string {
  let content = showControlCharacters(text);
  if (options.inTable) content = content.replace(/\|/g, '\\|');
  if (content === '') return '` `';
  const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // One space each side is stripped from a span that starts or ends with a backtick or a space.
  const pad = /^[` ]|[` ]$/.test(content) ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}

/** A value inside a double-quoted HTML attribute. */
export function htmlAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
