/**
 * `npm run bench:webhooks`: whether one slow or dead webhook receiver delays the other
 * consultants' deliveries (issue 22, finding 4).
 *
 * `--consultants` (8) consultants, each with one webhook subscription (`booking.created`) to its
 * own HTTP receiver on loopback, all served by one thread of this process apart from the load.
 * Bookings are paced evenly (`--rate` per second, 20, for `--duration` s, 20), round robin over
 * the consultants, after a warm-up of `--warm-up` s whose webhooks are left out. Three
 * scenarios, each on a fresh database and a freshly started service (`npm start`'s heap cap,
 * default webhook settings, WEBHOOK_TIMEOUT_MS 5000): every receiver answers at once; the first
 * consultant's answers after 5 s; the first consultant's never answers. A delay is the
 * receiver's clock at arrival minus the event's `occurred_at` (its transaction's start, so the
 * booking's own statements count too); the other consultants' delays give p50, p99 and max.
 *
 * PostgreSQL at BENCH_PG_URL (database `webhook_isolation_bench`, dropped at the end). Prints a
 * Markdown table for bench/RESULTS.md.
 */
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ADMIN_TOKEN, LOAD_ENV, databaseUrl, flags, fmt, sleep, startServer, withClient } from './common';

const args = flags();
const CONSULTANTS = Number(args.get('consultants') ?? 8);
const RATE = Number(args.get('rate') ?? 20);
const DURATION = Number(args.get('duration') ?? 20);
const WARM_UP = Number(args.get('warm-up') ?? 3);
/** Enough users that no one's client share (240 minutes of a consultant by default) runs out. */
const USERS = 40;
const DATABASE = 'webhook_isolation_bench';
const SLOW_ANSWER_MS = 5_000;
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

type Behaviour = 'prompt' | 'slow' | 'never';

/**
 * One HTTP server per consultant, on a thread of its own: a prompt receiver answers 204 at once,
 * a slow one after SLOW_ANSWER_MS, one that never answers only reads. Each keeps
 * [occurred_at, delay] per webhook.
 */
const RECEIVER_THREAD = `
  const { createServer } = require('node:http');
  const { parentPort, workerData } = require('node:worker_threads');
  const arrivals = workerData.map(() => []);
  const servers = workerData.map((behaviour, i) => createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c.toString()));
    req.on('end', () => {
      const occurred = Date.parse(JSON.parse(body).occurred_at);
      arrivals[i].push([occurred, Date.now() - occurred]);
      if (behaviour === 'prompt') res.writeHead(204).end();
      else if (behaviour === 'slow') setTimeout(() => res.writeHead(204).end(), ${SLOW_ANSWER_MS});
    });
  }));
  Promise.all(servers.map((s) => new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s.address().port)))))
    .then((ports) => parentPort.postMessage(ports));
  parentPort.on('message', (m) => {
    if (m === 'arrivals') return parentPort.postMessage(arrivals);
    for (const s of servers) { s.closeAllConnections(); s.close(); }
  });
`;

interface Receivers {
  urls: string[];
  /** Per consultant: [occurred_at, delay ms] of each webhook received so far. */
  arrivals(): Promise<[number, number][][]>;
  close(): Promise<number>;
}

