import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gate } from '../../src/registry/limiter.js';
import {
  DEFAULT_TRANSPORT_OPTIONS,
  describeNetworkError,
  isFailure,
  Transport,
  type NetworkCause,
} from '../../src/registry/transport.js';
import { closeServer } from '../support/servers.js';
import { TRANSPORT_LIMITS } from '../support/registry-options.js';

const target = new URL('https://registry.example:5000/v2/');
const error = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('network failures: plain-English reason, and whether another attempt can help', () => {
  it.each<[string, Error, string, NetworkCause, boolean]>([
    ['DNS', error('ENOTFOUND'), 'DNS lookup of registry.example failed (ENOTFOUND)', 'dns', false],
    ['DNS, temporary', error('EAI_AGAIN'), 'DNS lookup of registry.example failed (EAI_AGAIN)', 'dns', true],
    ['refused', error('ECONNREFUSED'), 'connection to registry.example:5000 refused', 'refused', true],
    ['reset', error('ECONNRESET'), 'connection to registry.example:5000 was reset', 'reset', true],
    [
      'connect timeout',
      error('UND_ERR_CONNECT_TIMEOUT'),
      'connecting to registry.example:5000 timed out',
      'timeout',
      true,
    ],
    [
      'headers timeout',
      error('UND_ERR_HEADERS_TIMEOUT'),
      'registry.example:5000 did not answer in time',
      'timeout',
      true,
    ],
    [
      'plain HTTP server',
      error('EPROTO', 'ssl3_get_record:wrong version number'),
      'TLS to registry.example:5000 failed: the server does not speak HTTPS',
      'no-https',
      false,
    ],
    [
      'untrusted certificate',
      error('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      'TLS to registry.example:5000 failed: self-signed certificate in certificate chain',
      'tls',
      false,
    ],
    [
      'wrapped cause',
      Object.assign(new Error('fetch failed'), { cause: error('ECONNRESET') }),
      'connection to registry.example:5000 was reset',
      'reset',
      true,
    ],
  ])('%s', (_name, failure, reason, cause, transient) => {
    expect(describeNetworkError(failure, target)).toEqual({ failure: reason, cause, transient });
  });
});

describe('retries: a slot per attempt, never while waiting; stalls cut short', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closeServer));
  });

  /** A loopback server whose n-th request (1-based) is answered by `answer(n)`. */
  async function serve(answer: (n: number, res: ServerResponse) => void): Promise<string> {
    let n = 0;
    const server = createServer((_req, res) => answer(++n, res));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`;
  }

  /** A gate that records whether an attempt holds it and what the registry said. */
  function recordingGate() {
    const seen = { held: 0, throttled: 0, answered: 0, hosts: [] as string[] };
    const gate: Gate = {
      run: async (attempt) => {
        seen.held++;
        try {
          return await attempt((throttled) => void (throttled ? seen.throttled++ : seen.answered++));
        } finally {
          seen.held--;
        }
      },
    };
    return { seen, gate };
  }

  it('sleeps between attempts holding no slot, honours Retry-After, and tells the gate about the 429', async () => {
    const url = await serve((n, res) => {
      if (n === 1) res.writeHead(503).end();
      else if (n === 2) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const { seen, gate } = recordingGate();
    const waits: Array<{ ms: number; heldWhileWaiting: number }> = [];
    const transport = new Transport({
      ...TRANSPORT_LIMITS,
      gate: (host) => (seen.hosts.push(host), gate),
      sleep: async (ms) => void waits.push({ ms, heldWhileWaiting: seen.held }),
      random: () => 1,
    });
    const response = await transport.request('ping', url);
    await transport.close();
    expect(isFailure(response) ? response.failure : response.status).toBe(200);
    expect(waits).toEqual([
      { ms: DEFAULT_TRANSPORT_OPTIONS.backoffBaseMs, heldWhileWaiting: 0 },
      { ms: 1_000, heldWhileWaiting: 0 },
    ]);
    expect(seen).toMatchObject({ throttled: 1, answered: 2, hosts: [new URL(url).host] });
  });

  it('a stalled answer is given up at the first-byte timeout, not the request timeout, then retried', async () => {
    const url = await serve((n, res) => {
      if (n > 1) res.writeHead(200).end('{}'); // the first request is never answered
    });
    const transport = new Transport({
      ...TRANSPORT_LIMITS,
      requestTimeoutMs: 10_000,
      firstByteTimeoutMs: 200,
      sleep: async () => {},
    });
    const started = performance.now();
    const response = await transport.request('get', url);
    const ms = performance.now() - started;
    await transport.close();
    expect(isFailure(response) ? response.failure : response.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(2_000);
  });

  it('only a server that timed out gets a longer wait: 200 ms, then 400 ms, then 800 ms', async () => {
    const url = await serve(() => {}); // never answers
    const transport = new Transport({
      ...TRANSPORT_LIMITS,
      requestTimeoutMs: 10_000,
      firstByteTimeoutMs: 200,
      retries: 2,
      sleep: async () => {},
    });
    const started = performance.now();
    const response = await transport.request('get', url);
    const ms = performance.now() - started;
    await transport.close();
    expect(response).toMatchObject({ cause: 'timeout', transient: true });
    expect(ms).toBeGreaterThanOrEqual(1_380);
    expect(ms).toBeLessThan(3_000);
  });

  it('stops retrying once the attempts took the retry budget', async () => {
    const url = await serve(() => {});
    const transport = new Transport({
      ...TRANSPORT_LIMITS,
      requestTimeoutMs: 300,
      firstByteTimeoutMs: 300,
      retryBudgetMs: 500,
      sleep: async () => {},
    });
    const started = performance.now();
    const response = await transport.request('get', url);
    const ms = performance.now() - started;
    await transport.close();
    expect(response).toMatchObject({ cause: 'timeout' });
    expect(ms).toBeLessThan(1_500); // two attempts, not seven
  });
});
