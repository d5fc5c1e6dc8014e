import { runCli } from '../../src/cli.js';
import { DEFAULT_REGISTRY_SETTINGS, scan, type ScanOptions, type ScanResult } from '../../src/scan.js';

/** The CLI as a user runs it in `cwd`, with what it prints captured; never a real home directory. */
export async function runCliIn(
  cwd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; progress?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd,
    colour: false,
    env: { HOME: cwd, ...options.env },
    ...(options.progress ? { progress: true } : {}),
  });
  return { code, stdout, stderr };
}

/** An offline scan of everything under `cwd`, with the defaults the CLI uses. */
export function scanOffline(cwd: string, options: Partial<ScanOptions> = {}): Promise<ScanResult> {
  return scan({
    cwd,
    paths: ['.'],
    defaultNamespace: 'default',
    maxFileSize: 1e6,
    offline: true,
    registry: DEFAULT_REGISTRY_SETTINGS,
    ...options,
  });
}
