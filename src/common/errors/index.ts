export {
  badRequest,
  conflict,
  DomainError,
  forbidden,
  invalidFields,
  notFound,
  TooManyRequests,
  unprocessable,
} from './domain-error';
export type { FieldError, Problem, ProblemExtensions } from './problem';
export type { ProblemCode } from './problem-catalogue';
export { problemOf, toProblem } from './problem-translator';
