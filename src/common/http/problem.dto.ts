/** One invalid field. */
export class FieldErrorDto {
  /** The field, query parameter, header or path parameter. @example "start_time" */
  field: string;
  /** What is wrong with it. @example "must be a time as HH:MM or HH:MM:SS" */
  message: string;
}

/** RFC 9457 problem details, sent as application/problem+json. */
export class ProblemDto {
  /** The problem type, `/problems/<code>`: what a client branches on (docs/API.md lists them). @example "/problems/validation-error" */
  type: string;
  /** The status's reason phrase. @example "Bad Request" */
  title: string;
  /** The HTTP status. @example 400 */
  status: number;
  /** What went wrong in this request, for a person. @example "1 field is invalid: start_time" */
  detail: string;
  /** The request path (absent in a message reply). @example "/consultants/1/availabilities" */
  instance?: string;
  /** Present on validation errors: each bad field. */
  errors?: FieldErrorDto[];
}
