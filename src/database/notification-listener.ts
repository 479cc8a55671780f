import type { Logger } from '@nestjs/common';
import { Client } from 'pg';

/** How long after a lost or refused LISTEN connection it is tried again. */
export const LISTEN_RETRY_MS = 5_000;

/**
 * LISTEN on one PostgreSQL channel, on a connection of its own, for as long as it runs: a lost
 * or refused connection is tried again every LISTEN_RETRY_MS. Notifications sent while nobody
 * listened are lost, so `onListening` runs each time listening (re)starts, for the caller to
 * catch up on whatever it may have missed.
 */
export class NotificationListener {
  private client?: Client;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly handlers: { onNotify: (payload: string) => void; onListening: () => void },
  ) {}

  async start(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url });
    const retry = (why: string) => {
      void client.end().catch(() => undefined);
      if (this.client === client) this.client = undefined;
      if (this.stopped) return;
      this.logger.warn(`LISTEN ${this.channel} ${why}; trying again every ${LISTEN_RETRY_MS} ms`);
      setTimeout(() => void this.start(), LISTEN_RETRY_MS).unref();
    };
    client.on('notification', (message) => this.handlers.onNotify(message.payload ?? ''));
    client.on('error', (error) => {
      if (this.client === client) retry(`connection lost: ${error.message}`);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      if (this.stopped) return void (await client.end());
      this.client = client;
      this.handlers.onListening();
    } catch (error) {
      retry(`failed: ${String(error)}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }
}
