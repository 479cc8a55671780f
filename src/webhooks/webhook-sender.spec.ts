import { ConfigService } from '@nestjs/config';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebhookSender } from './webhook-sender';
import { WebhookResolver } from './webhook-target';

/**
 * A receiver on a bare TCP server, to see the connections themselves: it answers each request
 * with 204 on a kept connection, except that `resetSecondOnFirst` makes it drop its first
 * connection when a second request arrives on it, as a receiver closing an idle connection
 * just as it is reused.
 */
async function receiver(resetSecondOnFirst = false) {
  const connections: Socket[] = [];
  let requests = 0;
  const server: Server = createServer((socket) => {
    connections.push(socket);
    let onThis = 0;
    socket.on('data', (chunk) => {
      // Each test request fits one packet: its headers end with the blank line, the body follows.
      if (!chunk.toString().includes('\r\n\r\n')) return;
      onThis++;
      if (resetSecondOnFirst && connections[0] === socket && onThis === 2) return void socket.resetAndDestroy();
      requests++;
      socket.write('HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    connections,
    requests: () => requests,
    close: () => {
      for (const socket of connections) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const config = new ConfigService({ WEBHOOK_ALLOW_PRIVATE_TARGETS: true, WEBHOOK_TIMEOUT_MS: 1000 });

describe('WebhookSender', () => {
  let sender: WebhookSender;
  beforeEach(() => {
    sender = new WebhookSender(config as never, new WebhookResolver());
  });
  afterEach(() => sender.onApplicationShutdown());

  it('keeps its connection to a receiver for the next POSTs', async () => {
    const r = await receiver();
    try {
      for (let i = 0; i < 5; i++)
        expect(await sender.send(r.url, 'whsec_c2VjcmV0', `id-${i}`, '{}')).toMatchObject({ ok: true, status: 204 });
      expect(r.requests()).toBe(5);
      expect(r.connections).toHaveLength(1);
    } finally {
      await r.close();
    }
  });

  it('sends again on a new connection when a kept one is reset as it is reused', async () => {
    const r = await receiver(true);
    try {
      expect(await sender.send(r.url, 'whsec_c2VjcmV0', 'id-1', '{}')).toMatchObject({ ok: true });
      expect(await sender.send(r.url, 'whsec_c2VjcmV0', 'id-2', '{}')).toMatchObject({ ok: true, error: null });
      expect(r.requests()).toBe(2);
      expect(r.connections).toHaveLength(2);
    } finally {
      await r.close();
    }
  });

  it('gives up at the time limit while the name is still being resolved', async () => {
    // A resolver that never answers: only the time limit can end the attempt (a hung one fails
    // by Jest's own timeout).
    const resolve = jest.fn(() => new Promise<never>(() => undefined));
    const stuck = new WebhookSender(config as never, { resolve } as never);
    try {
      const result = await stuck.send('http://hooks.example/hook', 'whsec_c2VjcmV0', 'id-1', '{}');
      expect(result).toMatchObject({ ok: false, status: null, error: 'timeout' });
      expect(resolve).toHaveBeenCalledTimes(1);
      expect(resolve.mock.calls[0]).toContain('hooks.example');
    } finally {
      stuck.onApplicationShutdown();
    }
  });

  describe('tells the subscriber what failed in one word, and its log the rest', () => {
    /** A server on 127.0.0.1 that does `onConnection` with each connection; its URL and close(). */
    async function tcp(onConnection: (socket: Socket) => void) {
      const sockets: Socket[] = [];
      const server = createServer((socket) => {
        sockets.push(socket);
        onConnection(socket);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const close = () => {
        for (const socket of sockets) socket.destroy();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      };
      return { port, close };
    }
    const send = (url: string, using = sender) => using.send(url, 'whsec_c2VjcmV0', 'id-1', '{}');

    it('a closed port: connection-failed', async () => {
      const server = await tcp(() => undefined);
      await server.close();
      const result = await send(`http://127.0.0.1:${server.port}/hook`);
      expect(result).toMatchObject({ ok: false, status: null, error: 'connection-failed' });
      expect(result.detail).toContain('ECONNREFUSED');
    });

    const answering: [string, 'http' | 'https', (socket: Socket) => void, string, string][] = [
      ['https to a server that speaks plain text', 'https', (s) => s.end('not TLS\r\n'), 'tls-failed', 'EPROTO'],
      [
        'a connection closed before any answer',
        'http',
        (s) => s.once('data', () => s.resetAndDestroy()),
        'no-answer',
        'ECONNRESET',
      ],
      [
        'an answer that is not HTTP',
        'http',
        (s) => s.once('data', () => s.end('SSH-2.0-OpenSSH_9.6\r\n')),
        'no-answer',
        'HPE_',
      ],
    ];
    it.each(answering)('%s', async (_what, scheme, behave, word, errno) => {
      const server = await tcp(behave);
      try {
        const result = await send(`${scheme}://127.0.0.1:${server.port}/hook`);
        expect(result).toMatchObject({ ok: false, status: null, error: word });
        expect(result.detail).toContain(errno);
      } finally {
        await server.close();
      }
    });

    it('an answer other than 2xx: http-<status>', async () => {
      const server = await tcp((socket) =>
        socket.once('data', () => socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n')),
      );
      try {
        expect(await send(`http://127.0.0.1:${server.port}/hook`)).toMatchObject({
          ok: false,
          status: 503,
          error: 'http-503',
        });
      } finally {
        await server.close();
      }
    });

    it('a target refused at delivery, or a name that does not resolve, without its address or errno', async () => {
      const strict = new ConfigService({ WEBHOOK_ALLOW_PRIVATE_TARGETS: false, WEBHOOK_TIMEOUT_MS: 1000 });
      const resolve = jest.fn(async (hostname: string) => {
        if (hostname === 'inside.example') return [{ address: '10.1.2.3', family: 4 }];
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      });
      const guarded = new WebhookSender(strict as never, { resolve } as never);
      try {
        const refused = await send('http://inside.example:8080/hook', guarded);
        expect(refused).toMatchObject({ ok: false, status: null, error: 'refused-target' });
        expect(refused.detail).toContain('10.1.2.3');
        const unresolved = await send('http://nowhere.example/hook', guarded);
        expect(unresolved).toMatchObject({ ok: false, status: null, error: 'unresolved-target' });
        expect(unresolved.detail).toContain('ENOTFOUND');
      } finally {
        guarded.onApplicationShutdown();
      }
    });
  });
});
