import { Global, Injectable, Logger, Module, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import type { AppConfig } from '../config/configuration';

/** A command Redis has not answered within this long counts as Redis being down. */
const COMMAND_TIMEOUT_MS = 500;

/**
 * The Redis every instance shares (REDIS_URL), or none. Commands never queue while it is away:
 * they fail at once, and whoever called falls back (the rate-limit store to this process's
 * memory); ioredis reconnects in the background.
 */
@Injectable()
export class SharedRedis implements OnModuleDestroy {
  private readonly logger = new Logger('Redis');
  readonly client?: Redis;
  private down = false;

  constructor(config: ConfigService<AppConfig, true>) {
    const url = config.get('REDIS_URL', { infer: true });
    if (!url) return;
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.client.on('ready', () => {
      if (this.down) this.logger.log('Redis is back: the limits are shared again');
      this.down = false;
    });
    // ioredis emits an error per failed reconnect; one line per outage is enough.
    this.client.on('error', (error) => this.outage(error));
  }

  /** Logs the start of an outage once; returns nothing so that callers can carry on. */
  outage(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger.warn(
      `Redis is unreachable (${String(error)}): limits count in this instance's memory until it is back`,
    );
  }

  /** For readiness: true without REDIS_URL, else whether Redis answers a PING now. */
  async reachable(): Promise<boolean> {
    if (!this.client) return true;
    try {
      return (await this.client.ping()) === 'PONG';
    } catch (error) {
      this.outage(error);
      return false;
    }
  }

  onModuleDestroy(): void {
    this.client?.disconnect();
  }
}

@Global()
@Module({ providers: [SharedRedis], exports: [SharedRedis] })
export class SharedRedisModule {}
