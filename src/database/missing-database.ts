import { Client } from 'pg';
import { ConfigError } from '../config/configuration';

/** PostgreSQL's SQLSTATEs: the database named does not exist; it exists (made meanwhile by another instance). */
const INVALID_CATALOG_NAME = '3D000';
const DUPLICATE_DATABASE = '42P04';

const codeOf = (error: unknown) => (error as { code?: string }).code;

/** Connects, runs `work` and closes, whatever happens. */
async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A DATABASE_URL may name a database that does not exist yet (a first start without `createdb`):
 * it is created, as the URL's role, from the server's `postgres` database. When it cannot be,
 * start-up stops with one line that says why and what to run. Any other connection error is
 * left to the data source, which reports it.
 * @returns the name of the database it created, or undefined
 */
export async function createMissingDatabase(url: string): Promise<string | undefined> {
  try {
    await withClient(url, async () => undefined);
    return undefined;
  } catch (error) {
    if (codeOf(error) !== INVALID_CATALOG_NAME) return undefined;
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const role = target.username ? `role "${decodeURIComponent(target.username)}"` : 'the default role';
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  try {
    await withClient(maintenance.toString(), (client) =>
      client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`),
    );
    return name;
  } catch (error) {
    if (codeOf(error) === DUPLICATE_DATABASE) return undefined;
    throw new ConfigError(
      `DATABASE_URL names database "${name}", which does not exist on ${target.host}, and ${role} could not create it (${(error as Error).message}): create it with \`createdb -h ${target.hostname} -p ${target.port || 5432}${target.username ? ` -U ${decodeURIComponent(target.username)}` : ''} ${name}\`, or give the role CREATEDB`,
    );
  }
}
