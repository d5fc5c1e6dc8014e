// A counting reverse proxy (node:http on 127.0.0.1) in front of one lab registry: it sees every request
// the engine makes, whatever the engine itself counts, and can add latency before forwarding.
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { closeServer } from '../test/support/servers.js';

export type ProxyKind = 'ping' | 'manifest-head' | 'manifest-get' | 'tags' | 'blob' | 'other';

export const PROXY_KINDS: readonly ProxyKind[] = [
  'ping',
  'manifest-head',
  'manifest-get',
  'tags',
  'blob',
  'other',
];

export interface ProxyLogEntry {
  kind: ProxyKind;
  method: string;
  path: string;
  status: number;
  /** `performance.now()` when the request arrived, and when its answer was fully sent. */
  arrivedAt: number;
  doneAt: number;
}

export interface ProxyCounts {
  byKind: Record<ProxyKind, number>;
  /** TLS ClientHellos this plain-HTTP endpoint refused: an HTTPS attempt that could not succeed. */
  tlsHandshakes: number;
  /** Other unparseable input. */
  badRequests: number;
  connections: number;
}

export interface CountingProxy {
  /** `127.0.0.1:PORT`, what manifests name. */
  host: string;
  counts(): ProxyCounts;
  log(): readonly ProxyLogEntry[];
  /** `performance.now()` of each refused TLS handshake since the last reset. */
  tlsHandshakeTimes(): readonly number[];
  /** `performance.now()` of the first TCP connection since the last reset, if any. */
  firstConnectionAt(): number | undefined;
  setDelay(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

/** Entries kept in the log; the counters keep counting past it. */
const MAX_LOG = 50_000;
const UPSTREAM_TIMEOUT_MS = 30_000;

export async function startProxy(upstreamUrl: string): Promise<CountingProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const state = freshState();
  let delayMs = 0;
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const entry = record(req, res, state);
    const forward = () => forwardRequest(req, res, entry, upstream, agent);
    if (delayMs > 0) setTimeout(forward, delayMs);
    else forward();
  });
  server.on('connection', () => {
    state.counts.connections++;
    state.firstConnectionAt ??= performance.now();
  });
  server.on('clientError', (error: Error & { rawPacket?: Buffer }, socket: Socket) => {
    if (error.rawPacket?.[0] === 0x16) {
      state.counts.tlsHandshakes++;
      state.tlsTimes.push(performance.now());
    } else state.counts.badRequests++;
    // What a plain-HTTP Go server answers to a TLS handshake; the TLS client sees garbage and gives up.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    socket.destroy();
  });
  const port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    counts: () => ({ ...state.counts, byKind: { ...state.counts.byKind } }),
    log: () => state.log,
    tlsHandshakeTimes: () => state.tlsTimes,
    firstConnectionAt: () => state.firstConnectionAt,
    setDelay: (ms) => void (delayMs = ms),
    reset: () => Object.assign(state, freshState()),
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

interface ProxyState {
  counts: ProxyCounts;
  log: ProxyLogEntry[];
  tlsTimes: number[];
  firstConnectionAt: number | undefined;
}

function freshState(): ProxyState {
  const byKind = Object.fromEntries(PROXY_KINDS.map((kind) => [kind, 0])) as Record<ProxyKind, number>;
  return {
    counts: { byKind, tlsHandshakes: 0, badRequests: 0, connections: 0 },
    log: [],
    tlsTimes: [],
    firstConnectionAt: undefined,
  };
}

export function classify(method: string, url: string): ProxyKind {
  const path = url.split('?', 1)[0] ?? '';
  if (path === '/v2/' || path === '/v2') return 'ping';
  if (/^\/v2\/.+\/manifests\/[^/]+$/.test(path)) {
    if (method === 'HEAD') return 'manifest-head';
    if (method === 'GET') return 'manifest-get';
  }
  if (/^\/v2\/.+\/tags\/list$/.test(path) && method === 'GET') return 'tags';
  if (/^\/v2\/.+\/blobs\/[^/]+$/.test(path) && (method === 'GET' || method === 'HEAD')) return 'blob';
  return 'other';
}

/** Counts and logs a request as it arrives (before any added delay). */
function record(req: IncomingMessage, res: ServerResponse, state: ProxyState): ProxyLogEntry {
  const method = req.method ?? 'GET';
  const path = req.url ?? '/';
  const entry: ProxyLogEntry = {
    kind: classify(method, path),
    method,
    path,
    status: 0,
    arrivedAt: performance.now(),
    doneAt: 0,
  };
  state.counts.byKind[entry.kind]++;
  if (state.log.length < MAX_LOG) state.log.push(entry);
  res.on('finish', () => (entry.doneAt = performance.now()));
  return entry;
}

function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  entry: ProxyLogEntry,
  upstream: URL,
  agent: Agent,
): void {
  const { method, path } = entry;
  const outgoing = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method,
      path,
      // The Host header stays the proxy's, so Location headers the registry builds point back here.
      headers: req.headers,
      agent,
      timeout: UPSTREAM_TIMEOUT_MS,
    },
    (answer) => {
      entry.status = answer.statusCode ?? 0;
      res.writeHead(entry.status, answer.headers);
      answer.pipe(res);
    },
  );
  outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timeout')));
  outgoing.on('error', (error) => {
    entry.status = 502;
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`bench proxy: ${error.message}`);
  });
  req.pipe(outgoing);
}

function listen(server: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      if (typeof address === 'object' && address !== null) resolve(address.port);
      else reject(new Error('proxy has no address'));
    });
  });
}
