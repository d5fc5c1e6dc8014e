import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/findings.js';
import { showControlCharacters } from '../../src/report/escape.js';
import { markdownCode, markdownText } from '../../src/report/markdown.js';
import {
  COMMENT_MARKER,
  commentBody,
  fitMarkdown,
  GITHUB_TEXT_LIMIT,
  summaryMarkdown,
  type SummaryContext,
} from '../../src/report/summary.js';
import type { ScanResult } from '../../src/scan-result.js';

/**
 * What GitHub shows: the summary rendered by the real cmark-gfm with GitHub's extensions, raw HTML
 * passed through (GitHub sanitises it afterwards; here it must simply never come from the PR).
 */
function render(markdown: string): string {
  return execFileSync(
    'cmark-gfm',
    ['-e', 'table', '-e', 'autolink', '-e', 'strikethrough', '-e', 'tasklist', '--unsafe'],
    { input: markdown, encoding: 'utf8' },
  );
}

function decode(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** What a reader sees, without the zero-width spaces that break mentions and references. */
const visible = (html: string) => decode(html).replace(/\u200b/g, '');

const tags = (html: string) => [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1]!);
const rows = (html: string) =>
  [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd]>([\s\S]*?)<\/t[hd]>/g)].map((cell) => cell[1]!),
  );
/** Text outside code spans, where GitHub would link `@user`, `#123` and bare URLs. */
const prose = (html: string) => decode(html.replace(/<code>[\s\S]*?<\/code>/g, ' '));

const HOSTILE = [
  'plain text',
  'line\rbreak',
  'line\nbreak',
  'crlf\r\nbreak',
  'cell | split',
  'escaped \\| pipe',
  'trailing backslash \\',
  '[click](https://evil.example/)',
  '[ref]: https://evil.example/',
  '![pixel](https://evil.example/p.png)',
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '<!-- hidden -->',
  '&lt;b&gt;entity&lt;/b&gt;',
  'cc @octocat and @acme/admins',
  'fixes #123 and acme/app#7',
  'mail me@evil.example',
  'visit www.evil.example or https://evil.example/x',
  '`code` and ``two`` and ```',
  '`',
  '**bold** _em_ ~~strike~~ $x^2$',
  '- starts a list',
  '1. starts a list',
  '    indented code',
  '# heading',
  '> quote',
  'escape \u001b[31mred\u001b[0m',
  'bidi \u202eevil\u202c',
  '::error::injected',
  '##[error]legacy',
  '<https://evil.example>',
  '[x]\n[x]: https://evil.example',
];

describe('markdownText and markdownCode: literal, whatever the text', () => {
  it.each(HOSTILE)('%j in a table cell and a paragraph', (text) => {
    const table = render(
      `| a | b | c |\n|---|---|---|\n| ${markdownText(text)} | ${markdownCode(text, { inTable: true })} | end |\n`,
    );
    const [header, row, ...more] = rows(table);
    expect(header).toHaveLength(3);
    expect(more).toEqual([]);
    expect(row).toHaveLength(3);
    expect(visible(row![0]!)).toBe(showControlCharacters(text));
    expect(row![1]).toMatch(/^<code>[\s\S]*<\/code>$/);
    expect(decode(row![1]!)).toBe(showControlCharacters(text));
    expect(row![2]).toBe('end');
    expect(new Set(tags(table))).toEqual(new Set(['table', 'thead', 'tr', 'th', 'tbody', 'td', 'code']));
    expect(prose(table)).not.toMatch(/@[a-z0-9]|#\d/i);

    const paragraph = render(`> ${markdownText(text)}\n\nafter ${markdownCode(text, { inTable: false })}\n`);
    expect(tags(paragraph)).toEqual(['blockquote', 'p', 'p', 'blockquote', 'p', 'code', 'code', 'p']);
    const [quoted, after] = [...paragraph.matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) => m[1]!);
    expect(visible(quoted!)).toBe(showControlCharacters(text));
    expect(decode(after!)).toBe(`after ${showControlCharacters(text)}`);
  });

  it('writes code spans that need no escaping plainly', () => {
    expect(markdownCode('ghcr.io/acme/app:1.0', { inTable: true })).toBe('`ghcr.io/acme/app:1.0`');
    expect(markdownCode('a`b', { inTable: false })).toBe('``a`b``');
    expect(markdownCode('`', { inTable: false })).toBe('`` ` ``');
  });
});

