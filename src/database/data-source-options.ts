import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';

/** One definition of the connection for the app, the tests and the TypeORM CLI. */
export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [join(__dirname, '..', '**', '*.entity.js')],
    migrations: [join(__dirname, 'migrations', '*.js')],
    migrationsTransactionMode: 'each',
    synchronize: false,
    // A request should fail fast with a 503 rather than queue forever on a dead database.
    extra: { max: poolSize, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000 },
  };
}
