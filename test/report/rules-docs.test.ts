// docs/rules.md is what SARIF help links and the README point at: it must say what the catalogue says.
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/analysis/rules.js';
import { suppressionComments } from '../../src/manifests/extract.js';

const DOC = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8');
const CATALOGUE = [...RULES.values()];

interface Section {
  id: string;
  /** The section's prose, code blocks removed. */
  prose: string;
  codeBlocks: string[];
}

/** Splits at `## ` headings outside fenced code (YAML comments start with `#` too). */
function parse(markdown: string): { intro: Section; sections: Section[] } {
  const sections: Section[] = [{ id: '', prose: '', codeBlocks: [] }];
  let fence: string[] | undefined;
  let indent = '';
  for (const line of markdown.split('\n')) {
    const current = sections[sections.length - 1]!;
    const opening = /^(\s*)```/.exec(line);
    if (opening) {
      if (fence) current.codeBlocks.push(fence.join('\n'));
      fence = fence ? undefined : [];
      indent = opening[1]!;
    } else if (fence) {
      // Blocks inside list items are indented with the list; read them as written in a file.
      fence.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    } else if (line.startsWith('## ')) {
      sections.push({ id: line.slice(3).trim(), prose: '', codeBlocks: [] });
    } else {
      current.prose += `${line}\n`;
    }
  }
  const [intro, ...rest] = sections;
  return { intro: intro!, sections: rest };
}

/** Markdown backslash escapes (`\<image\>`) read as the plain text they render. */
function rendered(text: string): string {
  return text.replace(/\\([\\`*_[\]<>#|])/g, '$1');
}

function field(section: Section, name: string): string | undefined {
  const match = new RegExp(`^(?:- )?\\*\\*${name}:\\*\\* (.+)$`, 'm').exec(section.prose);
  return match ? rendered(match[1]!.trim()) : undefined;
}

const { intro, sections } = parse(DOC);

describe('docs/rules.md', () => {
  it('has one ## section per catalogue rule, in catalogue order', () => {
    expect(sections.map((section) => section.id)).toEqual(CATALOGUE.map((rule) => rule.id));
  });

  describe.each(CATALOGUE.map((rule, i) => [rule.id, rule, sections[i]] as const))(
    '%s',
    (_id, rule, section) => {
      it('states the catalogue severity and title', () => {
        expect(field(section!, 'Severity')).toBe(rule.severity);
        expect(field(section!, 'Title')).toBe(rule.title);
      });

      it('states what the cluster shows and the fix as the catalogue does', () => {
        expect(field(section!, 'What the cluster shows')).toBe(rule.clusterShows);
        expect(field(section!, 'Fix')).toBe(rule.fix);
      });

      it('has an example snippet that is YAML (broken only for the parse-error rule)', () => {
        expect(section!.codeBlocks).toHaveLength(1);
        // A key set twice is YAML kubectl reads; only a strict loader refuses it.
        const json = rule.id === 'manifest-duplicate-key';
        const parse = () => loadAll(section!.codeBlocks[0]!, null, { json });
        if (rule.id === 'manifest-parse-error') expect(parse).toThrow();
        else expect(parse).not.toThrow();
      });
    },
  );

  it('links every rule from the introduction', () => {
    for (const rule of CATALOGUE) expect(intro.prose).toContain(`[${rule.id}](#${rule.id})`);
  });

  it('explains every severity and both suppression inputs', () => {
    for (const severity of ['error', 'warning', 'notice']) expect(intro.prose).toContain(`| \`${severity}\``);
    expect(intro.codeBlocks.join('\n')).toMatch(/ignore-rules: .+\n.*ignore-images: /);
  });

  it('shows suppression comments that the scanner recognises, with rules that exist', () => {
    const comments = intro.codeBlocks.flatMap((block) => suppressionComments('example.yaml', block));
    expect(comments.map((comment) => comment.rules)).toEqual([
      ['mutable-tag'],
      ['node-credentials', 'registry-unreachable'],
    ]);
    for (const rule of comments.flatMap((comment) => comment.rules))
      expect(RULES.has(rule as never)).toBe(true);
    expect(comments.every((comment) => comment.reason !== '')).toBe(true);
  });
});
