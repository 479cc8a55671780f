/**
 * `npm run bench:events`: what the outbox and webhooks cost and how fast events arrive.
 *
 *  1. Lag: bookings at a fixed rate (`--rate=500` per second, `--duration=10` s), after a
 *     warm-up whose webhooks are not counted, against the service with the relay on and every
 *     consultant subscribed (one subscription each) to a local receiver; lag = the receiver's
 *     clock when the webhook arrived − the event's `occurred_at` (its transaction's start, so it
 *     also counts the booking's own statements).
 *  2. Throughput: bookings as fast as 50 connections go, for `--duration`, three ways: this
 *     code with the relay and the subscriptions on; this code with `EVENTS_RELAY=false` and no
 *     subscription (the outbox row is still written); and, with `--base=DIR`, the service built
 *     from the code before the outbox (`dist/src/main.js` under DIR), on the same data. Each way
 *     runs `--repeat` times (3), the ways taking turns and their order turning each round, so
 *     that the machine's drift falls on all alike, each after a warm-up of other bookings; the
 *     medians are compared.
 *
 * Data: its own database (`outbox_bench`, the generator's 1/100 set: 100 consultants), dropped
 * at the end. Prints a Markdown block for bench/RESULTS.md.
 */
import autocannon from 'autocannon';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  ADMIN_TOKEN,
  consultantToken,
  databaseUrl,
  flags,
  fmt,
  LOAD_ENV,
  sleep,
  startServer,
  userToken,
  watchCpu,
  withClient,
} from './common';
import { bookingTargets, generateData, type Target } from './generate-data';

const args = flags();
const RATE = Number(args.get('rate') ?? 500);
const DURATION = Number(args.get('duration') ?? 10);
const REPEAT = Number(args.get('repeat') ?? 3);
/** Bookings (of other half hours) before each throughput run, so that no way is measured cold. */
const WARM_UP_SECONDS = 3;
const CONNECTIONS = 50;
const MAX_IN_FLIGHT = CONNECTIONS;
const DATABASE = 'outbox_bench';

interface Receiver {
  url: string;
  /** Commit-to-arrival lags of every webhook so far, in ms. */
  lags: () => Promise<number[]>;
  count: () => number;
  close: () => Promise<number>;
}

/**
 * The webhook receiver, on a thread of its own: in the load generator's thread, answering
 * hundreds of webhooks a second slowed autocannon itself, which counted as the service's cost.
 */
const RECEIVER_THREAD = `
  const { createServer } = require('node:http');
  const { parentPort, workerData } = require('node:worker_threads');
  const count = new Int32Array(workerData);
  const lags = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c.toString()));
    req.on('end', () => {
      lags.push(Date.now() - Date.parse(JSON.parse(body).occurred_at));
      Atomics.add(count, 0, 1);
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
  parentPort.on('message', (m) => (m === 'lags' ? parentPort.postMessage(lags) : server.close()));
`;

async function startReceiver(): Promise<Receiver> {
  const count = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(RECEIVER_THREAD, { eval: true, workerData: count.buffer });
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  return {
    url: `http://127.0.0.1:${port}/hook`,
    lags: () => {
      worker.postMessage('lags');
      return new Promise<number[]>((resolve) => worker.once('message', resolve));
    },
    count: () => Atomics.load(count, 0),
    close: () => worker.terminate(),
  };
}

const signedPercent = (value: number, reference: number): string => {
  const change = (100 * (value - reference)) / reference;
  return `${change < 0 ? '−' : '+'}${fmt(Math.abs(change), 1)} %`;
};

