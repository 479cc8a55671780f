/**
 * The database limit of a request kind: pgbench replaying the statements that one request of
 * that kind made (captured from the running service by capture-sql.ts), as one pgbench
 * transaction, at the same concurrency as the HTTP load.
 *
 * Every parameter stays a bind parameter, as in the service (-M extended): constants are
 * pgbench variables set with -D; what differs from request to request (the consultant, the
 * user, the dates) is drawn per transaction with \set, so pgbench touches as much of the data
 * as the HTTP load does rather than one hot consultant. A drawn date becomes
 * `to_timestamp(:shift + <epoch of the captured date>)`, the only change to the statement text.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CapturedStatement } from './capture-sql';
import { CpuShares, PG_URL, watchCpu } from './common';

/** Which captured values stand for what varies between requests, and how each is drawn. */
export interface Variation {
  /** pgbench \set lines run at the start of each transaction (without the backslash). */
  sets: string[];
  /** Captured scalar value → pgbench variable name (e.g. the consultant id → 'cid'). */
  scalars: Map<number, string>;
  /**
   * How the captured dates vary. 'expression': each is written to_timestamp(:shift + epoch), with
   * :shift drawn per transaction (writes, whose times must differ every time). A list of offsets
   * in seconds: one script per offset with the dates moved by it as constant bind parameters, as
   * the service sends them, and pgbench picks a script at random per transaction (reads).
   */
  dates?: 'expression' | number[];
  /** Statements whose single returned row is stored with \gset and this prefix. */
  gset?: { match: RegExp; prefix: string };
  /** -D name=value for variables a \set reads before first setting them (counters). */
  initial?: string[];
}

export interface Script {
  /** One script per variant (see Variation.dates); pgbench picks one at random per transaction. */
  texts: string[];
  /** -D name=value for every constant parameter. */
  defines: string[];
}

const isDate = (v: unknown): v is { $date: string } => typeof v === 'object' && v !== null && '$date' in v;

/** A constant as the driver sends it: arrays in PostgreSQL's text form. */
function asText(value: unknown): string {
  if (isDate(value)) return value.$date;
  if (Array.isArray(value)) {
    return (
      '{' +
      value
        .map((v) =>
          v === null
            ? 'NULL'
            : typeof v === 'number' || typeof v === 'boolean'
              ? String(v)
              : '"' + asText(v).replace(/["\\]/g, '\\$&') + '"',
        )
        .join(',') +
      '}'
    );
  }
  if (typeof value === 'object' && value !== null && '$hex' in value) return '\\x' + (value as { $hex: string }).$hex;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** A captured value with every date in it moved by `seconds`. */
function shifted(value: unknown, seconds: number): unknown {
  if (isDate(value)) return { $date: new Date(Date.parse(value.$date) + seconds * 1000).toISOString() };
  if (Array.isArray(value)) return value.map((v) => shifted(v, seconds));
  return value;
}

export function buildScript(statements: CapturedStatement[], variation: Variation): Script {
  const defines: string[] = [];
  const offsets = Array.isArray(variation.dates) ? variation.dates : [0];
  const expression = variation.dates === 'expression';
  const texts = offsets.map((offset, k) => {
    const lines = variation.sets.map((s) => `\\set ${s}`);
    statements.forEach((statement, s) => {
      const render = (value: unknown, p: number): string => {
        if (value === null || value === undefined) return 'NULL';
        if (typeof value === 'number' && variation.scalars.has(value)) return `:${variation.scalars.get(value)}`;
        if (isDate(value) && expression) return `to_timestamp(:shift + ${(Date.parse(value.$date) / 1000).toFixed(3)})`;
        if (
          Array.isArray(value) &&
          value.some((v) => (isDate(v) && expression) || (typeof v === 'number' && variation.scalars.has(v)))
        ) {
          return 'ARRAY[' + value.map((v, i) => render(v, p * 1000 + i)).join(', ') + ']';
        }
        const name = `v${k}_p${s}_${p}`;
        defines.push(`${name}=${asText(shifted(value, offset))}`);
        return `:${name}`;
      };
      // \d+ is greedy, so $12 is parameter 12, never $1 followed by a 2.
      const text = statement.text.replace(/\$(\d+)/g, (_, n: string) =>
        render(statement.values[Number(n) - 1], Number(n)),
      );
      // One line per statement: whole-line SQL comments go first, or they would swallow the rest.
      lines.push(
        text
          .replace(/^\s*--.*$/gm, '')
          .replace(/\s*\n\s*/g, ' ')
          .trim() + (variation.gset?.match.test(statement.text) ? `\n\\gset ${variation.gset.prefix}` : ';'),
      );
    });
    return lines.join('\n') + '\n';
  });
  return { texts, defines: [...defines, ...(variation.initial ?? [])] };
}

export interface PgbenchResult {
  clients: number;
  seconds: number;
  transactions: number;
  tps: number;
  failed: number;
  latency: { average: number; p50: number; p97_5: number; p99: number };
  command: string;
  cpu: CpuShares;
  attempts: number;
}

const percentile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;

/** Runs pgbench with one script; latencies (ms) come from its per-transaction log. */
export async function pgbench(
  database: string,
  script: Script,
  options: { clients: number; seconds: number },
): Promise<PgbenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cc-pgbench-'));
  try {
    const files = script.texts.map((text, k) => {
      const file = join(dir, `script-${k}.sql`);
      writeFileSync(file, text);
      return file;
    });
    const url = new URL(PG_URL);
    const args = [
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username || 'postgres'),
      '-n',
      '-M',
      'extended',
      '-c',
      String(options.clients),
      '-j',
      '2',
      '-T',
      String(options.seconds),
      '-l',
      '--log-prefix',
      join(dir, 'tx'),
      ...script.defines.flatMap((d) => ['-D', d]),
      ...files.flatMap((f) => ['-f', `${f}@1`]),
      database,
    ];
    const child = spawn('pgbench', args, {
      cwd: dir,
      env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit');
    const stopCpu = await watchCpu({ database, client: child.pid });
    const [code] = (await exited) as [number | null];
    const cpu = await stopCpu();
    if (code !== 0)
      throw new Error(
        `pgbench failed (${code}): ${stderr.split('\n').slice(0, 8).join('\n')}\nscript:\n${script.texts[0]}`,
      );
    const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? NaN);
    const latencies: number[] = [];
    for (const name of readdirSync(dir).filter((f) => f.startsWith('tx.'))) {
      for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
        const us = Number(line.split(' ')[2]);
        if (line && Number.isFinite(us)) latencies.push(us / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    // Shown with the -D values cut short and one -f for all the variants.
    const shown = args
      .filter(
        (a, i) => !(a === '-f' && i > args.indexOf('-f')) && !(args[i - 1] === '-f' && i - 1 > args.indexOf('-f')),
      )
      .map((a) => (a.length > 60 ? a.slice(0, 57) + '…' : a))
      .map((a) => (/[\s'"{}]/.test(a) ? `'${a}'` : a));
    if (files.length > 1) shown.splice(shown.length - 1, 0, `(… ${files.length} scripts in all)`);
    return {
      clients: options.clients,
      seconds: options.seconds,
      transactions: number(/number of transactions actually processed: (\d+)/),
      tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
      failed: number(/number of failed transactions: (\d+)/) || 0,
      latency: {
        average: number(/latency average = ([\d.]+) ms/),
        p50: percentile(latencies, 0.5),
        p97_5: percentile(latencies, 0.975),
        p99: percentile(latencies, 0.99),
      },
      command: 'pgbench ' + shown.join(' '),
      cpu,
      attempts: 1,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
