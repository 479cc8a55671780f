import type { FieldError, Problem } from './problem';

/**
 * The service refused the call: its problem details, word for word, with the same `type` and
 * `status` an HTTP caller would get (`/problems/time-taken`, 409). Nothing changed on its side.
 */
export class CalendarClientError extends Error {
  override readonly name = 'CalendarClientError';
  readonly type: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly problem: Problem;

  constructor(
    readonly pattern: string,
    problem: Problem,
  ) {
    super(`${pattern}: ${problem.status} ${problem.type}: ${problem.detail}`);
    this.problem = problem;
    this.type = problem.type;
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors;
  }
}

/**
 * No answer came back: a timeout, a lost connection or broker, or an answer that is not a
 * problem. The call may or may not have taken effect; a booking retried with the same
 * idempotency key is made at most once.
 */
export class CalendarTransportError extends Error {
  override readonly name = 'CalendarTransportError';

  constructor(
    readonly pattern: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${pattern}: ${message}`, options);
  }
}

export function isProblem(value: unknown): value is Problem {
  const problem = value as Partial<Problem> | null;
  return (
    typeof problem === 'object' &&
    problem !== null &&
    typeof problem.type === 'string' &&
    typeof problem.status === 'number' &&
    typeof problem.title === 'string' &&
    typeof problem.detail === 'string'
  );
}
