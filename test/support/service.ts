import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN } from './factories';
import { exitHook, freePort, skipWithoutPostgres, startPostgres, type PostgresServer } from './postgres-server';
import { startServer, type ServerProcess } from './server-process';

/**
 * The service as its own process (`node dist/src/main.js`), spoken to over real sockets with
 * fetch, on a private PostgreSQL the suite starts (and may break): what the fault suites share.
 */

/** Settings for every service process the tests start: every client is 127.0.0.1, so no limit may bite. */
export const SERVICE_ENV = {
  ADMIN_TOKEN,
  RATE_LIMIT_PER_MINUTE: '1000000',
  MAX_FUTURE_BOOKINGS_PER_USER: '100000',
  SIGNUPS_PER_IP_PER_HOUR: '100000',
  FAILED_AUTH_PER_IP_PER_MINUTE: '100000',
  BOOKINGS_PER_IP_PER_HOUR: '100000',
  LOG_LEVEL: 'warn',
  DATA_DIR: 'memory://',
};

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A tiny HTTP client over fetch: real sockets, real keep-alive, as a client would. */
export class Api {
  constructor(
    readonly base: string,
    private readonly token?: string,
  ) {}

  as(token: string | undefined): Api {
    return new Api(this.base, token);
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Answer<T>> {
    const res = await fetch(this.base + path, {
      method,
      signal,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return {
      status: res.status,
      headers: res.headers,
      body: type.includes('json') && text ? JSON.parse(text) : text,
      text,
    };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body);
  }
}

/** The error code under fetch's "fetch failed" (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, …). */
export function networkCode(error: unknown): string {
  const e = error as { cause?: { code?: string; message?: string }; code?: string; name?: string; message?: string };
  return e?.cause?.code ?? e?.code ?? e?.name ?? String(error);
}

/** Service processes and folders still there when the test process exits are removed, whatever failed. */
const servers = new Set<ServerProcess>();
const folders = new Set<string>();
const updateExitHook = exitHook(
  () => {
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  },
  () => servers.size > 0 || folders.size > 0,
);

/** A temporary folder, removed by removeTempDir() or, at the latest, when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.add(dir);
  updateExitHook();
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  folders.delete(dir);
  updateExitHook();
}

/** The built service on `port` (a free one by default: a restarted instance keeps its own). */
export async function startService(
  env: Record<string, string>,
  port?: number,
): Promise<ServerProcess & { port: number }> {
  port ??= await freePort();
  const server = await startServer({ ...SERVICE_ENV, ...env }, port);
  servers.add(server);
  updateExitHook();
  server.child.once('exit', () => {
    servers.delete(server);
    updateExitHook();
  });
  return Object.assign(server, { port });
}

/** SIGKILL, and wait for it to be gone. */
export async function killService(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  await server.stop('SIGKILL');
}

/** A private PostgreSQL with a fresh database for the service; destroy() it in afterAll(). */
export async function privateDatabase(): Promise<{ pg: PostgresServer; url: string }> {
  const pg = await startPostgres();
  try {
    const url = await pg.createDatabase(`cc_fault_${randomUUID().slice(0, 8)}`);
    return { pg, url };
  } catch (error) {
    await pg.destroy();
    throw error;
  }
}

/** `describe`, or `describe.skip` (warned about loudly and counted as skipped) without PostgreSQL's binaries. */
export function describeWithPostgres(suite: string): jest.Describe {
  return skipWithoutPostgres(suite) ? describe.skip : describe;
}

export interface ServiceOnPostgres {
  pg: PostgresServer;
  /** The service's database on the private server. */
  dbUrl: string;
  server: ServerProcess & { port: number };
  api: Api;
  /** One statement as the superuser on the service's database. */
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
}

/**
 * A private PostgreSQL and the service on it for the enclosing describe block: started in
 * beforeAll, killed and removed in afterAll. The fields are there once beforeAll has run.
 */
export function useServiceOnPostgres(env: Record<string, string> = {}): ServiceOnPostgres {
  const ctx = {} as ServiceOnPostgres;
  beforeAll(async () => {
    const { pg, url } = await privateDatabase();
    Object.assign(ctx, { pg, dbUrl: url });
    ctx.sql = (text, params = []) => pg.query(text, params, new URL(url).pathname.slice(1));
    ctx.server = await startService({ DATABASE_URL: url, ...env });
    ctx.api = new Api(ctx.server.url);
  });
  afterAll(async () => {
    if (ctx.server) await killService(ctx.server);
    if (ctx.pg) await ctx.pg.destroy();
  });
  return ctx;
}
