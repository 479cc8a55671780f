/**
 * Preloaded into the service (`node -r dist/bench/what-if.js dist/src/main.js`) to measure a
 * proposed fix before anyone writes it into src/: BENCH_WHATIF is a comma list of
 *
 *   limiter  the rate limiter's storage as a fixed window per client: O(1) per request instead
 *            of @nestjs/throttler's list of one expiry per hit, filtered on every request;
 *   sql      the bookings overlap lookups of the calendar views and of the booking check
 *            written as a range on the (consultant_id, start_at) B-tree, which a booking's
 *            24-hour maximum makes exact, instead of `during &&` on the GiST exclusion index.
 *
 * Nothing here is used outside the bench's what-if runs.
 */
import { ThrottlerStorageService } from '@nestjs/throttler';
import { Client } from 'pg';

const wanted = new Set((process.env.BENCH_WHATIF ?? '').split(',').filter(Boolean));

if (wanted.has('limiter')) {
  interface Window {
    hits: number;
    resetAt: number;
    blockedUntil: number;
  }
  const windows = new Map<string, Window>();
  setInterval(() => {
    const now = Date.now();
    for (const [key, w] of windows) if (w.resetAt <= now && w.blockedUntil <= now) windows.delete(key);
  }, 60_000).unref();
  const prototype = ThrottlerStorageService.prototype as unknown as { increment: (...args: unknown[]) => Promise<unknown> };
  prototype.increment = async function (key: unknown, ttl: unknown, limit: unknown, blockDuration: unknown, throttlerName: unknown) {
    const now = Date.now();
    const id = `${String(throttlerName)}\u0000${String(key)}`;
    let w = windows.get(id);
    if (!w || w.resetAt <= now) {
      w = { hits: 0, resetAt: now + Number(ttl), blockedUntil: w?.blockedUntil ?? 0 };
      windows.set(id, w);
    }
    if (w.blockedUntil <= now) {
      w.hits++;
      if (w.hits > Number(limit)) w.blockedUntil = now + Number(blockDuration);
    }
    const isBlocked = w.blockedUntil > now;
    return {
      totalHits: w.hits,
      timeToExpire: Math.ceil((w.resetAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((w.blockedUntil - now) / 1000) : 0,
    };
  };
}

const space = String.raw`\s+`;
/** The rewrites of the `sql` what-if; run.ts also applies them to the pgbench scripts. */
export const SQL_REWRITES: [RegExp, string][] = [
  // CalendarRepository.schedules: the bookings of each (consultant, range), a day's margin each side.
  [
    new RegExp(String.raw`b\.during${space}&&${space}tstzrange\(w\.range_start - interval '1 day',${space}w\.range_end \+ interval '1 day'\)`),
    `b.start_at < w.range_end + interval '1 day' AND b.start_at > w.range_start - interval '2 days' AND b.end_at > w.range_start - interval '1 day'`,
  ],
  // BookingsService.accept: is the time taken?
  [
    new RegExp(String.raw`status = 'confirmed' AND during && tstzrange\(\$2, \$3\) AND id <> \$4`),
    `status = 'confirmed' AND start_at < $3 AND start_at > $2::timestamptz - interval '24 hours' AND end_at > $2 AND id <> $4`,
  ],
];

/** The statement with every rewrite that matches applied, and which ones did. */
export function rewriteSql(text: string): { text: string; applied: number[] } {
  const applied: number[] = [];
  SQL_REWRITES.forEach(([pattern, replacement], i) => {
    if (!pattern.test(text)) return;
    text = text.replace(pattern, replacement);
    applied.push(i);
  });
  return { text, applied };
}

if (wanted.has('sql')) {
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const used = new Set<number>();
  prototype.query = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] === 'string') {
      const { text, applied } = rewriteSql(args[0]);
      // Said once per rewrite, so the bench can tell the pattern still matches the code.
      for (const i of applied.filter((n) => !used.has(n))) {
        console.error(`what-if sql: rewrite ${i} applied`);
        used.add(i);
      }
      args[0] = text;
    }
    return original.apply(this, args);
  };
}
