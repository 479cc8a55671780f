import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { Client } from 'pg';
import { eventually } from './eventually';

/**
 * A throwaway PostgreSQL server of the test's own: `initdb` into a temporary folder and
 * `postgres` on a private loopback port, so a test may stop, kill or starve it without touching
 * the machine's server (or anything else). As root it runs as the `postgres` OS user, which
 * initdb demands, by spawning with that uid/gid directly (no runuser/su in between, so the pid
 * we hold is the postmaster's own and signals reach it).
 */

/** The folder with initdb and postgres: $POSTGRES_BIN, else the newest /usr/lib/postgresql/N/bin (N >= 15). */
export function postgresBinDir(): string | undefined {
  const given = process.env.POSTGRES_BIN;
  if (given) return existsSync(join(given, 'initdb')) && existsSync(join(given, 'postgres')) ? given : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .map(Number)
    .filter((v) => v >= 15)
    .sort((a, b) => b - a);
  for (const v of versions) {
    const dir = join(root, String(v), 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

/**
 * Why a suite that needs the binaries must be skipped, or undefined when they are there. When
 * absent it warns loudly, so a skipped fault suite is never mistaken for a green one; the caller
 * picks `describe.skip` at load time, so Jest counts its tests as skipped.
 */
export function skipWithoutPostgres(suite: string): string | undefined {
  if (postgresBinDir()) return undefined;
  const reason = `PostgreSQL server binaries (initdb, postgres >= 15) not found under /usr/lib/postgresql or $POSTGRES_BIN; install Debian's postgresql package`;
  warnSkipping(suite, reason);
  return reason;
}

/**
 * The loud warning of a skipped suite. Jest's default reporter prints no console output of a
 * test file whose tests were all skipped, so it goes straight to stderr as well.
 */
export function warnSkipping(suite: string, reason: string): void {
  process.stderr.write(`\n!!! SKIPPING ${suite}: ${reason}\n\n`);
}

/**
 * A free loopback port below Linux's ephemeral range (32768-60999): a port probed free inside that
 * range can be taken by any outgoing connection before the server binds it (EADDRINUSE in CI).
 */
export async function freePort(low = 20_000, high = 32_000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    const ok = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error(`no free port in [${low}, ${high})`);
}

interface OsUser {
  uid: number;
  gid: number;
}

/** Whom to run the server as: ourselves, unless we are root (initdb refuses root). */
function serverUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root and there is no `postgres` OS user to run initdb/postgres as');
  }
}

export interface PostgresServer {
  readonly port: number;
  /** The temporary folder: data in `data/`, the Unix socket and the log beside it. */
  readonly dir: string;
  /** A connection URL for the given database (default `postgres`). */
  url(database?: string): string;
  /** Whether the postmaster is running (as far as this helper knows). */
  readonly running: boolean;
  /** Runs one statement as the superuser on a short-lived connection. */
  query<T = any>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Creates a database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT): aborts transactions, disconnects clients, exits cleanly. */
  stop(): Promise<void>;
  /** Starts the postmaster again on the same folder and port; resolves when it accepts connections. */
  start(): Promise<void>;
  /** SIGKILL to the postmaster and all its backends (its own process group): a crash. */
  kill(): Promise<void>;
  /** The server's log so far (for assertion messages). */
  log(): string;
  /** Kills whatever runs and removes the folder. Safe to call twice. */
  destroy(): Promise<void>;
}

/**
 * The real `process`. Jest hands each test file a copy of it whose events never fire: its 'exit'
 * is not the process's exit and signals reach only the real one. Exit hooks go on this one.
 * (Evaluated by the vm module, it is the global of Node's main context, not of the test's.)
 */
export const hostProcess = runInThisContext('process') as NodeJS.Process;

/**
 * Turns SIGTERM/SIGINT/SIGHUP (Jest stopping a worker, or a Ctrl-C) into a normal exit, so that
 * 'exit' handlers, which kill what a test started and remove its temporary folders, run then
 * too. Once per process, however many test files a Jest worker runs.
 */
export function exitOnSignals(): void {
  const flag = Symbol.for('cc.test.exitOnSignals');
  const registry = hostProcess as unknown as Record<symbol, boolean>;
  if (registry[flag]) return;
  registry[flag] = true;
  // The handler is made in the main context too, so it keeps no test file's sandbox alive.
  const exitOn = runInThisContext('(signal, code) => process.once(signal, () => process.exit(code))') as (
    signal: NodeJS.Signals,
    code: number,
  ) => void;
  exitOn('SIGTERM', 143);
  exitOn('SIGINT', 130);
  exitOn('SIGHUP', 129);
}

