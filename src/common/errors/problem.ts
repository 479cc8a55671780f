import type { FieldError } from '@consultant-calendar/client/wire';

// The problem shape is the clients' too (over HTTP and messages); `type`s are documented in docs/API.md.
export type { FieldError, Problem } from '@consultant-calendar/client/wire';

/** Members a problem carries beside the standard ones: `errors` of a validation problem, `max_slots`… */
export interface ProblemExtensions {
  errors?: FieldError[];
  [member: string]: unknown;
}
