/**
 * What the pure scheduling code costs, out of the tests (which assert what it does, not how fast):
 * expanding 92 days of a working week for 300 consultants across the zones the unit tests use with their
 * offsets cached, and subtracting 100,000 busy spans from 100,000 free ones. Prints the median of
 * `--rounds` (default 9) after one warm-up round. `nest build && node dist/bench/scheduling.js`.
 */
import * as fc from 'fast-check';
import { subtract } from '../src/scheduling/interval';
import { ZONES } from '../src/scheduling/testing/zones';
import { expandRules, type WeeklyRule } from '../src/scheduling/weekly-rule';

const rounds = Number(/--rounds=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 9);

function median(work: () => unknown): number {
  work();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const began = performance.now();
    work();
    times.push(performance.now() - began);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const rule = (id: number, dayOfWeek: number, startTime: string, endTime: string): WeeklyRule => ({
  id,
  dayOfWeek,
  startTime,
  endTime,
  isActive: true,
  validFrom: null,
  validUntil: null,
});
const week = [0, 1, 2, 3, 4].flatMap((day) => [
  rule(day * 2 + 1, day, '09:00', '12:00'),
  rule(day * 2 + 2, day, '13:00', '17:30'),
]);
const range = { start: Date.parse('2026-02-01T00:00:00Z'), end: Date.parse('2026-05-04T00:00:00Z') };
let occurrences = 0;
const expand = median(() => {
  occurrences = 0;
  for (let consultant = 0; consultant < 300; consultant++)
    occurrences += expandRules(week, ZONES[consultant % ZONES.length]!, range).length;
});

const random = fc.sample(fc.tuple(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 5000 })), {
  numRuns: 200_000,
  seed: 42,
});
const from = random.slice(0, 100_000).map(([start, length]) => ({ start, end: start + length * 4 }));
const busy = random.slice(100_000).map(([start, length]) => ({ start, end: start + length }));
const sweep = median(() => subtract(from, busy));

console.log(`| work | size | median of ${rounds} |`);
console.log('|---|---|---|');
console.log(
  `| expandRules, offsets cached | 300 consultants × 92 days, ${ZONES.length} zones, ${occurrences} occurrences | ${expand.toFixed(1)} ms |`,
);
console.log(`| subtract | 100,000 busy spans from 100,000 free | ${sweep.toFixed(1)} ms |`);
