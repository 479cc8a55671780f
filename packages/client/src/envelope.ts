/** Who a call acts for: the admin, or a consultant or user by id. */
export type Principal = { role: 'admin' } | { role: 'consultant'; id: number } | { role: 'user'; id: number };

/**
 * Every internal message: the calling service's token, the principal it acts for (left out
 * for the public reads, like an HTTP request without a token) and the pattern's payload.
 */
export interface Envelope<T = unknown> {
  token: string;
  principal?: Principal;
  data?: T;
}
