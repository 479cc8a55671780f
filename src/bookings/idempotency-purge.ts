import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration';
import { BookingsRepository } from './bookings.repository';
import { IDEMPOTENCY_TTL_HOURS } from './idempotency';

/** Keys one statement deletes: its row locks last milliseconds, whatever the backlog. */
const BATCH = 1000;

/**
 * Deletes expired Idempotency-Keys every IDEMPOTENCY_PURGE_INTERVAL_MS, whoever wrote them: a
 * caller that never writes again would otherwise keep its keys forever. Batch after batch until
 * one comes back short; every instance may run it at once (the statement skips locked rows).
 */
@Injectable()
export class IdempotencyPurge implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('IdempotencyPurge');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly repository: BookingsRepository,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  /** Before the database closes: no next run, and the one under way finishes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** The next run an interval after this one ended, so runs never overlap; unref'd, it keeps no process alive. */
  private schedule(): void {
    if (this.stopped) return;
    const interval = this.config.get('IDEMPOTENCY_PURGE_INTERVAL_MS', { infer: true });
    this.timer = setTimeout(() => {
      this.running = this.purge().finally(() => this.schedule());
    }, interval).unref();
  }

  private async purge(): Promise<void> {
    try {
      let deleted = BATCH;
      while (!this.stopped && deleted === BATCH)
        deleted = await this.repository.purgeExpiredKeys(IDEMPOTENCY_TTL_HOURS, BATCH);
    } catch (error) {
      // The next run tries again; a database that is down is reported by /health.
      if (!this.stopped) this.logger.warn(`idempotency key purge failed: ${String(error)}`);
    }
  }
}
