// Shared helpers for the registry lab: external tool checks, child processes and loopback ports.
// No vitest imports here: the benchmark script reuses the harness outside of vitest.
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const MISSING_TOOLS_MESSAGE =
  'imagepull-preflight tests need real registries: run "apt-get install -y docker-registry apache2-utils openssl" (see .ci/run)';

export const REQUIRED_TOOLS = ['docker-registry', 'htpasswd', 'openssl'] as const;

/** Absolute path of an executable found on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  const dirs = (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter);
  for (const dir of dirs.slice(0, 100)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * helm is installed with `go install` where no package has it (see .ci/run): Go's bin directory joins
 * PATH (last, so a helm already on PATH wins) for the tests and benchmarks and the tools they start.
 */
export function addGoBinToPath(): void {
  let gopath = process.env['GOPATH'];
  if (!gopath) {
    try {
      gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch {
      gopath = join(homedir(), 'go');
    }
  }
  const bin = join(gopath.split(delimiter)[0]!, 'bin');
  const dirs = (process.env['PATH'] ?? '').split(delimiter);
  if (!dirs.includes(bin)) process.env['PATH'] = [...dirs.filter(Boolean), bin].join(delimiter);
}

/** Tests must never silently skip: a missing tool is a hard, actionable failure. */
export function requireTools(): void {
  const missing = REQUIRED_TOOLS.filter((tool) => findOnPath(tool) === undefined);
  if (missing.length > 0) throw new Error(MISSING_TOOLS_MESSAGE);
}

/** Runs a command to completion and returns its stdout; the error carries stderr for diagnosis. */
export function run(cmd: string, args: readonly string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: 30_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A port that was free on 127.0.0.1 a moment ago (the caller retries if it loses the race). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free loopback port'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
