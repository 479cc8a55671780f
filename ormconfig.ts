import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source-options';
import { EmbeddedPostgres } from './src/database/embedded-postgres';

/**
 * The TypeORM CLI's data source (`npm run typeorm -- migration:run`, `migration:generate`):
 * DATABASE_URL when set, otherwise the embedded database under DATA_DIR (default ./data).
 */
async function cliDataSource(): Promise<DataSource> {
  const url = process.env.DATABASE_URL ?? (await EmbeddedPostgres.start(process.env.DATA_DIR ?? './data')).url;
  return new DataSource(dataSourceOptions(url, 1));
}

export default cliDataSource();