function finding(text: string, index: number): Finding {
  return {
    rule: 'tag-not-found',
    severity: 'error',
    file: `deploy/${text}.yaml`,
    line: index + 1,
    column: 3,
    endLine: index + 1,
    endColumn: 10,
    image: `registry.example/${text}:1`,
    message: `Tag "${text}" does not exist`,
    fix: `Push ${text} or fix the tag`,
  };
}

function result(findings: Finding[], extra: Partial<ScanResult> = {}): ScanResult {
  return {
    findings,
    suppressed: [],
    images: [],
    files: [],
    warnings: [],
    rendered: { roots: [], capped: false },
    ...extra,
  };
}

const BLOB = 'https://github.com/acme/deploy/blob/abc123/';
const context: SummaryContext = {
  link: (file, line) => `${BLOB}${file.split('/').map(encodeURIComponent).join('/')}#L${line}`,
  scope: 'changed files (pull request API) @octocat #1',
  notes: HOSTILE,
};

describe('the job summary, check-run summary and PR comment', () => {
  const findings = HOSTILE.map(finding);
  const scanned = result(findings, {
    suppressed: [
      { finding: finding('[x](https://evil.example)', 99), by: 'comment', reason: '@octocat | <b>' },
    ],
    rendered: { roots: ['overlays/`prod`|x', 'chart <b>@octocat</b>'], capped: false },
    registry: {
      contacted: ['registry.example', 'evil.example/@octocat'],
      rateLimits: { 'registry.example': { limit: '100|x', remaining: '[1](https://evil.example)' } as never },
      requests: {},
    },
  });
  const html = render(commentBody(scanned, context));

  it('keeps one row of six cells per finding, each cell showing exactly what the PR wrote', () => {
    const table = html.slice(0, html.indexOf('</table>'));
    const [header, ...body] = rows(table);
    expect(header).toHaveLength(6);
    expect(body).toHaveLength(findings.length);
    body.forEach((cells, i) => {
      const original = findings[i]!;
      expect(cells).toHaveLength(6);
      expect(decode(cells[1]!)).toBe(showControlCharacters(`${original.file}:${original.line}`));
      expect(decode(cells[2]!)).toBe(showControlCharacters(original.image!));
      expect(visible(cells[3]!)).toBe(showControlCharacters(original.message));
      expect(decode(cells[4]!)).toBe('tag-not-found');
      expect(visible(cells[5]!)).toBe(showControlCharacters(original.fix));
    });
  });

  it('creates no link, image, mention, reference or HTML of the PR’s making', () => {
    expect(new Set(tags(html))).toEqual(
      new Set(
        ['h2', 'p', 'blockquote', 'table', 'thead', 'tr', 'th', 'tbody', 'td', 'a', 'code', 'strong'].concat([
          'details',
          'summary',
        ]),
      ),
    );
    const hrefs = [...html.matchAll(/<a\b([^>]*)>/g)].map((m) => m[1]);
    expect(hrefs).toHaveLength(findings.length);
    for (const attributes of hrefs)
      expect(attributes).toMatch(
        /^ href="https:\/\/github\.com\/acme\/deploy\/blob\/abc123\/deploy\/[^"]+#L\d+"$/,
      );
    expect(prose(html)).not.toMatch(/@[a-z0-9]|#\d/i);
    // Each hostile note is one quoted paragraph.
    expect(html.match(/<blockquote>/g)).toHaveLength(HOSTILE.length);
    // The only HTML comment is the sticky comment's marker, first.
    expect(html.match(/<!--[\s\S]*?-->/g)).toEqual([COMMENT_MARKER]);
    expect(html.startsWith(COMMENT_MARKER)).toBe(true);
  });

  it('cuts an oversized comment at a row boundary and says so', () => {
    const many = result(Array.from({ length: 2000 }, (_, i) => finding(`app-${i}|<b>`, i)));
    const body = commentBody(many, { ...context, notes: [] });
    expect(body.length).toBeLessThanOrEqual(GITHUB_TEXT_LIMIT);
    const shown = render(body);
    const [header, ...body_rows] = rows(shown);
    expect(header).toHaveLength(6);
    expect(body_rows.length).toBeGreaterThan(100);
    expect(body_rows.length).toBeLessThan(2000);
    for (const cells of body_rows) expect(cells).toHaveLength(6);
    expect(shown).toContain('<strong>Truncated:</strong> the job summary has the full report.');
    expect(fitMarkdown(summaryMarkdown(many, context))).toContain('Truncated');
    expect(summaryMarkdown(many, context)).not.toContain('Truncated');
  });
});
