import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';

/** The repository root: this file runs from dist/bench/ (or from a build elsewhere, started in the root). */
export const ROOT =
  process.env.BENCH_ROOT ??
  (existsSync(join(__dirname, '..', '..', 'package.json')) ? join(__dirname, '..', '..') : process.cwd());
export const BENCH_DIR = join(ROOT, 'bench');

/** Where the built service is run from: dist/, or a private copy of it (see snapshotBuild). */
let buildDir = join(__dirname, '..');
export const serverMain = (): string => join(buildDir, 'src', 'main.js');
export const benchBuildFile = (name: string): string => join(buildDir, 'bench', name);

/**
 * Copies dist/src and dist/bench to a private folder (node_modules linked) and runs the
 * service from there: other people's `nest build` empties dist/ and must not pull the
 * service out from under a 15-minute run.
 */
export function snapshotBuild(): string {
  const target = join(tmpdir(), `cc-bench-build-${process.pid}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const part of ['src', 'bench']) cpSync(join(buildDir, part), join(target, part), { recursive: true });
  if (!existsSync(join(target, 'node_modules')))
    symlinkSync(join(ROOT, 'node_modules'), join(target, 'node_modules'), 'dir');
  buildDir = target;
  process.once('exit', () => rmSync(target, { recursive: true, force: true }));
  return target;
}

/** The PostgreSQL server the bench fills and loads: no database in the path. */
export const PG_URL = (process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
export const databaseUrl = (name: string): string => `${PG_URL}/${name}`;

export const ADMIN_TOKEN = 'cc_a_bench-admin-token-0123456789';
/** Every generated principal has a known token, so the load can authenticate as any of them. */
export const userToken = (id: number): string => `cc_u_bench-${id}`;
export const consultantToken = (id: number): string => `cc_c_bench-${id}`;

/**
 * The server's settings for load: rate limits, booking cap and the client share's per-address
 * count out of the way (the load comes from one address, so the per-address ceilings would stop
 * it within seconds), logs quiet. The
 * slot ceiling is raised so the 92-day views measure what they always did.
 */
export const LOAD_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  ADMIN_TOKEN,
  RATE_LIMIT_PER_MINUTE: '1000000000',
  SIGNUPS_PER_IP_PER_HOUR: '1000000000',
  FAILED_AUTH_PER_IP_PER_MINUTE: '1000000000',
  BOOKINGS_PER_IP_PER_HOUR: '1000000000',
  MAX_SLOTS_PER_RESPONSE: '1000000',
  MAX_FUTURE_BOOKINGS_PER_USER: '100000',
  // One address books for every user, across the whole data set.
  CLIENT_SHARE_BY_ADDRESS: 'false',
  MIGRATIONS_RUN: 'false',
};

/** One request of a load: what autocannon sends next. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  token?: string;
}

/** autocannon for `seconds` at `connections`, each request the next `next()` gives. */
export async function hammer(
  url: string,
  next: () => HttpRequest,
  seconds: number,
  connections: number,
): Promise<autocannon.Result> {
  return await autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        setupRequest: (request) => {
          const r = next();
          request.method = r.method;
          request.path = r.path;
          request.headers = {
            ...(r.body !== undefined && { 'content-type': 'application/json' }),
            ...(r.token && { authorization: `Bearer ${r.token}` }),
          };
          request.body = r.body;
          return request;
        },
      },
    ],
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function databaseExists(name: string): Promise<boolean> {
  return withClient(
    databaseUrl('postgres'),
    async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
  );
}

/** A child process's resident memory, from /proc (kB): now and the kernel's high-water mark. */
export function memoryOf(pid: number): { rssKb: number; hwmKb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) =>
      Number(/^(\w+):\s+(\d+)/m.exec(status.split('\n').find((l) => l.startsWith(name + ':')) ?? '')?.[2] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return null;
  }
}

/** Children still running; ended if the bench itself is stopped (Ctrl-C, SIGTERM). */
const children = new Set<ChildProcess>();
let handlersInstalled = false;
function ownChildren(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      children.forEach((c) => c.kill('SIGTERM'));
      process.exit(130);
    });
  }
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  pid: number;
  /** Milliseconds from spawn to the first 200 from /health. */
  startMs: number;
  output(): string;
  /** The highest VmRSS sampled since the last call (kB), then starts a new window. */
  takePeakRssKb(): number;
  stop(): Promise<number | null>;
}

/**
 * Spawns `node [nodeArgs] dist/src/main.js` (the service exactly as `npm start` runs it, or
 * another script) and resolves when /health answers 200. Samples its VmRSS every 100 ms.
 */
export async function startServer(
  env: Record<string, string | undefined>,
  options: { nodeArgs?: string[]; timeoutMs?: number; cwd?: string; script?: string } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const started = performance.now();
  const fullEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env }))
    if (v !== undefined) fullEnv[k] = v;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? serverMain()], {
    cwd: options.cwd ?? buildDir,
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ownChildren(child);
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let startMs: number;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) {
        startMs = performance.now() - started;
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer /health in time: ${output}`);
    }
    await sleep(20);
  }
  let peak = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(child.pid!);
    if (m && m.rssKb > peak) peak = m.rssKb;
  }, 100);
  sampler.unref();
  return {
    url,
    child,
    pid: child.pid!,
    startMs,
    output: () => output,
    takePeakRssKb() {
      const m = memoryOf(child.pid!);
      const value = Math.max(peak, m?.rssKb ?? 0);
      peak = 0;
      return value;
    },
    async stop() {
      clearInterval(sampler);
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code] = await once(child, 'exit');
      clearTimeout(timer);
      return code as number | null;
    },
  };
}

