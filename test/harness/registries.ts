// Starts real CNCF distribution registries (Debian's docker-registry 2.8) on loopback for tests and benches.
// Each flavour covers one way a kubelet meets a registry: anonymous, Basic, Bearer token, private CA.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { makeTlsMaterial, makeTokenSigningKey } from './certs.js';
import { startTokenServer, type TokenRequestLog, type TokenServer } from './token-server.js';
import { freeLoopbackPort, requireTools, run, sleep } from './tools.js';

export type { TokenRequestLog } from './token-server.js';

export type RegistryName = 'open' | 'basic' | 'token' | 'tls';

export interface LabRegistry {
  name: RegistryName;
  /** `127.0.0.1:PORT` */
  host: string;
  /** `http(s)://127.0.0.1:PORT` */
  url: string;
}

export interface LabUser {
  username: string;
  password: string;
}

export interface RegistryLab {
  open: LabRegistry;
  basic: LabRegistry & { users: Record<'alice' | 'bob', LabUser> };
  token: LabRegistry & {
    realm: string;
    service: string;
    tokenServer: { requests: TokenRequestLog[]; reset(): void };
    users: Record<'alice', LabUser>;
  };
  tls: LabRegistry & { caFile: string; caPem: string };
  stop(): Promise<void>;
}

export const TOKEN_SERVICE = 'lab-registry';
export const TOKEN_ISSUER = 'lab-issuer';

const READY_ATTEMPTS = 100;
const READY_INTERVAL_MS = 50;
const START_ATTEMPTS = 3;
const STDERR_KEEP = 16 * 1024;
const STOP_GRACE_MS = 3_000;

/** The parts of the registry config that differ between flavours. */
interface ConfigExtras {
  http?: object;
  auth?: object;
}

interface RunningRegistry {
  child: ChildProcess;
  port: number;
  output: () => string;
}

/** Fixed ports and passwords, for the demo whose example manifests name them. */
export interface LabOptions {
  ports?: Partial<Record<RegistryName, number>>;
  basicAlicePassword?: string;
}

