/**
 * EXPLAIN (ANALYZE, BUFFERS) of every statement a captured request made, with its own bind
 * parameters, inside a transaction that is rolled back (so an INSERT leaves nothing behind).
 * Each statement runs once unmeasured first, so the plan shown is of a warm cache.
 *
 *   node dist/bench/explain.js bench/out/results-….json [route …]   # from a run's capture
 */
import { readFileSync } from 'node:fs';
import type { CapturedStatement } from './capture-sql';
import { databaseUrl, withClient } from './common';

export interface Explained {
  statement: string;
  /** Execution time of the warm run, ms. */
  executionMs: number;
  planningMs: number;
  sharedHit: number;
  sharedRead: number;
  /** The plan's node lines, e.g. "Index Scan using bookings_no_overlap on bookings b". */
  nodes: string[];
  text: string;
}

const decode = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object' && '$date' in value) return new Date((value as { $date: string }).$date);
  return value;
};

export async function explainStatements(database: string, statements: CapturedStatement[]): Promise<Explained[]> {
  return withClient(databaseUrl(database), async (db) => {
    const out: Explained[] = [];
    await db.query('BEGIN');
    try {
      for (const s of statements) {
        if (/^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/i.test(s.text)) continue;
        const values = s.values.map(decode);
        await db.query('SAVEPOINT warm');
        await db.query(s.text, values);
        await db.query('ROLLBACK TO SAVEPOINT warm');
        const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, values);
        const lines = rows.map((r) => r['QUERY PLAN']);
        const text = lines.join('\n');
        let sharedHit = 0;
        let sharedRead = 0;
        // The top node's Buffers line holds the statement's totals.
        const top = lines.find((l) => /^\s*Buffers:/.test(l));
        if (top) {
          sharedHit = Number(/hit=(\d+)/.exec(top)?.[1] ?? 0);
          sharedRead = Number(/read=(\d+)/.exec(top)?.[1] ?? 0);
        }
        out.push({
          statement: s.text.replace(/\s+/g, ' ').trim(),
          executionMs: Number(/Execution Time: ([\d.]+)/.exec(text)?.[1] ?? NaN),
          planningMs: Number(/Planning Time: ([\d.]+)/.exec(text)?.[1] ?? NaN),
          sharedHit,
          sharedRead,
          nodes: lines
            .filter((l) => /->|^\S/.test(l) && !/^(Planning|Execution|Buffers)/.test(l.trim()))
            .map((l) => l.replace(/^\s*(->\s*)?/, '').replace(/\s+\(cost=.*$/, '')),
          text,
        });
      }
    } finally {
      await db.query('ROLLBACK');
    }
    return out;
  });
}

if (require.main === module) {
  const [file, ...routes] = process.argv.slice(2);
  const results = JSON.parse(readFileSync(file, 'utf8')) as {
    datasets: { full: { database: string } };
    captured: Record<string, { statements: CapturedStatement[] }>;
  };
  void (async () => {
    for (const [route, { statements }] of Object.entries(results.captured)) {
      if (routes.length && !routes.includes(route)) continue;
      console.log(`\n=== ${route}`);
      for (const e of await explainStatements(results.datasets.full.database, statements))
        console.log(`\n${e.statement}\n${e.text}`);
    }
  })();
}