/** The receiver's count once no webhook has come for half a second. */
async function settled(receiver: Receiver): Promise<number> {
  let count = -1;
  while (count !== receiver.count()) {
    count = receiver.count();
    await sleep(500);
  }
  return count;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** The booking request for the i-th target, by the user whose turn it is. */
function bookingRequest(targets: Target[], i: number, users: number) {
  const t = targets[i % targets.length];
  return {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${userToken(1 + (i % users))}` },
    body: JSON.stringify({ consultant_id: t.consultantId, start: t.start, end: t.end }),
  };
}

/** Bookings as fast as CONNECTIONS connections go. */
function load(url: string, targets: Target[], from: number, users: number, duration = DURATION) {
  let i = from;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    timeout: 10,
    requests: [
      {
        setupRequest: (request) => {
          request.method = 'POST';
          request.path = '/bookings';
          Object.assign(request, bookingRequest(targets, i++, users));
          return request;
        },
      },
    ],
  });
}

/**
 * Bookings at an even pace, one every 1/rate s, for DURATION (autocannon's `overallRate` sends
 * each connection's share of a second in a burst at the second's start, which measured bursts).
 * At most MAX_IN_FLIGHT wait for an answer at once; beyond that the pace slips, and the rate
 * answered says so.
 */
async function paced(url: string, targets: Target[], from: number, users: number, rate: number) {
  const latencies: number[] = [];
  let created = 0;
  let other = 0;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  for (let n = 0; n < rate * DURATION; n++) {
    const wait = started + (n * 1000) / rate - performance.now();
    if (wait >= 1) await sleep(wait);
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    const sent = performance.now();
    const request: Promise<void> = fetch(`${url}/bookings`, {
      method: 'POST',
      ...bookingRequest(targets, from + n, users),
    })
      .then(
        async (res) => {
          await res.arrayBuffer();
          if (res.status === 201) created++;
          else other++;
          latencies.push(performance.now() - sent);
        },
        () => void other++,
      )
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  return {
    created,
    other,
    answered: (created + other) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function subscribeAll(url: string, consultants: number, target: string): Promise<void> {
  for (let id = 1; id <= consultants; id++) {
    const res = await fetch(`${url}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${consultantToken(id)}` },
      body: JSON.stringify({ url: target, event_types: ['booking.created'] }),
    });
    if (res.status !== 201) throw new Error(`subscribe ${id}: ${res.status} ${await res.text()}`);
  }
}

const resetBookings = (maxBookingId: number) =>
  withClient(databaseUrl(DATABASE), async (db) => {
    await db.query('DELETE FROM bookings WHERE id > $1', [maxBookingId]);
    await db.query('TRUNCATE outbox_events, outbox_sequences, webhook_deliveries, webhook_subscriptions CASCADE');
    await db.query('VACUUM (ANALYZE)');
  });

async function main(): Promise<void> {
  const started = new Date();
  const data = await generateData(0.01, DATABASE, () => undefined);
  const targets = await bookingTargets(DATABASE, 0, 3 * 20 * 1000, data.consultants);
  const env = { ...LOAD_ENV, ADMIN_TOKEN, DATABASE_URL: databaseUrl(DATABASE), WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' };
  const nodeArgs = ['--max-old-space-size=160'];
  const lines: string[] = [];
  const receiver = await startReceiver();
  try {
    // 1. Lag at a fixed rate, after a warm-up whose webhooks are left out.
    await resetBookings(data.maxBookingId);
    let server = await startServer({ ...env, EVENTS_RELAY: 'true' }, { nodeArgs });
    await subscribeAll(server.url, data.consultants, receiver.url);
    await load(server.url, targets, 40_000, data.users, WARM_UP_SECONDS);
    const warmedUp = await settled(receiver);
    const steady = await paced(server.url, targets, 0, data.users, RATE);
    const deadline = Date.now() + 60_000;
    while (receiver.count() - warmedUp < steady.created && Date.now() < deadline) await sleep(100);
    await server.stop();
    const lags = (await receiver.lags()).slice(warmedUp);
    const lag = { p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags) };
    lines.push(
      `| lag at ${RATE} bookings/s, evenly paced | ${fmt(steady.answered)} req/s answered, ${fmt(steady.created)} created, ${fmt(steady.other)} other, ${fmt(lags.length)} webhooks received | commit→receiver p50 ${lag.p50} ms, p99 ${lag.p99} ms, max ${lag.max} ms | booking p50 ${fmt(steady.p50)} ms, p99 ${fmt(steady.p99)} ms |`,
    );

    // 2. Throughput, each way on the same data and targets, in turns.
    const ways: [string, Record<string, string>, string | undefined, boolean][] = [
      ['outbox + relay + webhook per consultant', { EVENTS_RELAY: 'true' }, undefined, true],
      ['outbox written, relay off, no subscription', { EVENTS_RELAY: 'false' }, undefined, false],
    ];
    const base = args.get('base');
    if (typeof base === 'string')
      ways.push(['before the outbox (base build)', {}, join(base, 'dist', 'src', 'main.js'), false]);
    const rates = ways.map(() => [] as number[]);
    for (let round = 0; round < REPEAT; round++) {
      const order = ways.map((_, i) => i);
      if (round % 2) order.reverse();
      for (const i of order) {
        const [name, extra, script, subscribe] = ways[i];
        await resetBookings(data.maxBookingId);
        server = await startServer(
          { ...env, ...extra },
          { nodeArgs, script, cwd: script ? (base as string) : undefined },
        );
        if (subscribe) await subscribeAll(server.url, data.consultants, receiver.url);
        await load(server.url, targets, 40_000, data.users, WARM_UP_SECONDS);
        const watchStarted = performance.now();
        const stopWatch = await watchCpu({ database: DATABASE, server: server.pid, client: 'self' });
        const result = await load(server.url, targets, 20_000, data.users);
        const cpu = await stopWatch();
        // CPU milliseconds per booking: a figure the machine's speed swings (disk, neighbours) move less than req/s.
        const perBooking = (cores: number) => fmt((cores * (performance.now() - watchStarted)) / result['2xx'], 2);
        await server.stop();
        rates[i].push(result.requests.average);
        lines.push(
          `| throughput ${round + 1}/${REPEAT}: ${name} | ${fmt(result.requests.average)} req/s, ${fmt(result['2xx'])} × 2xx, ${fmt(result.non2xx)} other, ${fmt(result.errors)} errors | CPU ms per booking: service ${perBooking(cpu.server)}, PostgreSQL ${perBooking(cpu.postgres)}, bench and receiver ${perBooking(cpu.client)} | booking p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms |`,
        );
      }
    }
    const medians = rates.map((r) => percentile(r, 50));
    for (const [i, [name]] of ways.entries())
      lines.push(
        `| **median: ${name}** | **${fmt(medians[i])} req/s**${i ? ` (relay + webhooks against it: ${signedPercent(medians[0], medians[i])})` : ''} | | |`,
      );
  } finally {
    await receiver.close();
    await withClient(databaseUrl('postgres'), (db) => db.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
  }
  console.log(
    [
      `Run ${started.toISOString()}, \`node dist/bench/events.js --rate=${RATE} --duration=${DURATION} --repeat=${REPEAT}${args.has('base') ? ' --base=…' : ''}\`; ` +
        `data: ${data.consultants} consultants, ${fmt(data.bookings)} bookings (generator 1/100); ` +
        `machine: ${cpus().length} × ${cpus()[0]?.model}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, load average at the end ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}; ` +
        `${CONNECTIONS} connections, ${DURATION} s per run, each on a freshly started server after ${WARM_UP_SECONDS} s of other bookings.`,
      '',
      '| run | load | events | bookings |',
      '|---|---|---|---|',
      ...lines,
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
