import { Global, Injectable, Logger, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { DatabaseUrlProvider } from '../../database/database.module';
import { NotificationListener } from '../../database/notification-listener';
import { PrincipalCache } from './principal-cache';

const CHANNEL = 'principals_revoked';

/**
 * Tells every instance over one PostgreSQL database to forget a removed principal's cached
 * tokens: a NOTIFY in the removal's own transaction, so it is sent exactly when the removal
 * commits, and a LISTEN on every instance. When listening (re)starts, notifications may have been
 * missed meanwhile: the whole cache is dropped. The embedded database has one process, whose
 * caller forgets the principal itself.
 */
@Injectable()
export class PrincipalRevocations implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PrincipalRevocations');
  private listener?: NotificationListener;

  constructor(
    private readonly cache: PrincipalCache,
    private readonly database: DatabaseUrlProvider,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.database.isEmbedded) return;
    this.listener = new NotificationListener((this.db.options as { url: string }).url, CHANNEL, this.logger, {
      onNotify: (payload) => {
        const [role, id] = payload.split(':');
        if (role === 'consultant' || role === 'user') this.cache.forget(role, Number(id));
      },
      onListening: () => this.cache.clear(),
    });
    await this.listener.start();
  }

  /** In the transaction that removes the principal; the caller also forgets it here once committed. */
  async announce(manager: EntityManager, role: 'consultant' | 'user', id: number): Promise<void> {
    if (!this.database.isEmbedded) await manager.query(`SELECT pg_notify('${CHANNEL}', $1)`, [`${role}:${id}`]);
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.stop();
  }
}

/** Global so that whoever removes a principal can announce it. */
@Global()
@Module({ providers: [PrincipalRevocations], exports: [PrincipalRevocations] })
export class PrincipalRevocationsModule {}
