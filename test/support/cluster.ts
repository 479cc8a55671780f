import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServerDatabase, serverUrl } from './test-app';
import { eventually } from './eventually';
import { exitHook, freePort, warnSkipping } from './postgres-server';
import { Api, killService, removeTempDir, startService, tempDir } from './service';
import type { ServerProcess } from './server-process';

/**
 * Several instances of the built service behind a real HAProxy (deploy/haproxy.cfg, as
 * deploy/loopback.sh runs it), sharing a private Redis and one database on the machine's
 * PostgreSQL (DATABASE_URL): what the deploy suite (test/deploy/) starts.
 */

const HAPROXY_CONFIG = join(__dirname, '..', '..', 'deploy', 'haproxy.cfg');

/** Why the deploy suite must be skipped (warned about loudly), or undefined: a program or the server is missing. */
export function skipWithoutCluster(
  suite: string,
  programs: string[] = ['haproxy', 'redis-server'],
): string | undefined {
  const missing = programs.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  const reason = missing.length
    ? `${missing.join(', ')} not installed (apt-get install haproxy redis-server prometheus)`
    : !serverUrl
      ? 'DATABASE_URL is not set: several instances need one PostgreSQL server'
      : undefined;
  if (reason) warnSkipping(suite, reason);
  return reason;
}

/** Programs (HAProxy, Redis, Prometheus) still running when the test process exits are killed. */
const daemons = new Set<ChildProcess>();
const updateExitHook = exitHook(
  () => {
    for (const d of daemons) d.kill('SIGKILL');
  },
  () => daemons.size > 0,
);

export interface Daemon {
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A program in the foreground, as a child of the test, until stop(). */
export function daemon(command: string, args: string[], env: Record<string, string> = {}): Daemon {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  daemons.add(child);
  updateExitHook();
  child.once('exit', () => {
    daemons.delete(child);
    updateExitHook();
  });
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
}

export interface PrivateRedis extends Daemon {
  port: number;
  url: string;
  /** Starts it again on the same port (after stop()). */
  restart(): Promise<PrivateRedis>;
}

/** A redis-server of the test's own on a free loopback port, keeping nothing on disk. */
export async function startRedis(port?: number): Promise<PrivateRedis> {
  port ??= await freePort();
  const d = daemon('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await eventually(`redis-server on ${port}`, () =>
    /Ready to accept connections/.test(d.output()) ? true : undefined,
  );
  return { ...d, port, url: `redis://127.0.0.1:${port}`, restart: () => startRedis(port) };
}

export interface Instance {
  name: string;
  server: ServerProcess & { port: number };
  metricsPort: number;
  api: Api;
}

export interface Cluster {
  /** Through HAProxy. */
  api: Api;
  instances: Instance[];
  redis: PrivateRedis;
  haproxy: Daemon;
  dbUrl: string;
  /** HAProxy's view of each instance (i1…): UP, DOWN, or a transition such as "UP 1/2". */
  states(): Promise<Record<string, string>>;
  /** Waits until HAProxy has every instance (or the named ones) UP. */
  allUp(names?: string[]): Promise<void>;
  /** SIGTERM (it drains), wait for its exit, start it again on its port, and wait until HAProxy has it back. */
  restart(instance: Instance): Promise<void>;
  /** Starts an instance again after it was killed, on its port. */
  revive(instance: Instance): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `n` instances (the first migrates, the others start once it is ready), HAProxy in front with
 * deploy/haproxy.cfg, and a private Redis for their limits; each instance trusts loopback's
 * X-Forwarded-For (TRUST_PROXY=loopback), drains for SHUTDOWN_DRAIN_MS and serves metrics.
 */
export async function startCluster(env: Record<string, string> = {}, n = 3): Promise<Cluster> {
  const redis = await startRedis();
  const db = await createServerDatabase();
  const common = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    TRUST_PROXY: 'loopback',
    SHUTDOWN_DRAIN_MS: '1500',
    ...env,
  };
  const instances: Instance[] = [];
  const envOf = (i: number, metricsPort: number) => ({
    ...common,
    METRICS_PORT: String(metricsPort),
    MIGRATIONS_RUN: i === 0 ? 'true' : 'false',
  });
  for (let i = 0; i < n; i++) {
    const metricsPort = await freePort();
    const server = await startService(envOf(i, metricsPort));
    instances.push({ name: `i${i + 1}`, server, metricsPort, api: new Api(server.url) });
  }
  const [listen, stats] = [await freePort(), await freePort()];
  const haproxy = daemon('haproxy', ['-f', HAPROXY_CONFIG, '-db'], {
    CC_LISTEN: `127.0.0.1:${listen}`,
    CC_STATS: `127.0.0.1:${stats}`,
    ...Object.fromEntries(instances.map((x, i) => [`CC_INSTANCE_${i + 1}`, `127.0.0.1:${x.server.port}`])),
  });

  const states = async (): Promise<Record<string, string>> => {
    const csv = await (await fetch(`http://127.0.0.1:${stats}/stats;csv`)).text();
    const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
    const columns = header.split(',');
    const [px, sv, status] = ['pxname', 'svname', 'status'].map((c) => columns.indexOf(c));
    return Object.fromEntries(
      rows
        .map((r) => r.split(','))
        .filter((r) => r[px] === 'instances' && /^i\d+$/.test(r[sv]))
        .map((r) => [r[sv], r[status]]),
    );
  };
  const allUp = (names = instances.map((x) => x.name)) =>
    eventually(
      `HAProxy to have ${names.join(', ')} UP`,
      async () => {
        const s = await states();
        if (names.every((name) => s[name] === 'UP')) return true;
        throw new Error(`HAProxy sees ${JSON.stringify(s)}`);
      },
      120_000,
    ).then(() => undefined);
  const revive = async (instance: Instance) => {
    const i = instances.indexOf(instance);
    instance.server = await startService(envOf(i, instance.metricsPort), instance.server.port);
    await allUp([instance.name]);
  };

  const cluster: Cluster = {
    api: new Api(`http://127.0.0.1:${listen}`),
    instances,
    redis,
    haproxy,
    dbUrl: db.url,
    states,
    allUp,
    async restart(instance) {
      await instance.server.stop('SIGTERM');
      await revive(instance);
    },
    revive,
    async stop() {
      await haproxy.stop();
      await Promise.all(instances.map((x) => killService(x.server)));
      await cluster.redis.stop();
      await db.drop();
    },
  };
  try {
    await allUp();
  } catch (error) {
    const outputs = [`haproxy: ${haproxy.output()}`, ...instances.map((x) => `${x.name}: ${x.server.output()}`)];
    await cluster.stop();
    throw new Error(`${String(error)}\n${outputs.join('\n')}`, { cause: error });
  }
  return cluster;
}

export interface Prometheus extends Daemon {
  /** One instant query through Prometheus' HTTP API: the result vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

/** A real Prometheus on loopback scraping `targets` (host:port) every second, with a config and storage of its own. */
export async function startPrometheus(targets: string[]): Promise<Prometheus> {
  const dir = tempDir('cc-prometheus-');
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: consultant-calendar',
      `    static_configs: [{ targets: ${JSON.stringify(targets)} }]`,
    ].join('\n'),
  );
  const d = daemon('prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  const base = `http://127.0.0.1:${port}`;
  await eventually(
    'Prometheus to be ready',
    async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined),
    60_000,
  );
  return {
    ...d,
    async stop() {
      await d.stop();
      removeTempDir(dir);
    },
    async query(promql) {
      const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; data: { result: any[] } };
      if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
      return body.data.result;
    },
  };
}
