/** One invalid field. */
export class FieldErrorDto {
  /** @example "start_time" */
  field: string;
  /** @example "must be a time as HH:MM or HH:MM:SS" */
  message: string;
}

/** RFC 9457 problem details, sent as application/problem+json. */
export class ProblemDto {
  /** @example "/problems/validation-error" */
  type: string;
  /** @example "Bad Request" */
  title: string;
  /** @example 400 */
  status: number;
  /** @example "1 field is invalid: start_time" */
  detail: string;
  /** @example "/consultants/1/availabilities" */
  instance?: string;
  /** Present on validation errors: each bad field. */
  errors?: FieldErrorDto[];
}
