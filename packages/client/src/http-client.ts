import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './openapi';

/** The HTTP API, typed from the service's OpenAPI document: `GET`, `POST`… by path, answers and problems typed. */
export type CalendarHttpClient = Client<paths>;

export interface CalendarHttpOptions extends ClientOptions {
  /** Where the service serves HTTP: `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The bearer token every request carries: an admin, consultant or user `api_token`; none for the public reads. */
  token?: string;
}

/**
 * An openapi-fetch client of the calendar's HTTP API (docs/API.md). Each call resolves to
 * `{ data, error, response }`: `data` the typed answer, or `error` the problem details.
 */
export function calendarHttpClient({ token, ...options }: CalendarHttpOptions): CalendarHttpClient {
  const client = createClient<paths>(options);
  if (token)
    client.use({
      onRequest: ({ request }) => {
        request.headers.set('Authorization', `Bearer ${token}`);
        return request;
      },
    });
  return client;
}