/** Starts all four registries (and the token server) under `workDir`; call `stop()` when done. */
export async function startRegistries(workDir: string, options: LabOptions = {}): Promise<RegistryLab> {
  requireTools();
  await mkdir(workDir, { recursive: true });
  const keysDir = join(workDir, 'keys');
  await mkdir(keysDir, { recursive: true });
  const basicUsers = { alice: newUser('alice', options.basicAlicePassword), bob: newUser('bob') };
  const tokenUsers = { alice: newUser('alice') };
  const [signing, tls, htpasswdFile] = await Promise.all([
    makeTokenSigningKey(keysDir),
    makeTlsMaterial(keysDir),
    writeHtpasswd(keysDir, Object.values(basicUsers)),
  ]);
  const tokenServer = await startTokenServer({
    service: TOKEN_SERVICE,
    issuer: TOKEN_ISSUER,
    signingKey: signing.privateKey,
    x5c: signing.x5c,
    users: { alice: tokenUsers.alice.password },
  });
  const tlsAgent = new Agent({ connect: { ca: tls.caPem } });
  const children: ChildProcess[] = [];
  const killOnExit = (): void => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    await Promise.all(children.map((c) => stopChild(c)));
    await Promise.all([tokenServer.close(), tlsAgent.close()]);
  };
  try {
    const start = (name: RegistryName, extra: ConfigExtras, scheme: 'http' | 'https' = 'http') =>
      startOne(
        workDir,
        name,
        extra,
        scheme,
        children,
        scheme === 'https' ? tlsAgent : undefined,
        options.ports?.[name],
      );
    const [open, basic, token, secure] = await allOrFirstError([
      start('open', {}),
      start('basic', { auth: { htpasswd: { realm: 'lab-basic', path: htpasswdFile } } }),
      start('token', { auth: { token: tokenAuthConfig(tokenServer, signing.certFile) } }),
      start('tls', { http: { tls: { certificate: tls.certFile, key: tls.keyFile } } }, 'https'),
    ] as const);
    return {
      open,
      basic: { ...basic, users: basicUsers },
      token: {
        ...token,
        realm: tokenServer.realm,
        service: TOKEN_SERVICE,
        tokenServer: { requests: tokenServer.requests, reset: tokenServer.reset },
        users: tokenUsers,
      },
      tls: { ...secure, caFile: tls.caFile, caPem: tls.caPem },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Token server base URL (for `/_log`), derived from the realm. */
export function tokenServerUrl(lab: Pick<RegistryLab, 'token'>): string {
  return lab.token.realm.replace(/\/token$/, '');
}

/**
 * Like Promise.all, but waits for every start to settle first: stopping while a sibling is still
 * starting would miss the child it spawns next and leak a registry process.
 */
async function allOrFirstError<T extends readonly Promise<unknown>[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

function newUser(username: string, password = randomBytes(12).toString('base64url')): LabUser {
  return { username, password };
}

function tokenAuthConfig(server: TokenServer, certFile: string): object {
  return { realm: server.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootcertbundle: certFile };
}

/** distribution 2.x only accepts bcrypt entries, hence `-B`. */
async function writeHtpasswd(dir: string, users: LabUser[]): Promise<string> {
  const lines = await Promise.all(users.map((u) => run('htpasswd', ['-Bbn', u.username, u.password])));
  const file = join(dir, 'htpasswd');
  await writeFile(file, lines.map((l) => l.trim()).join('\n') + '\n', { mode: 0o600 });
  return file;
}

/** Retries on a fresh port because another process may grab the probed port before the registry binds. */
async function startOne(
  workDir: string,
  name: RegistryName,
  extra: ConfigExtras,
  scheme: 'http' | 'https',
  children: ChildProcess[],
  agent: Agent | undefined,
  fixedPort?: number,
): Promise<LabRegistry> {
  const dir = join(workDir, name);
  await mkdir(join(dir, 'storage'), { recursive: true });
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = fixedPort ?? (await freeLoopbackPort());
    const configFile = join(dir, 'config.yml');
    await writeFile(configFile, registryConfig(dir, port, extra));
    const running = spawnRegistry(configFile, port);
    children.push(running.child);
    const host = `127.0.0.1:${port}`;
    const url = `${scheme}://${host}`;
    try {
      await waitReady(name, url, running, agent);
      return { name, host, url };
    } catch (err) {
      lastError = err;
      await stopChild(running.child);
      if (fixedPort !== undefined || !/address already in use/i.test(running.output())) break;
    }
  }
  throw lastError;
}

/**
 * The config is JSON, which YAML parsers accept. It never inherits /etc/docker/registry/config.yml
 * (which listens on :5000 on every interface).
 */
function registryConfig(dir: string, port: number, extra: ConfigExtras): string {
  const config = {
    version: '0.1',
    log: { level: 'warn', accesslog: { disabled: true }, formatter: 'text' },
    storage: {
      filesystem: { rootdirectory: join(dir, 'storage') },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex'), ...extra.http },
    ...(extra.auth ? { auth: extra.auth } : {}),
  };
  return JSON.stringify(config, null, 2) + '\n';
}

function spawnRegistry(configFile: string, port: number): RunningRegistry {
  // REGISTRY_* variables override the config file, so never pass them through.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
  const child = spawn('docker-registry', ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-STDERR_KEEP);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  return { child, port, output: () => output };
}

/** Any HTTP answer on /v2/ (200 or 401) means the registry is serving. */
async function waitReady(
  name: RegistryName,
  url: string,
  running: RunningRegistry,
  agent: Agent | undefined,
): Promise<void> {
  for (let i = 0; i < READY_ATTEMPTS; i++) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) break;
    try {
      const res = await request(`${url}/v2/`, { dispatcher: agent, headersTimeout: 1_000 });
      await res.body.dump();
      return;
    } catch {
      await sleep(READY_INTERVAL_MS);
    }
  }
  const state = running.child.exitCode !== null ? `exited with ${running.child.exitCode}` : 'not answering';
  throw new Error(
    `registry "${name}" did not come up at ${url}/v2/ (${state}); its output:\n${running.output() || '(none)'}`,
  );
}

/** SIGTERM, then SIGKILL after a grace period, so a wedged registry cannot hang the test run. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
