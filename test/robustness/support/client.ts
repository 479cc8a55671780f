import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';

/**
 * SQL statements sent by every pg client of this test file (the app's pool and PGlite's socket
 * alike go through pg's Client), counted so a test can tell what a request made the database do.
 */
let statements = 0;
const query = Client.prototype.query;
Client.prototype.query = function (this: Client, ...args: unknown[]) {
  statements++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

export interface RawRequest {
  method: string;
  url: string;
  token?: string;
  headers?: Record<string, string>;
  /** A value sent as JSON, unless `raw` is given. */
  body?: unknown;
  /** Bytes sent as they are (malformed JSON, forms, huge payloads). */
  raw?: string | Buffer;
  /** The client's socket address (inject's default is 127.0.0.1), for the per-address limits. */
  remoteAddress?: string;
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
  /** Parsed when the answer says it is JSON and parses; else undefined. */
  json: any;
  /** SQL statements run while the request was answered (nothing else runs meanwhile in these tests). */
  statements: number;
}

/** Fastify's inject with full control of method, headers and bytes: the whole pipeline, no sockets. */
export async function send(app: NestFastifyApplication, req: RawRequest): Promise<RawReply> {
  const headers: Record<string, string> = {};
  if (req.token !== undefined) headers.authorization = `Bearer ${req.token}`;
  let payload: string | Buffer | undefined;
  if (req.raw !== undefined) payload = req.raw;
  else if (req.body !== undefined) {
    payload = JSON.stringify(req.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, req.headers);
  const before = statements;
  const res = await app.inject({
    method: req.method as any,
    url: req.url,
    headers,
    payload,
    remoteAddress: req.remoteAddress,
  });
  const run = statements - before;
  let json: any;
  if (/json/.test(String(res.headers['content-type'] ?? '')) && res.body) {
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
  }
  return { status: res.statusCode, headers: res.headers, text: res.body, json, statements: run };
}

/** Markers of internals that must never reach a client: stack frames, SQL, driver and framework names. */
export const LEAK =
  /\bat [\w$.<>]+ \(|\.(js|ts):\d+:\d+|node_modules|QueryFailedError|EntityNotFound|TypeORM|FST_ERR|\bsyntax error at\b|\bviolates\b|duplicate key|relation "|column "|\bSELECT\b[\s\S]*\bFROM\b|\bINSERT INTO\b|\bDELETE FROM\b|\bUPDATE\b[\s\S]*\bSET\b|Maximum call stack|Cannot read propert|is not a function|\[object Object\]|Invalid time value|epoch day/i;

/** Every way a response fails to be an RFC 9457 problem with its own status. */
export function problemErrors(res: RawReply): string[] {
  const errors: string[] = [];
  if (!/^application\/problem\+json/.test(String(res.headers['content-type'])))
    errors.push(`content-type is ${res.headers['content-type']}`);
  const p = res.json;
  if (!p || typeof p !== 'object') return [...errors, 'body is not a JSON object'];
  if (p.status !== res.status) errors.push(`status field ${p.status} ≠ HTTP ${res.status}`);
  for (const field of ['type', 'title', 'detail'] as const)
    if (typeof p[field] !== 'string' || !p[field]) errors.push(`${field} is not a non-empty string`);
  if (typeof p.type === 'string' && !p.type.startsWith('/problems/'))
    errors.push(`type ${p.type} is not under /problems/`);
  if (p.instance !== undefined && typeof p.instance !== 'string') errors.push('instance is not a string');
  if (p.errors !== undefined) {
    if (!Array.isArray(p.errors)) errors.push('errors is not an array');
    else if (!p.errors.every((e: any) => e && typeof e.field === 'string' && typeof e.message === 'string'))
      errors.push('errors[] items are not {field, message} strings');
  }
  if (LEAK.test(res.text)) errors.push(`leaks internals: ${res.text.match(LEAK)![0]}`);
  return errors;
}

export function assertProblemStatus(res: RawReply, allowed: number | number[], what = ''): void {
  const statuses = Array.isArray(allowed) ? allowed : [allowed];
  inContext(`${what} answered ${res.status}, expected ${statuses.join(' or ')}: ${res.text.slice(0, 300)}`, () => {
    expect(statuses).toContain(res.status);
    expect(problemErrors(res)).toEqual([]);
  });
}

/**
 * Runs `check` (calls of `expect`) and, should it fail, puts `what` at the head of the failure
 * message, as node:assert's message argument did: in a loop, it says which case failed. Takes a
 * function or an async function.
 */
export function inContext<T>(what: string, check: () => T): T {
  const withContext = (error: unknown): never => {
    const e = error as { message?: unknown } | undefined;
    if (e && typeof e.message === 'string') e.message = `${what}\n\n${e.message}`;
    throw error;
  };
  try {
    const result = check();
    return result instanceof Promise ? (result.catch(withContext) as T) : result;
  } catch (error) {
    return withContext(error);
  }
}
