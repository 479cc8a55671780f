import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

type CorsOptions = Exclude<Parameters<NestFastifyApplication['enableCors']>[0], undefined>;

/** What a browser page on an allowed origin may send and read. */
const REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-None-Match', 'X-Request-Id'];
const RESPONSE_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'ETag',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];
const READS = ['GET', 'HEAD'];
/** A preflight asks before its request may be sent; it counts 10 minutes. */
const MAX_AGE_SECONDS = 600;

/**
 * CORS_ORIGINS as a list of origins, `'*'`, or undefined when the text is not valid. Unset: no
 * origin but the service's own. `*`: any page may read the public routes, without a token. A
 * comma list of origins (`https://app.example.com`, scheme, host and port only): those pages may
 * call every route, with a token.
 */
export function parseCorsOrigins(text: string): string[] | '*' | undefined {
  const value = text.trim();
  if (value === '*') return '*';
  const origins = value.split(',').map((o) => o.trim());
  const isOrigin = (o: string) => URL.canParse(o) && new URL(o).origin === o;
  return origins.length > 0 && origins.every(isOrigin) ? origins : undefined;
}

/**
 * The CORS answer for each request: the headers for an allowed origin (a preflight is answered
 * with 204), nothing at all for any other, so a refused page's browser sees no CORS header and
 * its preflight is a 404 like any unknown route. With `*`, only reads are allowed, and without
 * Authorization: a page anywhere may show the free time, not act for anyone.
 */
export function corsOptions(origins: string[] | '*'): CorsOptions {
  // strictPreflight: false below, so an allowed origin's OPTIONS without Access-Control-Request-Method
  // is answered as a preflight rather than with the plugin's text/plain 400.
  const refused = { origin: false } as const;
  return {
    delegator: (request: FastifyRequest, answer: (error: Error | null, options: CorsOptions) => void) => {
      const origin = request.headers.origin;
      if (origins === '*') {
        const method = request.method === 'OPTIONS' ? request.headers['access-control-request-method'] : request.method;
        return answer(
          null,
          typeof method === 'string' && READS.includes(method.toUpperCase())
            ? {
                origin: '*',
                methods: READS,
                allowedHeaders: REQUEST_HEADERS.filter((h) => h !== 'Authorization' && h !== 'Idempotency-Key'),
                exposedHeaders: RESPONSE_HEADERS,
                maxAge: MAX_AGE_SECONDS,
                strictPreflight: false,
              }
            : refused,
        );
      }
      answer(
        null,
        origin !== undefined && origins.includes(origin)
          ? {
              origin,
              methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
              allowedHeaders: REQUEST_HEADERS,
              exposedHeaders: RESPONSE_HEADERS,
              maxAge: MAX_AGE_SECONDS,
              strictPreflight: false,
            }
          : refused,
      );
    },
  } as CorsOptions;
}