/**
 * Runs `cleanUp` when the process exits while `pending()` says something is left; call the
 * returned function whenever that may have changed. The hook is on the process only while
 * there is something to clean up, so a test file that finished cleanly leaves no listener behind
 * (which would keep its whole Jest sandbox alive in a worker that goes on to other files).
 */
export function exitHook(cleanUp: () => void, pending: () => boolean): () => void {
  let installed = false;
  return () => {
    if (pending() && !installed) {
      exitOnSignals();
      hostProcess.on('exit', cleanUp);
      installed = true;
    } else if (!pending() && installed) {
      hostProcess.off('exit', cleanUp);
      installed = false;
    }
  };
}

/** Leftovers to remove if the test process dies without calling destroy(). */
const live = new Set<{ pid?: number; dir: string }>();
const updateExitHook = exitHook(
  () => {
    for (const entry of live) {
      if (entry.pid) {
        try {
          process.kill(-entry.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(entry.dir, { recursive: true, force: true });
    }
  },
  () => live.size > 0,
);

/** initdb into a new temporary folder and start the server; throws when the binaries are absent. */
export async function startPostgres(
  options: { port?: number; settings?: Record<string, string> } = {},
): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found (see skipWithoutPostgres)');
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'cc-pg-'));
  const entry: { pid?: number; dir: string } = { dir };
  live.add(entry);
  updateExitHook();
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const spawnAs = user ? { uid: user.uid, gid: user.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', TZ: 'UTC' };

  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
    { ...spawnAs, env, encoding: 'utf8', cwd: dir },
  );
  if (init.status !== 0) {
    live.delete(entry);
    updateExitHook();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout || init.error}`);
  }

  const port = options.port ?? (await freePort());
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    // Durability against an OS crash is not what these tests are about; a killed postgres
    // process loses nothing either way (the page cache survives it).
    fsync: 'off',
    full_page_writes: 'off',
    max_connections: '60',
    shared_buffers: '32MB',
    log_min_messages: 'warning',
    logging_collector: 'off',
    ...options.settings,
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];

  let child: ChildProcess | undefined;
  let logText = '';
  const spawnServer = async () => {
    // detached: its own process group, so kill() reaches the backends too and Ctrl-C of the
    // test runner is handled by our exit hook rather than half-delivered.
    const proc = spawn(join(bin, 'postgres'), args, {
      ...spawnAs,
      env,
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (d) => (logText += d));
    proc.stderr!.on('data', (d) => (logText += d));
    child = proc;
    entry.pid = proc.pid;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`postgres exited at start (${proc.exitCode ?? proc.signalCode}): ${logText}`);
      const probe = new Client({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        database: 'postgres',
        connectionTimeoutMillis: 1000,
      });
      try {
        await probe.connect();
        await probe.query('SELECT 1');
        await probe.end();
        return;
      } catch {
        await probe.end().catch(() => undefined);
      }
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 20 s: ${logText}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const waitExit = async (proc: ChildProcess) => {
    if (proc.exitCode === null && proc.signalCode === null) await once(proc, 'exit');
  };

  const server: PostgresServer = {
    port,
    dir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async query<T>(sql: string, params: unknown[] = [], database = 'postgres') {
      const client = new Client({ connectionString: server.url(database), connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async createDatabase(name: string) {
      await server.query(`CREATE DATABASE ${name}`);
      return server.url(name);
    },
    async stop() {
      if (!child || !server.running) return;
      const proc = child;
      proc.kill('SIGINT');
      await waitExit(proc);
      entry.pid = undefined;
    },
    async start() {
      if (server.running) return;
      await spawnServer();
    },
    async kill() {
      if (!child || !server.running) return;
      const proc = child;
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        proc.kill('SIGKILL');
      }
      await waitExit(proc);
      entry.pid = undefined;
      // Orphaned backends of the group die with it: a restart checks the shared-memory segment,
      // so wait until no process of the group is left.
      await eventually("the killed server's backends to be gone", () => {
        try {
          process.kill(-proc.pid!, 0);
          return undefined;
        } catch {
          return true;
        }
      });
    },
    log: () => logText + (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async destroy() {
      if (child && server.running) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        await waitExit(child);
      }
      entry.pid = undefined;
      live.delete(entry);
      updateExitHook();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await spawnServer();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}
