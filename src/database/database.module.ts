import { Global, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/configuration';
import { dataSourceOptions } from './data-source-options';
import { EmbeddedPostgres } from './embedded-postgres';
import { createMissingDatabase } from './missing-database';
import { TransactionalConnection } from './transactional-connection';

/** Starts the embedded database when no DATABASE_URL is given, and stops it last. */
@Injectable()
export class DatabaseUrlProvider implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private embedded?: EmbeddedPostgres;

  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  async url(): Promise<string> {
    const url = this.config.get('DATABASE_URL', { infer: true });
    if (url) {
      const created = await createMissingDatabase(url);
      if (created) this.logger.log(`Created database "${created}" (DATABASE_URL named it; it did not exist)`);
      return url;
    }
    const dataDir = this.config.get('DATA_DIR', { infer: true });
    this.embedded = await EmbeddedPostgres.start(dataDir);
    this.logger.log(
      `Embedded PostgreSQL (PGlite) at ${dataDir}${this.embedded.fromTemplate ? ", new from the build's template" : ''}`,
    );
    return this.embedded.url;
  }

  get isEmbedded(): boolean {
    return this.embedded !== undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}

@Module({ providers: [DatabaseUrlProvider], exports: [DatabaseUrlProvider] })
class DatabaseUrlModule {}

/**
 * The database, whether it is the embedded one (DatabaseUrlProvider), and the one way to open a
 * transaction (TransactionalConnection); global, like TypeORM's data source under it.
 */
@Global()
@Module({
  providers: [TransactionalConnection],
  exports: [DatabaseUrlModule, TransactionalConnection],
  imports: [
    DatabaseUrlModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseUrlModule],
      inject: [ConfigService, DatabaseUrlProvider],
      useFactory: async (config: ConfigService<AppConfig, true>, database: DatabaseUrlProvider) => {
        const url = await database.url();
        return {
          ...dataSourceOptions(url, database.isEmbedded ? 1 : config.get('DATABASE_POOL_SIZE', { infer: true })),
          migrationsRun: config.get('MIGRATIONS_RUN', { infer: true }),
          // Start-up should fail loudly, not retry for minutes.
          retryAttempts: 0,
        };
      },
    }),
  ],
})
export class DatabaseModule {}
