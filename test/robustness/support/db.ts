import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { TestApp } from '../../support/test-app';

/** The tables a request can change, with the key that orders their rows. */
export const TABLES = [
  'consultants',
  'users',
  'availabilities',
  'recurring_rules',
  'date_overrides',
  'bookings',
  'idempotency_keys',
] as const;
export type Table = (typeof TABLES)[number];
const ORDER: Record<Table, string> = {
  consultants: 'id',
  users: 'id',
  availabilities: 'id',
  recurring_rules: 'id',
  date_overrides: 'id',
  bookings: 'id',
  idempotency_keys: 'principal, key',
};

export type Snapshot = Record<string, string>;

/**
 * Reads the test's database behind the app's back: with `pg` on the test's own database when
 * DATABASE_URL is set, else through the app's connection to the embedded PGlite (the only way
 * into an in-memory database). Read-only.
 */
export class DbReader {
  private constructor(
    private readonly run: (sql: string) => Promise<Record<string, unknown>[]>,
    readonly close: () => Promise<void>,
  ) {}

  static async open(t: TestApp): Promise<DbReader> {
    if (t.databaseUrl) {
      const client = new Client({ connectionString: t.databaseUrl });
      await client.connect();
      return new DbReader(
        async (sql) => (await client.query(sql)).rows,
        () => client.end(),
      );
    }
    const dataSource = t.app.get(DataSource);
    return new DbReader(
      (sql) => dataSource.query(sql),
      async () => {},
    );
  }

  query(sql: string): Promise<Record<string, unknown>[]> {
    return this.run(sql);
  }

  /** One digest per table over every column of every row: equal snapshots, equal data. */
  async snapshot(tables: readonly Table[] = TABLES): Promise<Snapshot> {
    const sql = `SELECT ${tables
      .map(
        (t) =>
          `(SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, '|' ORDER BY ${ORDER[t]
            .split(', ')
            .map((c) => `r.${c}`)
            .join(', ')})), '') FROM ${t} r) AS ${t}`,
      )
      .join(', ')}`;
    const [row] = await this.run(sql);
    return row as Snapshot;
  }

  /** Full rows, for a readable message when a snapshot differs. */
  async rows(table: Table): Promise<Record<string, unknown>[]> {
    return this.run(`SELECT * FROM ${table} ORDER BY ${ORDER[table]}`);
  }
}

/** The tables whose digests differ between two snapshots. */
export const changedTables = (before: Snapshot, after: Snapshot): string[] =>
  Object.keys(before).filter((t) => before[t] !== after[t]);
