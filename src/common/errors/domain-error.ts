import type { FieldError, Problem, ProblemExtensions } from './problem';
import { PROBLEMS, type ProblemCode, type ProblemCodeWithStatus } from './problem-catalogue';

/**
 * A refusal decided by the service: a problem code from the catalogue, the detail the client is
 * shown word for word (the catalogue's text unless given) and any extensions. It is no HTTP
 * exception: the translator (problem-translator.ts) makes it a problem for HTTP and messages alike.
 */
export class DomainError extends Error {
  override readonly name: string = 'DomainError';

  constructor(
    readonly code: ProblemCode,
    detail?: string,
    readonly extensions: ProblemExtensions = {},
  ) {
    super(detail ?? PROBLEMS[code].text);
  }

  get status(): number {
    return PROBLEMS[this.code].status;
  }

  get title(): string {
    return PROBLEMS[this.code].title;
  }

  /** Recreates a problem answered before, word for word (an idempotent replay). */
  static replay(problem: Problem): DomainError {
    return new AnsweredBefore(problem);
  }
}

/** A stored answer keeps the status and title it was sent with, whatever the catalogue says now. */
class AnsweredBefore extends DomainError {
  constructor(private readonly answered: Problem) {
    super(answered.type.replace(/^\/problems\//, '') as ProblemCode, answered.detail, extensionsOf(answered));
  }

  override get status(): number {
    return this.answered.status;
  }

  override get title(): string {
    return this.answered.title;
  }
}

const extensionsOf = ({
  type: _type,
  title: _title,
  status: _status,
  detail: _detail,
  instance: _instance,
  ...extensions
}: Problem): ProblemExtensions => extensions;

/** A spent budget: 429 with Retry-After, which the HTTP filter writes from `retryAfterSeconds`. */
export class TooManyRequests extends DomainError {
  constructor(
    code: ProblemCodeWithStatus<429>,
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, detail);
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new DomainError('validation-error', detail, errors ? { errors } : {});
/** A 400 that lists every bad field. */
export const invalidFields = (errors: FieldError[]) =>
  badRequest(
    `${errors.length} field${errors.length === 1 ? ' is' : 's are'} invalid: ${errors.map((e) => e.field).join(', ')}`,
    errors,
  );
export const notFound = (what: string) => new DomainError('not-found', `${what} was not found`);
export const forbidden = (detail: string) => new DomainError('forbidden', detail);
export const conflict = (code: ProblemCodeWithStatus<409>, detail?: string) => new DomainError(code, detail);
export const unprocessable = (code: ProblemCodeWithStatus<422>, detail?: string) => new DomainError(code, detail);
