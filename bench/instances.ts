/**
 * One instance, the same behind HAProxy, and three behind HAProxy (deploy/haproxy.cfg), on one PostgreSQL database of
 * its own and a private Redis holding the limits (REDIS_URL in both set-ups, so each side pays
 * the same per-request Redis round trip). Per route, `--seconds` (8) at 50 connections, autocannon
 * from this process; the CPU each part used is reported, since on a 2-core machine the instances,
 * HAProxy, PostgreSQL, Redis and the load generator all share the same two cores.
 *   npm run build && flock -x /work/cpu.lock node dist/bench/instances.js [--seconds=8] [--consultants=50]
 * Prints a Markdown table (bench/RESULTS.md, "Several instances").
 */
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import {
  ADMIN_TOKEN,
  databaseUrl,
  flags,
  fmt,
  freePort,
  LOAD_ENV,
  processCpuSeconds,
  ROOT,
  type ServerProcess,
  startServer,
  watchCpu,
  withClient,
} from './common';

const args = flags();
const SECONDS = Number(args.get('seconds') ?? 8);
const CONSULTANTS = Number(args.get('consultants') ?? 50);
const CONNECTIONS = 50;
const DATABASE = `cc_bench_instances_${process.pid}`;
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** A program of the bench's own (Redis, HAProxy), killed when the bench ends. */
function program(command: string, argv: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: 'ignore' });
  process.once('exit', () => child.kill('SIGKILL'));
  return child;
}

async function json(url: string, method: string, body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Consultants open 06:00–22:00 every day, and one user per consultant. */
async function seed(base: string): Promise<{ consultants: number[]; users: number[] }> {
  const consultants: number[] = [];
  const users: number[] = [];
  for (let i = 0; i < CONSULTANTS; i++) {
    const c = await json(`${base}/consultants`, 'POST', { first_name: 'Bench', last_name: `C${i}` });
    await json(`${base}/consultants/${c.id}/weekly-schedule`, 'PUT', {
      availability: DAYS.map((day) => ({ day, start_time: '06:00', end_time: '22:00' })),
    });
    await json(`${base}/consultants/${c.id}/policy`, 'PUT', { max_client_share_minutes: null });
    consultants.push(c.id);
    users.push((await json(`${base}/users`, 'POST', { first_name: 'Bench', last_name: `U${i}` })).id);
  }
  return { consultants, users };
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  cpu: Record<string, number>;
}

/** One route for SECONDS; the CPU (in cores) of the instances, HAProxy and this process meanwhile. */
async function measure(
  base: string,
  setup: (request: autocannon.Request) => autocannon.Request,
  pids: Record<string, number[]>,
): Promise<Measured> {
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, ps]) => [k, ps.map(processCpuSeconds)]));
  const watching = await watchCpu({ database: DATABASE, client: 'self' });
  const started = performance.now();
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: 10,
    requests: [{ setupRequest: setup }],
  });
  const wall = (performance.now() - started) / 1000;
  const cpu: Record<string, number> = {};
  for (const [k, ps] of Object.entries(pids))
    cpu[k] = ps.reduce((s, pid, i) => s + processCpuSeconds(pid) - cpu0[k][i], 0) / wall;
  const shares = await watching();
  cpu.postgres = shares.postgres;
  cpu.load = shares.client;
  // The machine's other work: what is left once ours is taken out.
  cpu.other = Math.max(0, shares.foreign - Object.keys(pids).reduce((sum, k) => sum + cpu[k], 0));
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    cpu,
  };
}

