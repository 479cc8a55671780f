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

/** Where the entities alone build their schema, beside the migrated one in `public`. */
const ENTITIES_ONLY = 'entities_only';

describe('schema drift', () => {
  let url: string;
  let stop: () => Promise<void>;

  /** One data source at a time: the embedded database serves one connection. */
  async function withDataSource<T>(options: Partial<DataSourceOptions>, work: (ds: DataSource) => Promise<T>) {
    const ds = new DataSource({ ...dataSourceOptions(url, 1), ...options } as DataSourceOptions);
    await ds.initialize();
    try {
      return await work(ds);
    } finally {
      await ds.destroy();
    }
  }

  /** What `migration:generate` would write into a migration's up(). */
  async function pendingChanges(ds: DataSource): Promise<string[]> {
    const { upQueries } = await ds.driver.createSchemaBuilder().log();
    return upQueries.map((q) => q.query);
  }

  beforeAll(async () => {
    if (serverUrl) {
      ({ url, drop: stop } = await createServerDatabase());
    } else {
      const embedded = await EmbeddedPostgres.start('memory://');
      ({ url } = embedded);
      stop = () => embedded.stop();
    }
    await withDataSource({}, (ds) => ds.runMigrations({ transaction: 'each' }));
  });

  afterAll(() => stop?.());

  it('finds nothing to change on a database migrated from nothing', async () => {
    expect(await withDataSource({}, pendingChanges)).toEqual([]);
  });

  it('builds the same tables, columns, constraints and indexes from the entities alone', async () => {
    // TypeORM's check compares constraints and indexes by name only; the catalogs compare what they say.
    const migrated = await withDataSource({}, (ds) => describeSchema(ds, 'public'));
    const fromEntities = await withDataSource({ schema: ENTITIES_ONLY }, async (ds) => {
      await ds.query(`CREATE SCHEMA ${ENTITIES_ONLY}`);
      await ds.synchronize();
      return describeSchema(ds, ENTITIES_ONLY);
    });
    expect(migrated.columns.length).toBeGreaterThan(40);
    expect(fromEntities).toEqual(migrated);
  });

  it('fails when an entity changes and no migration follows', async () => {
    const entities = ENTITIES.map((e) => (e === IdempotencyKey ? IdempotencyKeyWithMethod : e));
    expect(await withDataSource({ entities }, pendingChanges)).toEqual([
      `ALTER TABLE "idempotency_keys" ADD "method" character varying(7) NOT NULL DEFAULT 'POST'`,
    ]);
  });

  it('fails when the schema changes behind the entities', async () => {
    await withDataSource({}, async (ds) => {
      await ds.query(`ALTER TABLE bookings DROP CONSTRAINT bookings_at_most_a_day`);
      await ds.query(`DROP INDEX bookings_recurring_idx`);
      try {
        // TypeORM's own spacing, squeezed.
        const changes = (await pendingChanges(ds)).map((sql) => sql.replace(/\s+/g, ' '));
        expect(changes.sort()).toEqual([
          `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_at_most_a_day" CHECK (end_at - start_at <= interval '24 hours')`,
          `CREATE INDEX "bookings_recurring_idx" ON "bookings" ("recurring_id") WHERE recurring_id IS NOT NULL`,
        ]);
      } finally {
        await ds.query(
          `ALTER TABLE bookings ADD CONSTRAINT bookings_at_most_a_day CHECK (end_at - start_at <= interval '24 hours')`,
        );
        await ds.query(`CREATE INDEX bookings_recurring_idx ON bookings (recurring_id) WHERE recurring_id IS NOT NULL`);
      }
    });
  });
});

/**
 * A schema as PostgreSQL's catalogs state it, for the entities' tables, with the schema's name
 * left out. A primary key's name is left out too: TypeORM names them `PK_<hash>`, PostgreSQL
 * `<table>_pkey`, and nothing refers to them.
 */
async function describeSchema(ds: DataSource, schema: string) {
  const tables = ds.entityMetadatas.map((m) => m.tableName);
  const unqualified = (text: string) => text.replaceAll(`${schema}.`, '');
  const columns = await ds.query<Record<string, unknown>[]>(
    `SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default,
            is_identity, identity_generation, is_generated, generation_expression
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)
      ORDER BY table_name, column_name`,
    [schema, tables],
  );
  const constraints = await ds.query<{ table: string; name: string; definition: string }[]>(
    `SELECT t.relname AS table, CASE c.contype WHEN 'p' THEN 'primary key' ELSE c.conname END AS name,
            pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1 AND t.relname = ANY($2) ORDER BY 1, 2`,
    [schema, tables],
  );
  // Indexes a constraint makes are compared as that constraint.
  const indexes = await ds.query<{ name: string; definition: string }[]>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1 AND t.relname = ANY($2)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
      ORDER BY 1`,
    [schema, tables],
  );
  return {
    columns,
    constraints: constraints.map((c) => ({ ...c, definition: unqualified(c.definition) })),
    indexes: indexes.map((i) => ({ ...i, definition: unqualified(i.definition) })),
  };
}
