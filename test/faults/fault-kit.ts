import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitHook, freePort, startPostgres, type PostgresServer } from '../support/postgres-server';
import { startServer, type ServerProcess } from '../support/server-process';

/**
 * What the fault suites share: the service as its own process (`node dist/src/main.js`), spoken
 * to over real sockets with fetch, on a private PostgreSQL the suite starts (and may break).
 */

export const ADMIN_TOKEN = 'cc_a_fault-admin-token-0123456789';

/** Settings for every service process the fault suites start: every client is 127.0.0.1, so no limit may bite. */
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

export interface Party {
  id: number;
  token: string;
}

let counter = 0;

export async function createConsultant(api: Api, body: Record<string, unknown> = {}): Promise<Party> {
  const res = await api
    .as(ADMIN_TOKEN)
    .post('/consultants', { first_name: 'Fault', last_name: `Consultant${++counter}`, ...body });
  expect(res).toHaveStatus(201);
  return { id: res.body.id, token: res.body.api_token };
}

export async function createUser(api: Api): Promise<Party> {
  const res = await api.as(undefined).post('/users', { first_name: 'Fault', last_name: `User${++counter}` });
  expect(res).toHaveStatus(201);
  return { id: res.body.id, token: res.body.api_token };
}

export async function createSlot(
  api: Api,
  consultant: Party,
  date: string,
  start: string,
  end: string,
): Promise<{ id: number }> {
  const res = await api
    .as(consultant.token)
    .post(`/consultants/${consultant.id}/availabilities`, { date, start_time: start, end_time: end });
  expect(res).toHaveStatus(201);
  return res.body;
}

/** Opens every day 06:00–22:00 (consultant-local) so any half hour in there is bookable. */
export async function openEveryDay(api: Api, consultant: Party): Promise<void> {
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const res = await api.as(consultant.token).put(`/consultants/${consultant.id}/weekly-schedule`, {
    availability: days.map((day) => ({ day, start_time: '06:00', end_time: '22:00' })),
  });
  expect(res).toHaveStatus(200);
}

/** The n-th distinct bookable half hour (UTC) inside openEveryDay's windows, from 2031 on. */
export function halfHour(n: number): { start: string; end: string } {
  const day = Date.UTC(2031, 0, 1) + Math.floor(n / 32) * 86_400_000;
  const start = day + 6 * 3_600_000 + (n % 32) * 1_800_000;
  return { start: new Date(start).toISOString(), end: new Date(start + 1_800_000).toISOString() };
}

/** Asserts an RFC 9457 answer with one of the given statuses and no internals in it. */
export function assertProblem(res: Answer, statuses: number[]): void {
  // The status, then the body, which says why when it is not one of those expected.
  expect(`${res.status} ${res.text}`).toMatch(new RegExp(`^(?:${statuses.join('|')}) `));
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    status: res.status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(res.text).not.toMatch(/\bat .+\.js:\d+|QueryFailedError|SELECT |INSERT |node_modules/);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
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

export async function startService(env: Record<string, string>): Promise<ServerProcess & { port: number }> {
  const port = await freePort();
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

export { randomUUID };