async function main(): Promise<void> {
  await withClient(databaseUrl('postgres'), (c) => c.query(`CREATE DATABASE ${DATABASE}`));
  const redisPort = await freePort();
  const redis = program('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '']);
  const env = {
    ...LOAD_ENV,
    DATABASE_URL: databaseUrl(DATABASE),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    MICROSERVICE_URL: 'off',
    TRUST_PROXY: 'loopback',
  };
  const servers: ServerProcess[] = [];
  try {
    servers.push(await startServer({ ...env, MIGRATIONS_RUN: 'true' }, { nodeArgs: ['--max-old-space-size=160'] }));
    const data = await seed(servers[0].url);
    let slot = 0;
    const routes: [string, (r: autocannon.Request) => autocannon.Request][] = [
      [
        'POST /bookings (admin for a user, by instants)',
        (r) => {
          const n = slot++;
          const i = n % data.consultants.length;
          const k = Math.floor(n / data.consultants.length);
          const start = Date.UTC(2031, 0, 1) + Math.floor(k / 32) * 86_400_000 + 6 * 3_600_000 + (k % 32) * 1_800_000;
          return {
            ...r,
            method: 'POST',
            path: '/bookings',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              consultant_id: data.consultants[i],
              user_id: data.users[i],
              start: new Date(start).toISOString(),
              end: new Date(start + 1_800_000).toISOString(),
            }),
          };
        },
      ],
      [
        'GET monthly view (one consultant, a month)',
        (r) => ({
          ...r,
          method: 'GET',
          path: `/availabilities/monthly?year=2031&month=1&consultant_id=${data.consultants[slot++ % data.consultants.length]}`,
        }),
      ],
      ['GET /health/live (Node and HAProxy only)', (r) => ({ ...r, method: 'GET', path: '/health/live' })],
    ];

    /** HAProxy (deploy/haproxy.cfg) in front of `targets`: its three server lines, on as many instances. */
    const balance = async (targets: ServerProcess[]) => {
      const [listen, stats] = [await freePort(), await freePort()];
      const haproxy = program('haproxy', ['-f', join(ROOT, 'deploy', 'haproxy.cfg'), '-db'], {
        CC_LISTEN: `127.0.0.1:${listen}`,
        CC_STATS: `127.0.0.1:${stats}`,
        ...Object.fromEntries([0, 1, 2].map((i) => [`CC_INSTANCE_${i + 1}`, targets[i % targets.length].url.slice(7)])),
      });
      for (;;) {
        const csv = await fetch(`http://127.0.0.1:${stats}/stats;csv`).then(
          (r) => r.text(),
          () => '',
        );
        if ((csv.match(/^instances,i\d,(?:[^,]*,){15}UP,/gm) ?? []).length === 3) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      return { haproxy, url: `http://127.0.0.1:${listen}` };
    };
    const run = async (url: string, pids: Record<string, number[]>) => {
      const results: Measured[] = [];
      for (const [, setup] of routes) results.push(await measure(url, setup, pids));
      return results;
    };

    const one = await run(servers[0].url, { instances: [servers[0].pid], redis: [redis.pid!] });
    const oneBehind = await balance(servers);
    const oneLb = await run(oneBehind.url, {
      instances: [servers[0].pid],
      haproxy: [oneBehind.haproxy.pid!],
      redis: [redis.pid!],
    });
    oneBehind.haproxy.kill('SIGTERM');
    for (let i = 0; i < 2; i++) servers.push(await startServer(env, { nodeArgs: ['--max-old-space-size=160'] }));
    const threeBehind = await balance(servers);
    const three = await run(threeBehind.url, {
      instances: servers.map((x) => x.pid),
      haproxy: [threeBehind.haproxy.pid!],
      redis: [redis.pid!],
    });
    threeBehind.haproxy.kill('SIGTERM');

    const cores = (m: Measured) =>
      Object.entries(m.cpu)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ');
    console.log(
      `${CONSULTANTS} consultants open 06:00–22:00 daily, ${CONNECTIONS} connections, ${SECONDS} s per route\n`,
    );
    const cell = (m: Measured) =>
      `${fmt(m.rps)}, ${m.p50} / ${m.p99}${m.non2xx + m.errors ? ` (${m.non2xx} non-2xx, ${m.errors} errors)` : ''}`;
    console.log('req/s, p50 / p99 ms:\n');
    console.log('| route | 1 instance | 1 behind HAProxy | 3 behind HAProxy | 3 ÷ 1 |');
    console.log('|---|---|---|---|---:|');
    routes.forEach(([name], i) =>
      console.log(
        `| ${name} | ${cell(one[i])} | ${cell(oneLb[i])} | ${cell(three[i])} | ${(three[i].rps / one[i].rps).toFixed(2)} |`,
      ),
    );
    console.log('\nCPU in cores (2 in all) during each run; other = work on the machine that is not this bench:\n');
    console.log('| route | 1 instance | 1 behind HAProxy | 3 behind HAProxy |');
    console.log('|---|---|---|---|');
    routes.forEach(([name], i) =>
      console.log(`| ${name} | ${cores(one[i])} | ${cores(oneLb[i])} | ${cores(three[i])} |`),
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    redis.kill('SIGTERM');
    await once(redis, 'exit');
    await withClient(databaseUrl('postgres'), (c) => c.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
