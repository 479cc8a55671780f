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
      expect(result).toMatchObject({ ok: false, status: null, error: 'no answer within 1000 ms' });
      expect(resolve).toHaveBeenCalledTimes(1);
      expect(resolve.mock.calls[0]).toContain('hooks.example');
    } finally {
      stuck.onApplicationShutdown();
    }
  });
});
