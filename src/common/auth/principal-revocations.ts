import { Global, Injectable, Logger, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DatabaseUrlProvider } from '../../database/database.module';
import { NotificationListener } from '../../database/notification-listener';
import { PrincipalCache } from './principal-cache';

const CHANNEL = 'principals_revoked';

/** The longest a removal waits for its notification to come back before it answers anyway. */
const ECHO_WAIT_MS = 2_000;

/**
 * Tells every instance over one PostgreSQL database to forget a removed principal's cached
 * tokens: a NOTIFY in the removal's own transaction, so it is sent exactly when the removal
 * commits, and a LISTEN on every instance. The removal answers once its own instance has heard
 * the notification back: PostgreSQL signals every listener at the commit, so by then the others
 * have it too, give or take their own scheduling. When listening (re)starts, notifications may
 * have been missed meanwhile: the whole cache is dropped. The embedded database has one process,
 * whose caller forgets the principal itself.
 */
@Injectable()
export class PrincipalRevocations implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PrincipalRevocations');
  private listener?: NotificationListener;
  /** This instance's notifications not heard back yet, by nonce. */
  private readonly echoes = new Map<string, () => void>();

  constructor(
    private readonly cache: PrincipalCache,
    private readonly database: DatabaseUrlProvider,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.database.isEmbedded) return;
    this.listener = new NotificationListener((this.db.options as { url: string }).url, CHANNEL, this.logger, {
      onNotify: (payload) => {
        const [role, id, nonce] = payload.split(':');
        if (role === 'consultant' || role === 'user') this.cache.forget(role, Number(id));
        this.echoes.get(nonce)?.();
      },
      onListening: () => this.cache.clear(),
    });
    await this.listener.start();
  }

  /**
   * In the transaction that removes the principal. Once that has committed (and the caller has
   * forgotten the principal here), await what it returns: the notification heard back.
   */
  async announce(manager: EntityManager, role: 'consultant' | 'user', id: number): Promise<() => Promise<void>> {
    if (this.database.isEmbedded) return () => Promise.resolve();
    const nonce = randomUUID();
    const heard = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.echoes.delete(nonce);
        resolve();
      };
      // Also when the transaction rolls back, or nobody listens: then nothing comes back.
      const timer = setTimeout(done, ECHO_WAIT_MS).unref();
      this.echoes.set(nonce, done);
    });
    await manager.query(`SELECT pg_notify('${CHANNEL}', $1)`, [`${role}:${id}:${nonce}`]);
    return () => heard;
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.stop();
  }
}

/** Global so that whoever removes a principal can announce it. */
@Global()
@Module({ providers: [PrincipalRevocations], exports: [PrincipalRevocations] })
export class PrincipalRevocationsModule {}
