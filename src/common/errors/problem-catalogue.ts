import { STATUS_CODES } from 'node:http';

/** A problem type: its status, its title (the status's reason phrase, as docs/API.md says) and its default text. */
const type = <S extends number>(status: S, text: string) => ({ status, title: STATUS_CODES[status]!, text });

/**
 * Every problem type the service answers with, by code (the last segment of its `type` URI).
 * Each refusal has its text here once; a caller gives its own detail only to name the
 * specifics (which id, which limit). docs/API.md lists the same types for clients.
 */
export const PROBLEMS = {
  // Malformed or invalid requests
  'validation-error': type(400, 'The request is not valid.'),
  'malformed-body': type(400, 'The request body is not valid JSON.'),
  'malformed-request': type(400, 'The request is not valid HTTP.'),
  'malformed-message': type(400, 'A message is an object {token, principal, data}.'),
  'response-too-large': type(400, 'The answer would be too large; ask for less.'),
  'request-timeout': type(408, 'The request did not arrive in time.'),
  'payload-too-large': type(413, 'The request body is larger than 100 KB.'),
  'unsupported-media-type': type(415, 'Send the body as application/json.'),
  'headers-too-large': type(431, 'The request line and headers are larger than 16 KB.'),
  // Who may do what
  unauthorized: type(401, 'The token is missing or not valid.'),
  forbidden: type(403, 'You may not do this.'),
  'not-found': type(404, 'The resource was not found.'),
  // Conflicts with what is stored
  conflict: type(409, 'The change conflicts with existing data.'),
  'time-taken': type(409, 'That time, or a buffer around it, is already booked or held; pick another.'),
  'availability-overlap': type(409, 'The slot overlaps another slot of this consultant.'),
  'recurring-overlap': type(409, 'Active weekly windows of one consultant may not overlap.'),
  'date-override-exists': type(409, 'The consultant already has an override for that date; delete it to replace it.'),
  'slot-booked': type(409, 'The slot is booked; cancel the booking before deleting the slot.'),
  'consultant-has-bookings': type(409, 'The consultant has upcoming confirmed bookings; cancel them first.'),
  'booking-cancelled': type(409, 'A cancelled booking cannot be rescheduled; book anew.'),
  'idempotency-in-flight': type(
    409,
    'A request with this Idempotency-Key is still running; retry when it has finished.',
  ),
  // Well-formed bookings the rules refuse
  'in-the-past': type(422, 'Bookings must start in the future.'),
  'outside-availability': type(422, 'The consultant is not available for that whole time.'),
  'too-soon': type(422, "The booking would start sooner than the consultant's minimum notice."),
  'beyond-horizon': type(422, "The booking would start beyond the consultant's booking horizon."),
  'off-grid': type(422, "The booking does not start on the consultant's grid."),
  'daily-limit': type(422, "The consultant's day is full; pick another day."),
  'too-long': type(422, 'The booking is longer than this consultant takes at once; book a shorter time.'),
  'client-share': type(
    422,
    "You already block as much of this consultant's upcoming time as one client may; cancel or release some first.",
  ),
  'booking-limit': type(
    422,
    'You already hold the most upcoming bookings one account may; cancel one to book another.',
  ),
  'hold-limit': type(422, 'You already have the most live holds one account may; book or release one first.'),
  'webhook-limit': type(
    422,
    'The consultant already has the most webhook subscriptions one consultant may; delete one first.',
  ),
  'hold-expired': type(422, 'The hold has expired; hold or book the time again.'),
  'booking-in-past': type(422, 'The booking has already started.'),
  'idempotency-key-reused': type(422, 'This Idempotency-Key was used with a different request body.'),
  // Spent budgets (answered with Retry-After)
  'rate-limited': type(429, 'Too many requests; retry after the time in Retry-After.'),
  'signup-limit': type(429, 'Too many sign-ups from this address; retry after the time in Retry-After.'),
  'auth-failures': type(429, 'Too many failed authentications from this address; retry after the time in Retry-After.'),
  'booking-rate': type(429, 'Too many booking attempts from this address; retry after the time in Retry-After.'),
  // Ours, not the request's
  'internal-error': type(500, 'Something went wrong on our side; it has been logged.'),
  'database-unavailable': type(503, 'The database is unavailable; retry shortly.'),
  'shutting-down': type(503, 'The server is shutting down; retry the request.'),
  'not-ready': type(503, 'This instance is not ready for traffic; another may be.'),
} as const;

export type ProblemCode = keyof typeof PROBLEMS;
/** The codes answered with the given status: `conflict()` takes only 409s, `unprocessable()` only 422s. */
export type ProblemCodeWithStatus<S extends number> = {
  [C in ProblemCode]: (typeof PROBLEMS)[C]['status'] extends S ? C : never;
}[ProblemCode];
