import type { IncomingMessage, Server } from 'node:http';

/** Stops a test server now: keep-alive sockets from clients would otherwise hold `close()` open. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A whole body, bounded: anything larger than `max` bytes is a bug in the client or server under test. */
export async function readBody(stream: IncomingMessage, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new Error(`${what} too large`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