async function startReceivers(behaviours: Behaviour[]): Promise<Receivers> {
  const worker = new Worker(RECEIVER_THREAD, { eval: true, workerData: behaviours });
  const ports = await new Promise<number[]>((resolve) => worker.once('message', resolve));
  return {
    urls: ports.map((port, i) => `http://127.0.0.1:${port}/consultant-${i + 1}`),
    arrivals() {
      worker.postMessage('arrivals');
      return new Promise((resolve) => worker.once('message', resolve));
    },
    close: () => worker.terminate(),
  };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function post<T>(url: string, token: string, body: unknown, method = 'POST'): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface Outcome {
  scenario: string;
  created: number;
  refused: number;
  /** The other consultants' webhooks of the measured bookings, and how many of those were booked. */
  delays: number[];
  expected: number;
  /** The requests the first consultant's receiver got, warm-up included (an attempt each). */
  firstReceived: number;
}

async function scenario(name: string, first: Behaviour): Promise<Outcome> {
  await withClient(databaseUrl('postgres'), async (db) => {
    await db.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await db.query(`CREATE DATABASE ${DATABASE}`);
  });
  const behaviours: Behaviour[] = Array.from({ length: CONSULTANTS }, (_, i) => (i === 0 ? first : 'prompt'));
  const receivers = await startReceivers(behaviours);
  const server = await startServer(
    {
      ...LOAD_ENV,
      MIGRATIONS_RUN: 'true',
      DATABASE_URL: databaseUrl(DATABASE),
      MICROSERVICE_URL: 'off',
      EVENTS_RELAY: 'true',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    },
    { nodeArgs: ['--max-old-space-size=160'] },
  );
  try {
    const consultants: { id: number; token: string }[] = [];
    for (const url of receivers.urls) {
      const c = await post<{ id: number; api_token: string }>(`${server.url}/consultants`, ADMIN_TOKEN, {
        first_name: 'Webhook',
        last_name: 'Bench',
        timezone: 'UTC',
      });
      await post(
        `${server.url}/consultants/${c.id}/weekly-schedule`,
        ADMIN_TOKEN,
        {
          availability: DAYS.map((day) => ({ day, start_time: '00:00', end_time: '23:30' })),
        },
        'PUT',
      );
      await post(`${server.url}/webhooks`, c.api_token, { url, event_types: ['booking.created'] });
      consultants.push({ id: c.id, token: c.api_token });
    }
    const users: string[] = [];
    for (let u = 0; u < USERS; u++)
      users.push(
        (await post<{ api_token: string }>(`${server.url}/users`, '', { first_name: 'U', last_name: `${u}` }))
          .api_token,
      );

    // Booking n: consultant n mod C, its (n div C)-th half hour from tomorrow on, by a user in turn.
    const tomorrow = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1);
    const counts = { created: 0, refused: 0, others: 0 };
    const book = async (n: number) => {
      const c = consultants[n % CONSULTANTS];
      const k = Math.floor(n / CONSULTANTS);
      // 47 half hours a day (00:00–23:30): skip the last, which the window does not hold.
      const start = tomorrow + Math.floor(k / 47) * 86_400_000 + (k % 47) * 1_800_000;
      const res = await fetch(`${server.url}/bookings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${users[k % USERS]}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          consultant_id: c.id,
          start: new Date(start).toISOString(),
          end: new Date(start + 1_800_000).toISOString(),
        }),
      });
      await res.arrayBuffer();
      if (res.status === 201) return true;
      if (counts.refused++ === 0) console.error(`booking ${n}: ${res.status}`);
      return false;
    };
    /** `seconds` of bookings, one every 1/RATE s, from booking `from`; how many were sent. */
    const paced = async (from: number, seconds: number) => {
      const started = performance.now();
      const inFlight = new Set<Promise<void>>();
      const total = RATE * seconds;
      for (let i = 0; i < total; i++) {
        const wait = started + (i * 1000) / RATE - performance.now();
        if (wait >= 1) await sleep(wait);
        const p: Promise<void> = book(from + i)
          .then((ok) => {
            if (!ok || from === 0) return;
            counts.created++;
            // Every CONSULTANTS-th booking is the first consultant's.
            if ((from + i) % CONSULTANTS !== 0) counts.others++;
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
      return total;
    };
    const warmUp = await paced(0, WARM_UP);
    // The warm-up's webhooks are left out: only events that began after it count.
    const measuredFrom = Date.now();
    await paced(warmUp, DURATION);
    const expected = counts.others;
    const othersOf = async () =>
      (await receivers.arrivals())
        .slice(1)
        .flat()
        .filter(([at]) => at >= measuredFrom);
    const deadline = Date.now() + 60_000;
    while ((await othersOf()).length < expected && Date.now() < deadline) await sleep(200);
    const arrivals = await receivers.arrivals();
    return {
      scenario: name,
      created: counts.created,
      refused: counts.refused,
      delays: (await othersOf()).map(([, delay]) => delay).sort((a, b) => a - b),
      expected,
      firstReceived: arrivals[0].length,
    };
  } finally {
    await server.stop();
    await receivers.close();
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const outcomes: Outcome[] = [];
  try {
    outcomes.push(await scenario('every receiver answers at once (baseline)', 'prompt'));
    outcomes.push(await scenario(`consultant 1's receiver answers after ${SLOW_ANSWER_MS / 1000} s`, 'slow'));
    outcomes.push(await scenario("consultant 1's receiver never answers", 'never'));
  } finally {
    await withClient(databaseUrl('postgres'), (db) => db.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
  }
  console.log(
    [
      `Run ${started.toISOString()}, \`node dist/bench/webhook-isolation.js --consultants=${CONSULTANTS} --rate=${RATE} --duration=${DURATION} --warm-up=${WARM_UP}\`; ` +
        `machine: ${cpus().length} × ${cpus()[0]?.model}, load average at the end ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}.`,
      '',
      `| scenario | bookings made (refused) | others' webhooks received / booked | others' delay p50 | p99 | max | requests to consultant 1's receiver |`,
      '|---|---:|---:|---:|---:|---:|---:|',
      ...outcomes.map(
        (o) =>
          `| ${o.scenario} | ${fmt(o.created)} (${fmt(o.refused)}) | ${fmt(o.delays.length)} / ${fmt(o.expected)} | ${fmt(percentile(o.delays, 50))} ms | ${fmt(percentile(o.delays, 99))} ms | ${fmt(o.delays.at(-1) ?? NaN)} ms | ${fmt(o.firstReceived)} |`,
      ),
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
