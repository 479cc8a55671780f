import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { bootstrap } from '../../src/main';

export const ADMIN_TOKEN = 'cc_a_test-admin-token-0123456789';

/** The PostgreSQL server the suite runs against, or undefined for the embedded database. */
export const serverUrl = process.env.DATABASE_URL || undefined;

export interface TestApp {
  app: NestFastifyApplication;
  /** This test file's own database URL (on the server), or undefined when embedded. */
  databaseUrl?: string;
  close(): Promise<void>;
}

/**
 * The real app (same bootstrap, pipes and filters as production) on a database of its own:
 * a fresh database on the server when DATABASE_URL is set, an in-memory PGlite otherwise.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  let databaseUrl: string | undefined;
  let dropDatabase = async () => {};
  if (serverUrl) {
    const name = `cc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  Object.assign(process.env, {
    ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    DATA_DIR: 'memory://',
    ...env,
  });
  if (databaseUrl) process.env.DATABASE_URL = databaseUrl;
  else delete process.env.DATABASE_URL;
  const app = await bootstrap();
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  if (serverUrl) process.env.DATABASE_URL = serverUrl;
  return {
    app,
    databaseUrl,
    async close() {
      await app.close();
      await dropDatabase();
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
