import { Column, DataSource, type DataSourceOptions, Entity } from 'typeorm';
import { IdempotencyKey } from '../../src/bookings/entities/idempotency-key.entity';
import { dataSourceOptions, ENTITIES } from '../../src/database/data-source-options';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { createServerDatabase, serverUrl } from '../support/test-app';

/**
 * Entities and migrations describe one schema. `npm run schema:check` (TypeORM's
 * `migration:generate --check`) asks TypeORM's schema builder what it would change on a migrated
 * database; these tests ask it the same, in-process, on both databases, and show it answers.
 */

/** The entity as someone might change it and forget the migration: a new column. */
@Entity('idempotency_keys')
class IdempotencyKeyWithMethod extends IdempotencyKey {
  @Column({ type: 'varchar', length: 7, default: 'POST' })
  method: string;
}

describe('schema drift', () => {
  // Each test's databases go when it ends, the data source before its database.
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  /**
   * A data source on a new, empty database of its own: on the server, or an embedded one (which
   * serves one connection, so each data source gets a database rather than a turn).
   */
  async function emptyDatabase(options: Partial<DataSourceOptions> = {}): Promise<DataSource> {
    let url: string;
    if (serverUrl) {
      const created = await createServerDatabase();
      url = created.url;
      stops.push(created.drop);
    } else {
      const embedded = await EmbeddedPostgres.start('memory://');
      url = embedded.url;
      stops.push(() => embedded.stop());
    }
    const ds = new DataSource({ ...dataSourceOptions(url, 1), ...options } as DataSourceOptions);
    await ds.initialize();
    stops.push(() => ds.destroy());
    return ds;
  }

  async function migratedDatabase(options: Partial<DataSourceOptions> = {}): Promise<DataSource> {
    const ds = await emptyDatabase(options);
    await ds.runMigrations({ transaction: 'each' });
    return ds;
  }

  /** What `migration:generate` would write into a migration's up(). */
  async function pendingChanges(ds: DataSource): Promise<string[]> {
    const { upQueries } = await ds.driver.createSchemaBuilder().log();
    // TypeORM's own spacing, squeezed.
    return upQueries.map((q) => q.query.replace(/\s+/g, ' '));
  }

  it('finds nothing to change on a database migrated from nothing', async () => {
    expect(await pendingChanges(await migratedDatabase())).toEqual([]);
  });

  it('builds the same tables, columns, constraints and indexes from the entities alone', async () => {
    // TypeORM's check compares constraints and indexes by name only; the catalogs compare what they say.
    const migrated = await describeSchema(await migratedDatabase());
    const synchronized = await emptyDatabase();
    await synchronized.synchronize();
    expect(migrated.columns.length).toBeGreaterThan(40);
    expect(await describeSchema(synchronized)).toEqual(migrated);
  });

  it('fails when an entity changes and no migration follows', async () => {
    const entities = ENTITIES.map((e) => (e === IdempotencyKey ? IdempotencyKeyWithMethod : e));
    expect(await pendingChanges(await migratedDatabase({ entities }))).toEqual([
      `ALTER TABLE "idempotency_keys" ADD "method" character varying(7) NOT NULL DEFAULT 'POST'`,
    ]);
  });

  it('fails when the schema changes behind the entities', async () => {
    const ds = await migratedDatabase();
    await ds.query(`ALTER TABLE bookings DROP CONSTRAINT bookings_at_most_a_day`);
    await ds.query(`DROP INDEX bookings_recurring_idx`);
    expect((await pendingChanges(ds)).sort()).toEqual([
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_at_most_a_day" CHECK (end_at - start_at <= interval '24 hours')`,
      `CREATE INDEX "bookings_recurring_idx" ON "bookings" ("recurring_id") WHERE recurring_id IS NOT NULL`,
    ]);
  });
});

/**
 * A schema as PostgreSQL's catalogs state it, for the entities' tables. A primary key's name is
 * left out: TypeORM names them `PK_<hash>`, PostgreSQL `<table>_pkey`, and nothing refers to them.
 */
async function describeSchema(ds: DataSource) {
  const tables = ds.entityMetadatas.map((m) => m.tableName);
  const columns = await ds.query<Record<string, unknown>[]>(
    `SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default,
            is_identity, identity_generation, is_generated, generation_expression
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1)
      ORDER BY table_name, column_name`,
    [tables],
  );
  const constraints = await ds.query<Record<string, unknown>[]>(
    `SELECT t.relname AS table, CASE c.contype WHEN 'p' THEN 'primary key' ELSE c.conname END AS name,
            pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1) ORDER BY 1, 2`,
    [tables],
  );
  // Indexes a constraint makes are compared as that constraint.
  const indexes = await ds.query<Record<string, unknown>[]>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
      ORDER BY 1`,
    [tables],
  );
  return { columns, constraints, indexes };
}
