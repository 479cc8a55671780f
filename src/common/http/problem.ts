import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** One invalid field of a request, as listed in a validation problem's `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details; `type` is a relative URI documented in the README. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** A deliberate refusal: carries the problem the client is shown, word for word. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    slug: string,
    detail: string,
    readonly extensions: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(detail, status);
    this.problemType = `/problems/${slug}`;
  }

  readonly problemType: string;

  /** Recreates a problem answered before, word for word (an idempotent replay). */
  static replay({
    type,
    title: _title,
    status,
    detail,
    instance: _instance,
    ...extensions
  }: Problem): ProblemException {
    return new ProblemException(status, type.replace(/^\/problems\//, ''), detail, extensions);
  }

  toProblem(): Problem {
    return {
      type: this.problemType,
      title: STATUS_CODES[this.getStatus()] ?? 'Error',
      status: this.getStatus(),
      detail: this.message,
      ...this.extensions,
    };
  }
}

/** A spent budget: 429 with Retry-After, which the problem+json filter writes from `retryAfterSeconds`. */
export class TooManyRequests extends ProblemException {
  constructor(
    slug: string,
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, slug, detail);
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ProblemException(400, 'validation-error', detail, errors ? { errors } : {});
/** A 400 that lists every bad field. */
export const invalidFields = (errors: FieldError[]) =>
  badRequest(
    `${errors.length} field${errors.length === 1 ? ' is' : 's are'} invalid: ${errors.map((e) => e.field).join(', ')}`,
    errors,
  );
export const notFound = (what: string) => new ProblemException(404, 'not-found', `${what} was not found`);
export const forbidden = (detail: string) => new ProblemException(403, 'forbidden', detail);
export const conflict = (slug: string, detail: string) => new ProblemException(409, slug, detail);
export const unprocessable = (slug: string, detail: string) => new ProblemException(422, slug, detail);
