// The printed results table: each figure, its goal, and whether it is met.

export type Verdict = 'PASS' | 'MISS' | 'INFO' | 'SKIP' | 'ERROR';

export interface Row {
  section: string;
  figure: string;
  value: string;
  goal: string;
  verdict: Verdict;
}

export function verdict(met: boolean): Verdict {
  return met ? 'PASS' : 'MISS';
}

const WIDTHS = { section: 12, figure: 34, value: 40 } as const;

export function formatTable(rows: readonly Row[]): string {
  const header = line('section', 'figure', 'value', 'goal', 'result');
  const rule = '-'.repeat(Math.min(header.length, 160));
  return [header, rule, ...rows.map((r) => line(r.section, r.figure, r.value, r.goal, r.verdict))].join('\n');
}

function line(section: string, figure: string, value: string, goal: string, result: string): string {
  return [
    result.padEnd(6),
    section.padEnd(WIDTHS.section),
    figure.padEnd(WIDTHS.figure),
    value.padEnd(WIDTHS.value),
    goal,
  ].join(' ');
}

/** A block of indented lines under a heading, for breakdowns that do not fit a table cell. */
export function formatBlock(title: string, lines: readonly string[]): string {
  return [`${title}:`, ...lines.map((text) => `  ${text}`)].join('\n');
}
