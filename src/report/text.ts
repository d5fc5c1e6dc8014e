import type { AnalysisResult } from '../analysis/analyze.js';
import type { Severity } from '../findings.js';
import { logPath, logText } from './escape.js';

const COLOURS: Record<Severity, string> = {
  error: '\u001b[31m',
  warning: '\u001b[33m',
  notice: '\u001b[36m',
};
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

/**
 * `file:line:col  severity  rule  message` per finding, then a one-line tally. Text from the pull
 * request is escaped (see escape.ts): in a CI log no line of it can become a workflow command.
 */
export function textReport(result: AnalysisResult, colour: boolean): string {
  const paint = (code: string, text: string) => (colour ? `${code}${text}${RESET}` : text);
  const lines = result.findings.map((finding) => {
    const where = `${logPath(finding.file)}:${finding.line}:${finding.column}`;
    const fix = finding.fix ? `\n    ${paint(DIM, `fix: ${logText(finding.fix)}`)}` : '';
    return `${where}  ${paint(COLOURS[finding.severity], finding.severity)}  ${finding.rule}  ${logText(finding.message)}${fix}`;
  });
  const count = (severity: Severity) => result.findings.filter((f) => f.severity === severity).length;
  const checked = result.images.length;
  lines.push(
    `${count('error')} error(s), ${count('warning')} warning(s), ${count('notice')} notice(s); ` +
      `${checked} image reference(s) in ${new Set(result.images.flatMap((i) => i.locations.map((l) => l.file))).size} file(s)` +
      (result.suppressed.length ? `; ${result.suppressed.length} suppressed` : ''),
  );
  return `${lines.join('\n')}\n`;
}
