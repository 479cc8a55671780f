import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  getSchemaPath,
  type OpenAPIObject,
  type ResponseObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { problemCodesOf, problemResponse } from './common/http/api-problems.decorator';
import { documentShapes } from './common/http/api-shapes.decorator';
import type { ProblemCode } from './common/errors';
import { PROBLEMS } from './common/errors/problem-catalogue';
import { EVENT_TYPES } from '@consultant-calendar/client';
import { AvailabilityChangedEventDto, BookingEventDto } from './webhooks/dto/webhook-event.dto';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;
type Schema = Record<string, unknown>;

const HEADERS = {
  'X-Request-Id': {
    description:
      "The request's id, as the log line of the request names it: the caller's own X-Request-Id when it is 1 to 128 of `A-Za-z0-9_.:-`, else a new UUID",
    schema: { type: 'string', example: '0b0e7d9c-3f5e-4a55-9a1e-7c1f2b8d6a10' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer', minimum: 1, example: 42 },
  },
  'X-RateLimit-Limit': {
    description:
      'Requests the caller may make per minute (RATE_LIMIT_PER_MINUTE), per token, or per address without one',
    schema: { type: 'integer', example: 600 },
  },
  'X-RateLimit-Remaining': {
    description: "Requests left in the caller's current minute",
    schema: { type: 'integer', example: 599 },
  },
  'X-RateLimit-Reset': {
    description: "Seconds until the caller's minute starts over",
    schema: { type: 'integer', example: 60 },
  },
};
const header = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

/**
 * Problems any route may answer with whatever its own decorators say: a token that is not valid
 * (401, even on a public route), a spent budget (429; /health and its probes are exempt), a database outage or a
 * draining server (503), and for a route with a body, one that is not JSON, too large or of
 * another media type. Added here once, so no route can forget them.
 */
function commonProblems(path: string, op: Operation): ProblemCode[] {
  const codes: ProblemCode[] = ['unauthorized', 'database-unavailable', 'shutting-down'];
  if (!path.startsWith('/health')) codes.push('rate-limited', 'auth-failures');
  if (op.requestBody) codes.push('malformed-body', 'payload-too-large', 'unsupported-media-type');
  return codes;
}

/**
 * Completes every operation: each status's problem response lists its types with an example of
 * each; every response declares X-Request-Id; 429 and 503 declare Retry-After; rate-limited
 * successes declare the X-RateLimit headers; a success's example is built from its schema's.
 */
function completeOperations(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const op of [item.get, item.post, item.put, item.patch, item.delete]) {
      if (!op) continue;
      // A public route takes a token too (its budget is then the token's): none, or the bearer.
      const secured = !!op.security?.length;
      op.security ??= [{}, { bearer: [] }];
      // Nest writes response objects, never references to them.
      const responses = op.responses as Record<string, ResponseObject>;
      const byStatus = new Map<number, ProblemCode[]>();
      for (const [status, response] of Object.entries(responses))
        if (problemCodesOf(response).length) byStatus.set(Number(status), problemCodesOf(response));
      for (const code of commonProblems(path, op)) {
        const { status } = PROBLEMS[code];
        byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
      }
      for (const [status, codes] of byStatus) {
        const description =
          status === 401 && !secured ? 'A token was sent and is not valid (this route needs none)' : undefined;
        responses[status] = problemResponse(status, codes, description);
      }
      for (const [status, response] of Object.entries(responses)) {
        const code = Number(status);
        response.headers = {
          ...response.headers,
          'X-Request-Id': header('X-Request-Id'),
          ...(code === 429 || code === 503 ? { 'Retry-After': header('Retry-After') } : {}),
          ...(code < 400 && path !== '/health'
            ? {
                'X-RateLimit-Limit': header('X-RateLimit-Limit'),
                'X-RateLimit-Remaining': header('X-RateLimit-Remaining'),
                'X-RateLimit-Reset': header('X-RateLimit-Reset'),
              }
            : {}),
        };
        for (const media of Object.values(response.content ?? {}))
          if (media.schema && media.example === undefined && media.examples === undefined)
            media.example = exampleOf(document, media.schema as Schema);
      }
    }
  }
}

