/**
 * `npm run bench:messages`: internal messages against HTTP on the same data. availability.free
 * (one consultant's week, slot_minutes=30) and bookings.create (with an idempotency key, so
 * the HTTP twin sends Idempotency-Key too), each over HTTP and over TCP, NATS, Redis and
 * RabbitMQ: a fresh built server per face and operation, 50 callers in a closed loop (each sends
 * its next call when its last is answered), warm-up then a measured window. The message callers
 * are the typed client, CalendarClient, in this process; the HTTP callers a keep-alive agent.
 *
 * Reported: calls/s, p50/p99, outcomes, and the cores used by the server, the broker, this
 * process, PostgreSQL and everything else. Written to bench/out/messages-*.json and into the
 * generated part of bench/RESULTS.md's internal-messages section. Flags: --duration=10
 * --warmup=3 --callers=50 --faces=http,tcp,nats,redis,rmq --ops=free,create --scale=0.01
 * --regenerate. A face whose broker does not answer is left out with a warning.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CalendarClient, CalendarClientError } from '@consultant-calendar/client';
import {
  BENCH_DIR,
  databaseUrl,
  flags,
  fmt,
  LOAD_ENV,
  processCpuSeconds,
  prng,
  snapshotBuild,
  startServer,
  userToken,
  watchCpu,
} from './common';
import {
  bookingTargets,
  DATA_START,
  type DataSet,
  ensureData,
  removeBenchBookings,
  type Target,
} from './generate-data';

const args = flags();
const DURATION = Number(args.get('duration') ?? 10);
const WARMUP = Number(args.get('warmup') ?? 3);
const CALLERS = Number(args.get('callers') ?? 50);
const SCALE = Number(args.get('scale') ?? 0.01);
const INTERNAL_TOKEN = 'cc_i_bench-internal-token-0123456789abcdef';
const DAY_MS = 86_400_000;

type FaceName = 'http' | 'tcp' | 'nats' | 'redis' | 'rmq';
interface Face {
  name: FaceName;
  title: string;
  /** The broker's port on 127.0.0.1 and its process name, for brokered transports. */
  broker?: { port: number; process: string };
  url?: (port: number, namespace: string) => string;
}

const FACES: Face[] = [
  { name: 'http', title: 'HTTP' },
  { name: 'tcp', title: 'TCP', url: (port) => `tcp://127.0.0.1:${port}` },
  {
    name: 'nats',
    title: 'NATS',
    broker: { port: 4222, process: 'nats-server' },
    url: (_, ns) => `nats://127.0.0.1:4222?namespace=${ns}`,
  },
  {
    name: 'redis',
    title: 'Redis',
    broker: { port: 6379, process: 'redis-server' },
    url: (_, ns) => `redis://127.0.0.1:6379?namespace=${ns}`,
  },
  {
    name: 'rmq',
    title: 'RabbitMQ',
    broker: { port: 5672, process: 'beam.smp' },
    url: (_, ns) => `amqp://guest:guest@127.0.0.1:5672?namespace=${ns}`,
  },
];

type OpName = 'free' | 'create';
const OPS: Record<OpName, string> = {
  free: 'availability.free (7 days, slot_minutes=30)',
  create: 'bookings.create {consultant_id, start, end} + idempotency key',
};

interface Measured {
  op: OpName;
  face: FaceName;
  calls: number;
  perSecond: number;
  p50: number;
  p99: number;
  outcomes: Record<string, number>;
  cores: { server: number; broker: number; client: number; postgres: number; other: number };
}

/** One call of an operation: resolves with its outcome, `ok` or the problem's status and type. */
type Call = (i: number) => Promise<string>;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** `callers` loops, each awaiting its call before the next, for `seconds`; latencies of the calls that started inside. */
async function closedLoop(call: Call, seconds: number, next: () => number) {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < until) {
        const started = performance.now();
        const outcome = await call(next()).catch((error: unknown) => `failed: ${(error as Error).message}`);
        latencies.push(performance.now() - started);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), outcomes };
}

