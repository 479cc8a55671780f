/** One invalid field of a request, as listed in a validation problem's `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, over HTTP and messages alike; `type` is a relative URI (`/problems/time-taken`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}
