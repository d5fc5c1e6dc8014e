import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Finding, Severity } from '../../src/findings.js';
import { annotate } from '../../src/report/annotations.js';
import { showControlCharacters } from '../../src/report/escape.js';
import { textReport } from '../../src/report/text.js';
import { runCliIn } from '../support/run.js';

/**
 * The GitHub runner reads a step's output line by line (StreamReader.ReadLine: `\n`, `\r` and `\r\n`
 * each end a line) and runs a line as a workflow command when, after trimming leading white space,
 * it starts with `::name` (ActionCommand.TryParseV2) or contains the legacy `##[name` anywhere
 * (ActionCommand.TryParse). This is that parser, as actions/runner's ActionCommand.cs has it.
 */
const COMMANDS = new Set([
  'error',
  'warning',
  'notice',
  'debug',
  'group',
  'endgroup',
  'add-mask',
  'stop-commands',
  'set-output',
  'set-env',
  'add-path',
  'save-state',
  'echo',
  'add-matcher',
  'remove-matcher',
]);

interface Command {
  name: string;
  properties: Record<string, string>;
  data: string;
}

const unescape = (text: string, pairs: Array<[string, string]>) =>
  pairs.reduce((value, [from, to]) => value.split(from).join(to), text);
const PROPERTY: Array<[string, string]> = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%3A', ':'],
  ['%2C', ','],
  ['%25', '%'],
];
const DATA: Array<[string, string]> = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%25', '%'],
];

function runnerCommand(line: string): Command | 'legacy' | undefined {
  const trimmed = line.trimStart();
  if (trimmed.startsWith('::')) {
    const end = trimmed.indexOf('::', 2);
    if (end >= 0) {
      const info = trimmed.slice(2, end);
      const space = info.indexOf(' ');
      const name = space < 0 ? info : info.slice(0, space);
      if (COMMANDS.has(name)) {
        const properties: Record<string, string> = {};
        if (space > 0)
          for (const pair of info
            .slice(space + 1)
            .trim()
            .split(',')
            .filter(Boolean)) {
            const at = pair.indexOf('=');
            if (at > 0) properties[pair.slice(0, at)] = unescape(pair.slice(at + 1), PROPERTY);
          }
        return { name, properties, data: unescape(trimmed.slice(end + 2), DATA) };
      }
    }
  }
  const legacy = line.indexOf('##[');
  if (legacy >= 0) {
    const close = line.indexOf(']', legacy);
    const name = close < 0 ? '' : line.slice(legacy + 3, close).split(' ')[0]!;
    if (COMMANDS.has(name)) return 'legacy';
  }
  return undefined;
}

const runnerLines = (output: string) => output.split(/\r\n|\r|\n/);

const HOSTILE = [
  'plain',
  'a\nb',
  'a\rb',
  'a\r\nb',
  '\n::error file=x.yaml::injected',
  '\r::warning::injected',
  '::error::at the start',
  '  ::notice::after spaces',
  '\u00a0::notice::after a no-break space',
  'middle ##[error]legacy',
  '##[stop-commands]token',
  'colour \u001b[31mred\u001b]0;title\u0007',
  'line\u2028separator\u0085next line',
  'percent %0A and %25',
  'comma, colon: done',
];

function finding(text: string, index: number, severity: Severity = 'error'): Finding {
  return {
    rule: 'tag-not-found',
    severity,
    file: `${text}/web.yaml`,
    line: index + 1,
    column: 1,
    endLine: index + 1,
    endColumn: 5,
    image: `app:${text}`,
    message: `Tag "${text}" does not exist`,
    fix: `Push ${text}`,
  };
}

describe('CLI text output', () => {
  const findings = HOSTILE.map((text, i) => finding(text, i));
  const analysis = { findings, suppressed: [], images: [] };

  it.each([false, true])('has no workflow command and one line per finding and fix (colour %s)', (colour) => {
    const text = textReport(analysis, colour);
    const lines = runnerLines(text.replace(/\n$/, ''));
    expect(lines).toHaveLength(findings.length * 2 + 1);
    for (const line of lines) expect(runnerCommand(line)).toBeUndefined();
    // The only escape sequences are the report's own colours.
    /* eslint-disable no-control-regex -- looking for control characters */
    expect(text.replace(/\u001b\[(?:\d+)m/g, '')).not.toMatch(
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/,
    );
    /* eslint-enable no-control-regex */
    findings.forEach((f, i) => {
      const line = lines[i * 2]!;
      expect(line).toContain(showControlCharacters(f.message).replace(/##\[/g, '##\\['));
      expect(line).toMatch(/^(\.\/)?\S/);
    });
  });

  it('names control characters so a reader sees them', () => {
    expect(showControlCharacters('a\nb\rc\td\u001be\u202ef')).toBe('a\\nb\\rc\\td\\u001be\\u202ef');
  });
});

describe('the CLI on a hostile checkout', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'preflight-log-'));
    await mkdir(path.join(dir, '::error::x'));
    await writeFile(
      path.join(dir, '::error::x', 'pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n' +
        '    - name: c\n      image: "Bad\\r::error::injected\\n##[error]x\\u001b[2J"\n',
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints findings and warnings that the runner cannot take for commands', async () => {
    const run = await runCliIn(dir, ['--offline', '.']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('./::error::x/pod.yaml:7:');
    expect(run.stdout).toContain('Bad\\r::error::injected\\n##\\[error]x\\u001b[2J');
    for (const line of runnerLines(run.stdout + run.stderr)) expect(runnerCommand(line)).toBeUndefined();
  });

  it('escapes a usage error naming a hostile value', async () => {
    const run = await runCliIn(dir, ['--format', 'x\r::error::injected', '.']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('x\\r::error::injected');
    for (const line of runnerLines(run.stderr)) expect(runnerCommand(line)).toBeUndefined();
  });
});

describe('workflow-command annotations (the fallback when no check run can be written)', () => {
  it('turns each finding into exactly one command whose file and message come back unchanged', () => {
    const findings = HOSTILE.map((text, i) =>
      finding(text, i, (['error', 'warning', 'notice'] as const)[i % 3]),
    );
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    try {
      annotate(findings);
    } finally {
      write.mockRestore();
    }
    const commands = runnerLines(out.replace(/\n$/, '')).map(runnerCommand);
    expect(commands).toHaveLength(findings.length);
    commands.forEach((command, i) => {
      const f = findings[i]!;
      expect(command).toEqual({
        name: f.severity,
        properties: expect.objectContaining({ file: f.file, line: String(f.line) }),
        data: `${f.message}\nFix: ${f.fix}`,
      });
    });
  });
});
