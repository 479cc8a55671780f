import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { QueryFailedError } from 'typeorm';
import { DomainError } from './domain-error';
import type { Problem } from './problem';
import type { ProblemCode } from './problem-catalogue';

/**
 * PostgreSQL errors that a client's request can legitimately cause, by constraint name where one
 * SQLSTATE covers several meanings, else by SQLSTATE. Everything else is ours: a 500.
 */
const CONSTRAINT_PROBLEMS: Record<string, ProblemCode> = {
  bookings_blocked_no_overlap: 'time-taken',
  availabilities_no_overlap: 'availability-overlap',
  date_overrides_consultant_date_key: 'date-override-exists',
};
const RACE = 'A concurrent change got in the way; retry the request.';
const SQLSTATE_PROBLEMS: Record<string, [ProblemCode, string?]> = {
  '23P01': ['conflict'],
  '23505': ['conflict'],
  '40P01': ['conflict', RACE],
  '40001': ['conflict', RACE],
  '23502': ['validation-error', 'A required value is missing.'],
  '22021': ['validation-error', 'A text value is not valid UTF-8.'],
  '22P02': ['validation-error', 'A value is not in the expected format.'],
  '22003': ['validation-error', 'A number is out of range.'],
  '22007': ['validation-error', 'A date or time is not valid.'],
  '22008': ['validation-error', 'A date or time is out of range.'],
  '22001': ['validation-error', 'A value is too long.'],
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
/** TypeORM releases a transaction's runner when its connection dies; the next statement then throws these. */
const RELEASED_RUNNER_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

/** The catalogue's problem for a code, with the catalogue's text unless a detail is given. */
export const problemOf = (code: ProblemCode, detail?: string): Problem =>
  fromDomainError(new DomainError(code, detail));

const fromDomainError = (error: DomainError): Problem => ({
  type: `/problems/${error.code}`,
  title: error.title,
  status: error.status,
  detail: error.message,
  ...error.extensions,
});

/**
 * The one translation of anything thrown into the problem a client is shown, over HTTP and in
 * messages alike: domain errors by their catalogue entry, database errors by constraint and
 * SQLSTATE, Nest's and Fastify's refusals by status; anything else is a 500 that tells nothing.
 */
export function toProblem(exception: unknown): Problem {
  if (exception instanceof DomainError) return fromDomainError(exception);
  // Nest's adapter wraps Fastify's own refusals in an HttpException; unwrap them so they get the
  // problem types docs/API.md documents (malformed-body, payload-too-large), not "bad-request".
  if (exception instanceof HttpException && isFastifyRefusal(exception.cause)) return toProblem(exception.cause);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // A 429 says when to come back, whatever the throttler's message.
    if (status === 429) return problemOf('rate-limited');
    if (status === 404) return problemOf('not-found', exception.message);
    return {
      type: `/problems/${(STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z]+/g, '-')}`,
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail: exception.message,
    };
  }
  const error = exception as {
    code?: string;
    statusCode?: number;
    driverError?: { code?: string; constraint?: string; detail?: string };
  };
  if (exception instanceof QueryFailedError || error?.driverError) {
    const code = error.driverError?.code ?? error.code;
    const byConstraint = CONSTRAINT_PROBLEMS[error.driverError?.constraint ?? ''];
    if (byConstraint) return problemOf(byConstraint);
    if (code === '23503') return foreignKeyProblem(error.driverError?.detail);
    const known = SQLSTATE_PROBLEMS[code ?? ''];
    if (known) return problemOf(...known);
  }
  if (isUnavailable(exception)) return problemOf('database-unavailable');
  // Fastify's own refusals (body too large, bad JSON, wrong content type) carry a 4xx status.
  if (typeof error?.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
    return problemOf(
      error.statusCode === 413
        ? 'payload-too-large'
        : error.statusCode === 415
          ? 'unsupported-media-type'
          : 'malformed-body',
    );
  return problemOf('internal-error');
}

function foreignKeyProblem(detail = ''): Problem {
  // An insert naming a missing row is a 404; a delete of a row still referenced is a 409. Only
  // PostgreSQL's DETAIL tells them apart ("… is still referenced from table …").
  return /still referenced/.test(detail)
    ? problemOf('conflict', 'Other records still refer to this one.')
    : problemOf('not-found', 'A referenced record does not exist.');
}

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
