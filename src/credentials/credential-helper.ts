/**
 * The docker credential-helper protocol (docker/docker-credential-helpers `client`):
 * `docker-credential-<name> get` with the server URL on stdin prints `{ServerURL, Username, Secret}`;
 * "credentials not found in native keychain" on a failing run means none.
 */
import { execFile } from 'node:child_process';
import { isObject } from '../manifests/docker-config.js';

export const DEFAULT_HELPER_TIMEOUT_MS = 5_000;

/** A credential helper is missing, failed or timed out; the message is plain English and secret-free. */
export class CredentialHelperError extends Error {
  override name = 'CredentialHelperError';
}

const MAX_HELPER_OUTPUT_BYTES = 1024 * 1024;
const HELPER_NOT_FOUND = 'credentials not found in native keychain';
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A name with a slash would make `docker-credential-<name>` a path: only plain names are run. */
export function isHelperName(name: string): boolean {
  return HELPER_NAME.test(name);
}

export function stringField(obj: Record<string, unknown>, name: string): string {
  const v = obj[name];
  return typeof v === 'string' ? v : '';
}

/**
 * Runs `docker-credential-<helper> get` with `serverUrl` on stdin. Resolves undefined when the helper
 * has no credentials; rejects with CredentialHelperError when it is missing, fails or times out.
 */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number = DEFAULT_HELPER_TIMEOUT_MS,
): Promise<{ username: string; secret: string } | undefined> {
  const program = `docker-credential-${helper}`;
  const failed = (what: string) =>
    new CredentialHelperError(
      `The Docker credential helper \`${program}\` ${what} when asked about ${serverUrl}.`,
    );
  if (!isHelperName(helper)) return Promise.reject(failed('has an invalid name'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      ['get'],
      // The lookup of `program` uses env.PATH; SIGKILL so a helper ignoring SIGTERM cannot outlive the bound.
      {
        env,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_HELPER_OUTPUT_BYTES,
        windowsHide: true,
      },
      (error, stdout) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return reject(failed('was not found on PATH'));
          if (code === 'EACCES') return reject(failed('is not executable'));
          if ((error as { killed?: boolean }).killed) {
            return reject(
              code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
                ? failed('wrote more than 1 MiB')
                : failed(`did not answer within ${timeoutMs} ms`),
            );
          }
          if (stdout.trim() === HELPER_NOT_FOUND) return resolve(undefined);
          return reject(failed(`failed (exit code ${typeof code === 'number' ? code : 'unknown'})`));
        }
        let doc: unknown;
        try {
          doc = JSON.parse(stdout);
        } catch {
          return reject(failed('did not print JSON'));
        }
        if (!isObject(doc)) return reject(failed('did not print a JSON object'));
        const username = stringField(doc, 'Username');
        const secret = stringField(doc, 'Secret');
        resolve(username === '' && secret === '' ? undefined : { username, secret });
      },
    );
    // A helper that exits without reading stdin must not crash us with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(serverUrl);
  });
}
