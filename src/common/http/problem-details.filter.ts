import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { Observable, throwError } from 'rxjs';
import { QueryFailedError } from 'typeorm';
import { Problem, ProblemException, TooManyRequests } from './problem';

/**
 * PostgreSQL errors that a client's request can legitimately cause, by SQLSTATE, and by
 * constraint name where one code covers several meanings. Everything else is ours: a 500.
 */
const CONSTRAINT_PROBLEMS: Record<string, [number, string, string]> = {
  bookings_blocked_no_overlap: [
    409,
    'time-taken',
    'That time, or a buffer around it, is already booked or held; pick another.',
  ],
  availabilities_no_overlap: [409, 'availability-overlap', 'The slot overlaps another slot of this consultant.'],
  date_overrides_consultant_date_key: [
    409,
    'date-override-exists',
    'The consultant already has an override for that date; delete it to replace it.',
  ],
};
const SQLSTATE_PROBLEMS: Record<string, [number, string, string]> = {
  '23P01': [409, 'conflict', 'The change conflicts with existing data.'],
  '23505': [409, 'conflict', 'The change conflicts with existing data.'],
  '40P01': [409, 'conflict', 'A concurrent change got in the way; retry the request.'],
  '40001': [409, 'conflict', 'A concurrent change got in the way; retry the request.'],
  '23502': [400, 'validation-error', 'A required value is missing.'],
  '22021': [400, 'validation-error', 'A text value is not valid UTF-8.'],
  '22P02': [400, 'validation-error', 'A value is not in the expected format.'],
  '22003': [400, 'validation-error', 'A number is out of range.'],
  '22007': [400, 'validation-error', 'A date or time is not valid.'],
  '22008': [400, 'validation-error', 'A date or time is out of range.'],
  '22001': [400, 'validation-error', 'A value is too long.'],
};
/** Connection-level failures: the database is down or restarting, not the request's fault. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|not queryable/i;

const unavailable = (): Problem => ({
  type: '/problems/database-unavailable',
  title: STATUS_CODES[503]!,
  status: 503,
  detail: 'The database is unavailable; retry shortly.',
});

export function toProblem(exception: unknown): Problem {
  if (exception instanceof ProblemException) return exception.toProblem();
  // Nest's adapter wraps Fastify's own refusals in an HttpException; unwrap them so they get the
  // problem types the README documents (malformed-body, payload-too-large), not "bad-request".
  if (exception instanceof HttpException && isFastifyRefusal(exception.cause)) return toProblem(exception.cause);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const slug =
      status === 429
        ? 'rate-limited'
        : status === 404
          ? 'not-found'
          : (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z]+/g, '-');
    return {
      type: `/problems/${slug}`,
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail: status === 429 ? 'Too many requests; retry after the time in Retry-After.' : exception.message,
    };
  }
  const error = exception as {
    code?: string;
    constraint?: string;
    driverError?: { code?: string; constraint?: string; detail?: string };
    statusCode?: number;
    message?: string;
  };
  if (exception instanceof QueryFailedError || error?.driverError) {
    const code = error.driverError?.code ?? error.code;
    const known =
      CONSTRAINT_PROBLEMS[error.driverError?.constraint ?? ''] ??
      (code === '23503' ? foreignKeyProblem(error.driverError?.detail) : SQLSTATE_PROBLEMS[code ?? '']);
    if (known)
      return { type: `/problems/${known[1]}`, title: STATUS_CODES[known[0]]!, status: known[0], detail: known[2] };
  }
  if (isUnavailable(exception)) return unavailable();
  // Fastify's own refusals (body too large, bad JSON, wrong content type) carry a 4xx status.
  if (typeof error?.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    const status = error.statusCode;
    const detail =
      status === 413
        ? 'The request body is larger than 100 KB.'
        : status === 415
          ? 'Send the body as application/json.'
          : 'The request body is not valid JSON.';
    return {
      type: `/problems/${status === 413 ? 'payload-too-large' : status === 415 ? 'unsupported-media-type' : 'malformed-body'}`,
      title: STATUS_CODES[status] ?? 'Bad Request',
      status,
      detail,
    };
  }
  return {
    type: '/problems/internal-error',
    title: STATUS_CODES[500]!,
    status: 500,
    detail: 'Something went wrong on our side; it has been logged.',
  };
}

function foreignKeyProblem(detail = ''): [number, string, string] {
  // An insert naming a missing row is a 404; a delete of a row still referenced is a 409. Only
  // PostgreSQL's DETAIL tells them apart ("… is still referenced from table …").
  return /still referenced/.test(detail)
    ? [409, 'conflict', 'Other records still refer to this one.']
    : [404, 'not-found', 'A referenced record does not exist.'];
}

/** TypeORM releases a transaction's runner when its connection dies; the next statement then throws these. */
const RELEASED_RUNNER_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

function isUnavailable(exception: unknown): boolean {
  const error = exception as
    { name?: string; code?: string; message?: string; driverError?: { code?: string } } | undefined;
  const code = error?.driverError?.code ?? error?.code;
  return (
    (code !== undefined && UNAVAILABLE_CODES.has(code)) ||
    RELEASED_RUNNER_ERRORS.has(error?.name ?? '') ||
    UNAVAILABLE_MESSAGES.test(error?.message ?? '')
  );
}

function isFastifyRefusal(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return (
    error instanceof Error &&
    error.name === 'FastifyError' &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500
  );
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem): void {
  if (problem.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
  void reply
    .status(problem.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send({ ...problem, instance: request.url.split('?')[0] });
}

/**
 * The one place where any error becomes the client's problem+json answer: over HTTP, the
 * response; for an internal message, the error the transport carries back (what an
 * RpcException's payload would be), so both faces refuse with the same problem.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    const problem = toProblem(exception);
    if (host.getType() === 'rpc') {
      this.log(problem, exception, `message ${messagePattern(host)}`);
      return throwError(() => new RpcException(problem).getError());
    }
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    this.log(problem, exception, `${request.method} ${request.url}`, request.id);
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof TooManyRequests) void reply.header('retry-after', String(exception.retryAfterSeconds));
    sendProblem(reply, request, problem);
  }

  /** A bug is an error with its stack; an outage is a warning: the database, not the code, is at fault. */
  private log(problem: Problem, exception: unknown, what: string, reqId?: string): void {
    if (problem.status === 503)
      this.logger.warn({ reqId, cause: (exception as Error)?.message }, `${what}: database unavailable`);
    else if (problem.status >= 500) this.logger.error({ err: exception, reqId }, `${what} failed`);
  }
}

/** The pattern a failed message was sent to, as its transport's context names it. */
function messagePattern(host: ArgumentsHost): string {
  const context = host
    .switchToRpc()
    .getContext<{ getPattern?: () => string; getSubject?: () => string; getChannel?: () => string } | undefined>();
  return context?.getPattern?.() ?? context?.getSubject?.() ?? context?.getChannel?.() ?? '';
}