/** An example value built from a schema's own examples (the document says every property has one). */
function exampleOf(document: OpenAPIObject, schema: Schema, depth = 0): unknown {
  if (depth > 32) return undefined;
  if (typeof schema.$ref === 'string')
    return exampleOf(document, document.components!.schemas![schema.$ref.split('/').pop()!] as Schema, depth + 1);
  if (schema.example !== undefined) return schema.example;
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const)
    if (Array.isArray(schema[key])) return exampleOf(document, (schema[key] as Schema[])[0], depth + 1);
  if (schema.type === 'array' && schema.items) return [exampleOf(document, schema.items as Schema, depth + 1)];
  if (schema.properties)
    return Object.fromEntries(
      Object.entries(schema.properties as Record<string, Schema>).map(([name, property]) => [
        name,
        exampleOf(document, property, depth + 1),
      ]),
    );
  return undefined;
}

/**
 * Every number this API reads or writes is a whole one (ids, minutes, counts, years), which the
 * Swagger plugin cannot tell from TypeScript's `number`: so `number` becomes `integer` here, once,
 * and a fractional field would say so with a `format` (float, double).
 */
function integersOnly(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(integersOnly);
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Schema;
  if (schema.format === undefined) {
    if (schema.type === 'number') schema.type = 'integer';
    if (Array.isArray(schema.type)) schema.type = schema.type.map((t: unknown) => (t === 'number' ? 'integer' : t));
  }
  for (const [key, value] of Object.entries(schema)) if (key !== 'example' && key !== 'examples') integersOnly(value);
}

/** What a webhook receiver gets: the event as its JSON body, signed by the Standard Webhooks headers. */
function webhooks(): NonNullable<OpenAPIObject['webhooks']> {
  const signature = [
    [
      'webhook-id',
      "The event's id, the same in every attempt: drop one you have seen",
      '0b0e7d9c-3f5e-4a55-9a1e-7c1f2b8d6a10',
    ],
    ['webhook-timestamp', "This attempt's time, in seconds since the epoch", '1922342400'],
    [
      'webhook-signature',
      "`v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 after the secret's `whsec_`",
      'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
    ],
  ] as const;
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: `on${type.replace(/(^|\.)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
          summary: `The \`${type}\` event, POSTed to each subscription to it (POST /webhooks)`,
          tags: ['webhooks'],
          security: [],
          parameters: signature.map(([name, description, example]) => ({
            name,
            in: 'header' as const,
            required: true,
            description,
            schema: { type: 'string', example },
          })),
          requestBody: {
            required: true,
            description: 'The event',
            content: {
              'application/json': {
                schema: {
                  $ref: getSchemaPath(type === 'availability.changed' ? AvailabilityChangedEventDto : BookingEventDto),
                },
              },
            },
          },
          responses: {
            '200': { description: 'Any 2xx within WEBHOOK_TIMEOUT_MS is a delivery; anything else is retried' },
          },
        },
      },
    ]),
  );
}

/** The OpenAPI 3.1 document the service serves at /docs-json and shows at /docs. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Consultant Calendar')
    .setDescription(
      'Consultants publish free time, clients book it; no two people ever get the same hour. Errors are RFC 9457 application/problem+json, each with a `type` listed per operation. Every response carries X-Request-Id.',
    )
    .setVersion('1.0')
    .addServer('/', 'The server that serves this document')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      // Opaque random tokens (cc_a_…, cc_c_…, cc_u_…), looked up by digest: not JWTs.
      bearerFormat: 'opaque',
      description:
        "The admin token (ADMIN_TOKEN), or a consultant's or user's api_token, returned once when it is created",
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [BookingEventDto, AvailabilityChangedEventDto],
  });
  document.components = { ...document.components, headers: HEADERS };
  documentShapes(document);
  completeOperations(document);
  integersOnly(document);
  document.webhooks = webhooks();
  return document;
}