function httpCaller(base: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: CALLERS });
  const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request(`${base}${path}`, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode! < 400) return resolve('ok');
          const problem = JSON.parse(Buffer.concat(chunks).toString()) as { type?: string };
          resolve(`${res.statusCode} ${problem.type}`);
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

const messageOutcome = (error: unknown): string => {
  if (error instanceof CalendarClientError) return `${error.status} ${error.type}`;
  throw error;
};

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.on('connect', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
  });

/** The broker's processes (RabbitMQ is an Erlang VM): their CPU counts as the transport's cost. */
function brokerPids(face: Face): number[] {
  if (!face.broker) return [];
  try {
    return execFileSync('pgrep', ['-x', face.broker.process], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function measure(data: DataSet, face: Face, op: OpName, targets: Target[]): Promise<Measured> {
  await removeBenchBookings(data);
  const tcpPort = 3001 + Math.floor(Math.random() * 20_000);
  const namespace = `bench-${process.pid}`;
  const transportUrl = face.url?.(tcpPort, namespace);
  const server = await startServer(
    {
      ...LOAD_ENV,
      DATABASE_URL: databaseUrl(data.database),
      MICROSERVICE_URL: transportUrl ?? 'off',
      INTERNAL_TOKEN,
    },
    { nodeArgs: ['--max-old-space-size=160'] },
  );
  const random = prng(20300107);
  const pick = (n: number) => Math.floor(random() * n);
  const week = () => {
    const start = new Date(Date.parse(DATA_START) + pick(357) * DAY_MS).toISOString().slice(0, 10);
    return { start, end: new Date(Date.parse(start) + 6 * DAY_MS).toISOString().slice(0, 10) };
  };
  const user = (i: number) => 1 + (i % data.users);
  let call: Call;
  let close: () => Promise<void> | void;
  if (face.name === 'http') {
    const http = httpCaller(server.url);
    close = http.close;
    call =
      op === 'free'
        ? () => {
            const { start, end } = week();
            return http.send(
              'GET',
              `/availabilities/timerange?consultant_id=${1 + pick(data.consultants)}&start=${start}&end=${end}&slot_minutes=30`,
              {},
            );
          }
        : (i) => {
            const t = targets[i];
            return http.send(
              'POST',
              '/bookings',
              {
                authorization: `Bearer ${userToken(user(i))}`,
                'content-type': 'application/json',
                'idempotency-key': randomUUID(),
              },
              JSON.stringify({ consultant_id: t.consultantId, start: t.start, end: t.end }),
            );
          };
  } else {
    const client = new CalendarClient({ url: transportUrl!, token: INTERNAL_TOKEN, timeoutMs: 30_000 });
    close = () => client.onApplicationShutdown();
    call =
      op === 'free'
        ? () =>
            client
              .freeTime({ consultant_id: 1 + pick(data.consultants), ...week(), slot_minutes: 30 })
              .then(() => 'ok', messageOutcome)
        : (i) => {
            const t = targets[i];
            return client
              .createBooking(
                { role: 'user', id: user(i) },
                { consultant_id: t.consultantId, start: t.start, end: t.end },
                randomUUID(),
              )
              .then(() => 'ok', messageOutcome);
          };
  }
  try {
    let i = 0;
    const next = () => {
      if (i >= targets.length) throw new Error('out of booking targets: raise the count');
      return i++;
    };
    if (WARMUP > 0) await closedLoop(call, WARMUP, next);
    const brokers = brokerPids(face);
    const broker0 = brokers.reduce((s, pid) => s + processCpuSeconds(pid), 0);
    const stop = await watchCpu({ database: data.database, server: server.pid, client: 'self' });
    const started = performance.now();
    const { latencies, outcomes } = await closedLoop(call, DURATION, next);
    const wall = (performance.now() - started) / 1000;
    const shares = await stop();
    const broker = (brokers.reduce((s, pid) => s + processCpuSeconds(pid), 0) - broker0) / wall;
    return {
      op,
      face: face.name,
      calls: latencies.length,
      perSecond: latencies.length / wall,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      outcomes,
      cores: {
        server: shares.server,
        broker,
        client: shares.client,
        postgres: shares.postgres,
        // watchCpu counts the broker as foreign: take it out.
        other: Math.max(0, shares.foreign - broker),
      },
    };
  } finally {
    await close();
    await server.stop();
  }
}

function table(results: Measured[]): string {
  const lines = [
    '| operation | face | calls/s | p50 ms | p99 ms | outcomes | server CPU ms per call | cores: server / broker / callers / PostgreSQL / other |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const face = FACES.find((f) => f.name === r.face)!.title;
    const outcomes = Object.entries(r.outcomes)
      .map(([k, v]) => `${fmt(v)} × ${k}`)
      .join(', ');
    const c = r.cores;
    lines.push(
      `| ${OPS[r.op]} | ${face} | ${fmt(r.perSecond)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${outcomes} | ${fmt((1000 * c.server) / r.perSecond, 2)} | ${[c.server, c.broker, c.client, c.postgres, c.other].map((x) => fmt(x, 2)).join(' / ')} |`,
    );
  }
  return lines.join('\n');
}

const MARK_BEGIN = '<!-- BEGIN GENERATED: npm run bench:messages rewrites everything from here to END MESSAGES -->';
const MARK_END = '<!-- END MESSAGES -->';

async function main(): Promise<void> {
  snapshotBuild();
  const wanted = new Set(String(args.get('faces') ?? 'http,tcp,nats,redis,rmq').split(','));
  const ops = String(args.get('ops') ?? 'free,create').split(',') as OpName[];
  const faces: Face[] = [];
  for (const face of FACES.filter((f) => wanted.has(f.name))) {
    if (face.broker && !(await reachable(face.broker.port))) {
      console.warn(`*** ${face.title} left out: nothing answers on 127.0.0.1:${face.broker.port} ***`);
      continue;
    }
    faces.push(face);
  }
  const data = await ensureData(SCALE, args.has('regenerate'));
  const targets = await bookingTargets(data.database, 0, 100_000, data.consultants);
  const results: Measured[] = [];
  const load = loadavg()[0];
  const started = new Date();
  for (const op of ops)
    for (const face of faces) {
      const result = await measure(data, face, op, targets);
      console.log(
        `${op} over ${face.title}: ${fmt(result.perSecond)} calls/s, p50 ${fmt(result.p50, 1)} ms, p99 ${fmt(result.p99, 1)} ms, ${JSON.stringify(result.outcomes)}`,
      );
      results.push(result);
    }
  await removeBenchBookings(data);

  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const summary = [
    MARK_BEGIN,
    '',
    `Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}, on \`${data.database}\` (${fmt(data.consultants)} consultants, ${fmt(data.bookings)} bookings): ${CALLERS} callers in a closed loop, ${WARMUP} s warm-up + ${DURATION} s measured, a fresh server (\`node --max-old-space-size=160 dist/src/main.js\`) per row; machine load average ${load.toFixed(1)} at the start.`,
    '',
    table(results),
    '',
    MARK_END,
  ].join('\n');
  console.log(`\n${table(results)}`);
  mkdirSync(join(BENCH_DIR, 'out'), { recursive: true });
  writeFileSync(
    join(BENCH_DIR, 'out', `messages-${started.toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ started, commit, load, data, results }, null, 2),
  );
  if (args.has('faces') || args.has('ops')) return;
  const file = join(BENCH_DIR, 'RESULTS.md');
  const text = readFileSync(file, 'utf8');
  const from = text.indexOf(MARK_BEGIN);
  const to = text.indexOf(MARK_END);
  if (from < 0 || to < 0) throw new Error(`bench/RESULTS.md lacks the ${MARK_BEGIN} … ${MARK_END} markers`);
  writeFileSync(file, text.slice(0, from) + summary + text.slice(to + MARK_END.length));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
