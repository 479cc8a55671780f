import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppModule } from '../../src/app.module';
import { APP_OPTIONS, configureApp, createAdapter } from '../../src/main';
import { startMessageTransport } from '../../src/messaging/message-transport';
import { ADMIN_TOKEN } from './factories';
import { Http } from './http';

export { ADMIN_TOKEN };

/** The PostgreSQL server the suite runs against, or undefined for the embedded database. */
export const serverUrl = process.env.DATABASE_URL || undefined;

export interface TestApp {
  app: NestFastifyApplication;
  /** This test file's own database URL (on the server), or undefined when embedded. */
  databaseUrl?: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Settings on top of the tests' defaults. */
  env?: Record<string, string>;
  /** Replaces providers before the app starts (`.overrideProvider(...)`); pipes, filters and guards stay real. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Another app's database on the server, to run a second instance over it; close() leaves it. */
  shareDatabaseOf?: TestApp;
}

/**
 * Jest compiles with SWC, which runs no TypeScript plugins: load the Swagger plugin's metadata
 * that the global setup generated (test/setup/global-setup.mjs), once per test file.
 */
let swaggerMetadata: Promise<void> | undefined;
function loadSwaggerMetadata(): Promise<void> {
  // A path, not a static import: the file exists only once Jest's global setup has run.
  const file = join(__dirname, '..', '.generated', 'swagger-metadata');
  swaggerMetadata ??= import(file).then((m: { default: () => Promise<Record<string, any>> }) =>
    SwaggerModule.loadPluginMetadata(m.default),
  );
  return swaggerMetadata;
}

/** The environment as the test file found it: each app starts from it, whatever an earlier app was given. */
const fileEnvironment = { ...process.env };
function resetEnvironment(): void {
  for (const name of Object.keys(process.env)) if (!(name in fileEnvironment)) delete process.env[name];
  Object.assign(process.env, fileEnvironment);
}

/**
 * The real app (same adapter, pipes, filters and guards as production, built by
 * `Test.createTestingModule`) on a database of its own: a fresh database on the server when
 * DATABASE_URL is set, an in-memory PGlite otherwise.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  await loadSwaggerMetadata();
  resetEnvironment();
  const { url: databaseUrl, drop: dropDatabase } = options.shareDatabaseOf
    ? { url: options.shareDatabaseOf.databaseUrl, drop: async () => {} }
    : serverUrl
      ? await createServerDatabase()
      : { url: undefined, drop: async () => {} };
  Object.assign(process.env, {
    ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    // A test file makes many accounts, bookings and refused tokens from one address; the spec of
    // each limit (test/e2e/abuse.e2e-spec.ts) sets its real, small value.
    SIGNUPS_PER_IP_PER_HOUR: '100000',
    FAILED_AUTH_PER_IP_PER_MINUTE: '100000',
    BOOKINGS_PER_IP_PER_HOUR: '100000',
    TRUST_PROXY: 'false',
    MAX_SLOTS_PER_RESPONSE: '5000',
    DATA_DIR: 'memory://',
    // Test apps run side by side: one that speaks messages names its own transport.
    MICROSERVICE_URL: 'off',
    // The outbox relay runs only where a test delivers events (test/e2e/events*).
    EVENTS_RELAY: 'false',
    // Receivers in tests listen on 127.0.0.1; the SSRF spec turns this off.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    ...options.env,
  });
  if (databaseUrl) process.env.DATABASE_URL = databaseUrl;
  else delete process.env.DATABASE_URL;
  const builder = Test.createTestingModule({ imports: [AppModule.register()] });
  const moduleRef = await (options.override ? options.override(builder) : builder).compile();
  const app = configureApp(moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(), APP_OPTIONS));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await startMessageTransport(app);
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

/** An empty database of this test file's own on the server at DATABASE_URL, and how to drop it. */
export async function createServerDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `cc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
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

/**
 * The app for the enclosing describe block, started in beforeAll and closed in afterAll, with an
 * anonymous client and the admin's; `t` is there once beforeAll has run.
 */
export function useTestApp(options: TestAppOptions = {}): { readonly t: TestApp; http: Http; admin: Http } {
  let t: TestApp | undefined;
  beforeAll(async () => {
    t = await startTestApp(options);
  });
  afterAll(() => t?.close());
  const started = (): TestApp => {
    if (!t) throw new Error('the test app starts in beforeAll');
    return t;
  };
  const http = new Http(() => started().app);
  return {
    get t() {
      return started();
    },
    http,
    admin: http.as(ADMIN_TOKEN),
  };
}
