import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request arrived. */
  at: number;
  /** The sender's end of the connection it came on (address:port). */
  connection: string;
}

export interface Receiver {
  /** http://127.0.0.1:port */
  base: string;
  received: Received[];
  /** What the receiver answers on a path: a status (default 204), after an optional delay. */
  answer(
    path: string,
    respond: (
      hit: Received,
      count: number,
    ) => number | { status: number; delayMs?: number; headers?: Record<string, string> },
  ): void;
  /** The requests to one path. */
  on(path: string): Received[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 that records every request and answers as told per path. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const answers = new Map<string, Parameters<Receiver['answer']>[1]>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const connection = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      const hit = { path: req.url ?? '', headers: req.headers, body, at: Date.now(), connection };
      received.push(hit);
      const count = received.filter((r) => r.path === hit.path).length;
      const given = answers.get(hit.path)?.(hit, count) ?? 204;
      const { status, delayMs = 0, headers = {} } = typeof given === 'number' ? { status: given } : given;
      setTimeout(() => {
        if (!res.destroyed) res.writeHead(status, headers).end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answer: (path, respond) => answers.set(path, respond),
    on: (path) => received.filter((r) => r.path === path),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Verifies a delivery as the Standard Webhooks specification says a receiver must, written here
 * from the specification and not taken from the code under test: the signed content is
 * `${webhook-id}.${webhook-timestamp}.${body}`, the key is the base64 after `whsec_`, the
 * signature HMAC-SHA256 in base64, listed in webhook-signature as `v1,<sig>` (several may be
 * listed, space-separated), and a timestamp more than five minutes away is refused.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  now = Date.now(),
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > 5 * 60) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const given = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
