import { execFile } from 'node:child_process';

/** What a render tool said: its output, or why there is none. */
export type ToolResult =
  | { ok: true; stdout: string }
  /** `missing`: the tool is not installed, as opposed to a failed render. */
  | { ok: false; missing: boolean; message: string };

/** Rendered output larger than this is refused rather than buffered without bound. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Proxies that go nowhere and git limited to local repositories: a render must not reach the network
 * unless the user allowed it (kustomize fetches remote bases over HTTP and with git).
 */
export const OFFLINE_ENV: NodeJS.ProcessEnv = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '',
  no_proxy: '',
  GIT_ALLOW_PROTOCOL: 'file',
  GIT_TERMINAL_PROMPT: '0',
};

export interface RunOptions {
  timeoutMs: number;
  network: boolean;
  cwd?: string;
  /** Variables for this tool only (tuning, never settings). */
  env?: Record<string, string>;
}

/** Runs a tool to completion with a timeout; never throws. */
export function runTool(command: string, args: string[], options: RunOptions): Promise<ToolResult> {
  const env = { ...process.env, ...(options.network ? {} : OFFLINE_ENV), ...options.env };
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        env,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT_BYTES,
        windowsHide: true,
        encoding: 'utf8',
        ...(options.cwd ? { cwd: options.cwd } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ ok: true, stdout });
        const failure = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        if (failure.code === 'ENOENT') {
          return resolve({ ok: false, missing: true, message: `${command} is not installed` });
        }
        if (failure.killed || failure.signal) {
          const seconds = Math.round(options.timeoutMs / 1000);
          return resolve({
            ok: false,
            missing: false,
            message: `${command} did not finish within ${seconds} s`,
          });
        }
        if (failure.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          return resolve({
            ok: false,
            missing: false,
            message: `${command} wrote more than 64 MiB of output`,
          });
        }
        resolve({ ok: false, missing: false, message: stderr.trim() || failure.message });
      },
    );
  });
}
