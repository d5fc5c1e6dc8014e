/**
 * Text from the pull request (file names, images, messages that quote them) made safe to print: a
 * control character can neither move the cursor, recolour the terminal, nor end the line early (the
 * runner splits its log on a lone `\r` too), and nothing can read as a workflow command.
 */

// C0 and C1 controls, DEL, Unicode line/paragraph separators, bidirectional overrides and the BOM.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `\n`, `\r`, `\t` by name, every other such character as `\u001b`. */
export function showControlCharacters(text: string): string {
  return text.replace(
    INVISIBLE,
    (char) => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * One line of log text: controls shown, and the runner's legacy `##[command]` form (which it honours
 * anywhere in a line) broken. A `::command::` is only honoured at the start of a line, which
 * `logPath` guards.
 */
export function logText(text: string): string {
  return showControlCharacters(text).replace(/##\[/g, '##\\[');
}

/** A file path that begins a log line: never `::…` (after the runner trims leading whitespace). */
export function logPath(file: string): string {
  const text = logText(file);
  return /^\s*:/.test(text) ? `./${text}` : text;
}
