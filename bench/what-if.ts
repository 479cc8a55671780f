/**
 * Preloaded into the service (`node -r dist/bench/what-if.js dist/src/main.js`) to measure a
 * proposed fix before anyone writes it into src/: BENCH_WHATIF is a comma list of
 *
 *   sql      the bookings overlap lookups of the calendar views and of the booking check
 *            written as a range on the (consultant_id, start_at) B-tree, which a booking's
 *            24-hour maximum makes exact, instead of `during &&` on the GiST exclusion index.
 *
 * Nothing here is used outside the bench's what-if runs. (The rate limiter's fixed window, once
 * measured here too, is now src/common/http/fixed-window-storage.ts.)
 */
import { Client } from 'pg';

const wanted = new Set((process.env.BENCH_WHATIF ?? '').split(',').filter(Boolean));

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
