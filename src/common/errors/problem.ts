/** One invalid field of a request, as listed in a validation problem's `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details; `type` is a relative URI documented in docs/API.md. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Members a problem carries beside the standard ones: `errors` of a validation problem, `max_slots`… */
export interface ProblemExtensions {
  errors?: FieldError[];
  [member: string]: unknown;
}
