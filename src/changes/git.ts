import { execFile, type ExecFileException } from 'node:child_process';
import { duration } from './text.js';

export type GitDiffResult =
  | { ok: true; files: string[] }
  | {
      ok: false;
      reason: string;
      /** The commits are not in the checkout: a deeper fetch would fix it. */
      missingHistory: boolean;
    };

export interface GitOptions {
  timeoutMs: number;
  /** Bounds stdout; a diff listing more than this is not worth scanning file by file. */
  maxOutputBytes?: number;
}

type GitRun = { ok: true; stdout: string } | { ok: false; reason: string };

const DEFAULT_MAX_OUTPUT = 32 * 1024 * 1024;

/**
 * Names of files added or modified between two commits (`..` diffs the two trees; `...` diffs from
 * their merge base, as GitHub shows a pull request). SHAs must already be validated as hex.
 */
export async function gitChangedFiles(
  workspace: string,
  base: string,
  head: string,
  dots: '..' | '...',
  options: GitOptions,
): Promise<GitDiffResult> {
  for (const [sha, role] of [
    [base, 'base'],
    [head, 'head'],
  ] as const) {
    const present = await runGit(workspace, ['rev-parse', '--verify', '--quiet', `${sha}^{commit}`], options);
    if (!present.ok) return missingCommit(workspace, sha, role, present.reason, options);
  }
  const diff = await runGit(
    workspace,
    // -z: raw names (no C-quoting of non-ASCII or odd characters). --no-renames: a rename is then
    // delete + add, so the delete is filtered out and the new name kept — and git never has to read
    // blobs for similarity, which a blobless (partial) clone would otherwise fetch.
    [
      'diff',
      '--name-only',
      '-z',
      '--no-renames',
      '--no-ext-diff',
      '--diff-filter=d',
      `${base}${dots}${head}`,
      '--',
    ],
    options,
  );
  if (!diff.ok) {
    // In a shallow clone both commits can be present while the history joining them is not.
    const missingHistory = /no merge base/i.test(diff.reason) || (await isShallow(workspace, options));
    return { ok: false, reason: diff.reason, missingHistory };
  }
  return { ok: true, files: diff.stdout.split('\0').filter((name) => name !== '') };
}

async function missingCommit(
  workspace: string,
  sha: string,
  role: 'base' | 'head',
  gitReason: string,
  options: GitOptions,
): Promise<GitDiffResult> {
  // rev-parse --quiet fails silently for a missing commit; anything with a message is another problem.
  if (gitReason !== 'exit code 1') return { ok: false, reason: gitReason, missingHistory: false };
  const shallow = (await isShallow(workspace, options)) ? ' (the checkout is shallow)' : '';
  return {
    ok: false,
    reason: `the ${role} commit ${sha.slice(0, 12)} is not in the checkout${shallow}`,
    missingHistory: true,
  };
}

async function isShallow(workspace: string, options: GitOptions): Promise<boolean> {
  const run = await runGit(workspace, ['rev-parse', '--is-shallow-repository'], options);
  return run.ok && run.stdout.trim() === 'true';
}

/** git without a shell, bounded in time and output; failures become one plain-English line. */
function runGit(cwd: string, args: string[], options: GitOptions): Promise<GitRun> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      {
        cwd,
        env,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
        encoding: 'utf8',
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        if (!err) resolve({ ok: true, stdout });
        else resolve({ ok: false, reason: describeFailure(err, stderr, options.timeoutMs) });
      },
    );
  });
}

function describeFailure(err: ExecFileException, stderr: string, timeoutMs: number): string {
  if (err.code === 'ENOENT') return 'git is not installed (or the workspace directory does not exist)';
  if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return 'git printed more output than the limit';
  if (err.killed) return `git did not finish within ${duration(timeoutMs)}`;
  const line = firstLine(stderr);
  if (line !== '') return line;
  return typeof err.code === 'number' ? `exit code ${err.code}` : err.message;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const trimmed = line.trim();
  return trimmed.length > 300 ? `${trimmed.slice(0, 297)}...` : trimmed;
}