/** A small seeded generator (mulberry32), so every run asks for the same things. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Command-line flags: `--name` is true, `--name=value` a string. */
export function flags(argv = process.argv.slice(2)): Map<string, string | true> {
  return new Map(
    argv
      .filter((a) => a.startsWith('--'))
      .map((a) => {
        const [name, ...rest] = a.slice(2).split('=');
        return [name, rest.length ? rest.join('=') : true] as [string, string | true];
      }),
  );
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '–';

/** CPU time of a process (utime + stime) in seconds, from /proc (clock ticks of 1/100 s). */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of the whole machine, summed over cores, from /proc/stat. */
export function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]) / 100;
}

/** CPU used during a window, in cores (1 = one core busy all the time). */
export interface CpuShares {
  /** The process under test (the service, the bare server). */
  server: number;
  /** The load generator: this process (autocannon) or pgbench. */
  client: number;
  /** PostgreSQL for the database under test: its backends, autovacuum, WAL writer, checkpointer. */
  postgres: number;
  /** Everything else on the machine: other people's work, other databases' backends. */
  foreign: number;
  /** Shared-buffer misses (blocks read from the OS) and hits of the database during the window. */
  blocksRead?: number;
  blocksHit?: number;
}

/**
 * Starts watching the CPU of the processes in a measurement; the returned function stops and
 * reports. Backends of `database` are looked up every 250 ms (pools open lazily, pgbench's
 * connections come and go), and a process first seen mid-window counts from zero.
 */
export async function watchCpu(options: {
  database?: string;
  server?: number;
  client?: number | 'self';
}): Promise<() => Promise<CpuShares>> {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const roles = new Map<number, keyof CpuShares>();
  const startedAt = performance.now();
  const machine0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const db = options.database ? new Client({ connectionString: databaseUrl(options.database) }) : null;
  await db?.connect();
  let initial = true;
  const sample = async () => {
    if (db) {
      // The database's backends and autovacuum workers, and the server's own background processes
      // (WAL writer, checkpointer…): what the workload costs PostgreSQL. Other databases' backends are foreign.
      const { rows } = await db.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE (datname = current_database() OR datname IS NULL) AND pid <> pg_backend_pid()',
      );
      for (const { pid } of rows) if (!roles.has(pid)) roles.set(pid, 'postgres');
    }
    for (const [pid] of roles) {
      const cpu = processCpuSeconds(pid);
      if (!Number.isFinite(cpu)) continue;
      if (!first.has(pid)) first.set(pid, initial ? cpu : 0);
      last.set(pid, cpu);
    }
    initial = false;
  };
  if (options.server) roles.set(options.server, 'server');
  if (typeof options.client === 'number') roles.set(options.client, 'client');
  const blocks = async () => {
    const { rows } = await db!.query<{ read: string; hit: string }>(
      'SELECT blks_read AS read, blks_hit AS hit FROM pg_stat_database WHERE datname = current_database()',
    );
    return { read: Number(rows[0].read), hit: Number(rows[0].hit) };
  };
  const blocks0 = db ? await blocks() : null;
  await sample();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    sample()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 250);
  return async () => {
    clearInterval(timer);
    while (busy) await sleep(10);
    await sample().catch(() => undefined);
    // Statistics reach pg_stat_database when a backend is idle for a moment (at most a second late).
    const blocks1 = db ? await sleep(1100).then(blocks) : null;
    await db?.end();
    const wall = (performance.now() - startedAt) / 1000;
    const shares: CpuShares = { server: 0, client: 0, postgres: 0, foreign: 0 };
    for (const [pid, role] of roles) shares[role] += ((last.get(pid) ?? 0) - (first.get(pid) ?? 0)) / wall;
    if (options.client === 'self') {
      const used = process.cpuUsage(self0);
      shares.client += (used.user + used.system) / 1e6 / wall;
    }
    const total = (machineBusySeconds() - machine0) / wall;
    shares.foreign = Math.max(0, total - shares.server - shares.client - shares.postgres);
    if (blocks0 && blocks1) {
      shares.blocksRead = blocks1.read - blocks0.read;
      shares.blocksHit = blocks1.hit - blocks0.hit;
    }
    return shares;
  };
}
