/**
 * What a refusal costs: the limits tests (test/robustness/limits.spec.ts) assert that each
 * refusal does none of the work asked for (at most the token's lookup in SQL) and stores nothing;
 * the time each takes is measured here instead, with the views it guards beside them. The app
 * runs in this process on an in-memory embedded database, as the tests run it, and each request
 * goes through Fastify's inject (the whole pipeline, no sockets). Prints the median and the
 * slowest of `--rounds` (default 20) after two warm-up requests.
 * `nest build && node dist/bench/refusal-cost.js`.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrap } from '../src/main';

const rounds = Number(/--rounds=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 20);
const ADMIN_TOKEN = 'cc_a_bench-admin-token-0123456789';

Object.assign(process.env, {
  ADMIN_TOKEN,
  DATA_DIR: 'memory://',
  LOG_LEVEL: 'silent',
  MICROSERVICE_URL: 'off',
  EVENTS_RELAY: 'false',
  RATE_LIMIT_PER_MINUTE: '100000000',
  SIGNUPS_PER_IP_PER_HOUR: '100000000',
  FAILED_AUTH_PER_IP_PER_MINUTE: '100000000',
  BOOKINGS_PER_IP_PER_HOUR: '100000000',
});
delete process.env.DATABASE_URL;

interface Case {
  what: string;
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  token?: string;
  payload?: string;
}

async function main(): Promise<void> {
  const app: NestFastifyApplication = await bootstrap();
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  const send = async (c: Omit<Case, 'what'>) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (c.token) headers.authorization = `Bearer ${c.token}`;
    return fastify.inject({ method: c.method, url: c.url, headers, payload: c.payload });
  };
  const made = await send({
    method: 'POST',
    url: '/consultants',
    token: ADMIN_TOKEN,
    payload: '{"first_name":"Bench","last_name":"Limits"}',
  });
  const consultant = JSON.parse(made.body) as { id: number; api_token: string };
  const allDay = Array.from({ length: 7 }, (_, d) => ({ day_of_week: d, start_time: '00:00', end_time: '23:59' }));
  await send({
    method: 'PUT',
    url: `/consultants/${consultant.id}/weekly-schedule`,
    token: consultant.api_token,
    payload: JSON.stringify({ availability: allDay }),
  });
  const view = `/availabilities/timerange?consultant_id=${consultant.id}`;
  const window = (i: number) => ({
    day_of_week: i % 7,
    start_time: `${String(Math.floor(i / 7) % 24).padStart(2, '0')}:00`,
    end_time: `${String(Math.floor(i / 7) % 24).padStart(2, '0')}:30`,
  });
  const cases: Case[] = [
    { what: 'a 100-year time-range view', method: 'GET', url: `${view}&start=2000-01-01&end=2099-12-31` },
    { what: 'limit=1000000000 on a list', method: 'GET', url: '/consultants?limit=1000000000' },
    {
      what: 'a 10 MB body',
      method: 'POST',
      url: '/users',
      payload: JSON.stringify({ first_name: 'x'.repeat(10 * 1024 * 1024) }),
    },
    {
      what: 'JSON nested 10,000 deep',
      method: 'POST',
      url: '/users',
      payload: '['.repeat(10_000) + ']'.repeat(10_000),
    },
    {
      what: 'an object of 10,000 keys',
      method: 'POST',
      url: '/users',
      payload: JSON.stringify(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 0]))),
    },
    {
      what: 'a 100,000-character string',
      method: 'POST',
      url: '/users',
      payload: JSON.stringify({ first_name: 'x'.repeat(100_000) }),
    },
    {
      what: 'a schedule of 1,500 entries',
      method: 'PUT',
      url: `/consultants/${consultant.id}/weekly-schedule`,
      token: consultant.api_token,
      payload: JSON.stringify({ availability: Array.from({ length: 1_500 }, (_, i) => window(i)) }),
    },
    { what: 'a made-up token', method: 'GET', url: '/consultants', token: 'cc_u_made-up-token' },
    {
      what: 'a lifetime range on a paginated list (200)',
      method: 'GET',
      url: '/bookings?from=1970-01-01&to=9998-12-31',
      token: ADMIN_TOKEN,
    },
    {
      what: 'the largest view allowed, 4,879 slots (200)',
      method: 'GET',
      url: `${view}&start=2031-01-01&end=2031-01-17&slot_minutes=5`,
    },
    {
      what: 'a view over the slot ceiling, 92 days in 5 minutes (400)',
      method: 'GET',
      url: `${view}&start=2031-01-01&end=2031-04-02&slot_minutes=5`,
    },
  ];
  console.log(`| request | status | median | slowest of ${rounds} |`);
  console.log('|---|---|---|---|');
  for (const c of cases) {
    let status = 0;
    const times: number[] = [];
    for (let i = 0; i < rounds + 2; i++) {
      const began = performance.now();
      status = (await send(c)).statusCode;
      if (i >= 2) times.push(performance.now() - began);
    }
    times.sort((a, b) => a - b);
    console.log(
      `| ${c.what} | ${status} | ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms | ${times.at(-1)!.toFixed(1)} ms |`,
    );
  }
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
