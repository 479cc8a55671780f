/**
 * Preloaded into the service (`node -r dist/bench/capture-sql.js dist/src/main.js`) to record
 * every statement it sends to PostgreSQL, with its bind parameters, one JSON line each, in
 * BENCH_CAPTURE_FILE. run.ts sends one request of each kind and turns what the service
 * actually said into the pgbench scripts of the database limit, so those stay the very
 * statements of the code under test, whoever changes it.
 */
import { appendFileSync } from 'node:fs';
import { Client } from 'pg';

export interface CapturedValue {
  $date?: string;
}

export interface CapturedStatement {
  text: string;
  values: unknown[];
}

/** Dates stay recognisable as dates; everything else is as the driver got it. */
export function encodeValue(value: unknown): unknown {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (Buffer.isBuffer(value)) return { $hex: value.toString('hex') };
  return value;
}

const file = process.env.BENCH_CAPTURE_FILE;
if (file) {
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    let text: string | undefined;
    let values: unknown;
    if (typeof first === 'string') [text, values] = [first, second];
    else if (first && typeof first === 'object' && typeof (first as { text?: unknown }).text === 'string') {
      text = (first as { text: string }).text;
      values = (first as { values?: unknown }).values ?? second;
    }
    if (text !== undefined) {
      const line: CapturedStatement = { text, values: Array.isArray(values) ? values.map(encodeValue) : [] };
      appendFileSync(file, JSON.stringify(line) + '\n');
    }
    return original.apply(this, args);
  };
}
