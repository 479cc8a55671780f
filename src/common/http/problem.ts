// Transition: refusals are domain errors now (common/errors); the booking module imports them
// from here, under their old names, until it moves to common/errors.
export {
  badRequest,
  conflict,
  DomainError as ProblemException,
  forbidden,
  invalidFields,
  notFound,
  TooManyRequests,
  unprocessable,
} from '../errors';
export type { FieldError, Problem } from '../errors';
