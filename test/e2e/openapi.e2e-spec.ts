import { createConfig, lintFromString } from '@redocly/openapi-core';
import { PROBLEMS } from '../../src/common/errors/problem-catalogue';
import { useTestApp } from '../support/test-app';

interface Schema {
  $ref?: string;
  title?: string;
  type?: string | string[];
  description?: string;
  example?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
}
interface Media {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value: { type: string; status: number } }>;
}
interface Response {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, Media>;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  deprecated?: boolean;
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  parameters?: { name: string; in: string; description?: string; schema?: Schema }[];
  responses: Record<string, Response>;
}
interface Document {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, { post: Operation & { requestBody: { content: Record<string, Media> } } }>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Record<string, string>> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('the OpenAPI document (/docs-json)', () => {
  const { http } = useTestApp();
  let doc: Document;
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, path, op })),
    );

  beforeAll(async () => {
    const res = await http.get('/docs-json');
    expect(res).toHaveStatus(200);
    doc = res.body as Document;
  });

  it("passes Redocly's recommended rules with no error, every example fitting its schema", async () => {
    const config = await createConfig({
      extends: ['recommended'],
      // Warnings in the recommended set; an example that its own schema refuses misleads every reader.
      rules: { 'no-invalid-media-type-examples': 'error', 'no-invalid-schema-examples': 'error' },
    });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
    const errors = problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('names each operation in camelCase, once, and tags the seed aliases "Seed compatibility", not deprecated', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z]+$/.test(id ?? ''))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = Object.fromEntries(operations().map(({ op }) => [op.operationId, op]));
    expect(Object.keys(byId)).toEqual(
      expect.arrayContaining(['createBooking', 'listConsultantAvailability', 'cancelBooking', 'createHold']),
    );
    const seeds = operations().filter(({ op }) => op.tags?.includes('Seed compatibility'));
    expect(seeds.map(({ op }) => op.operationId)).toEqual(
      expect.arrayContaining(['createConsultantSeed', 'createBookingSeed']),
    );
    for (const { op } of seeds) expect(op.deprecated).toBe(false);
  });

  it('gives every property a description and an example, and every parameter and response a description', () => {
    const lacking: string[] = [];
    const visit = (schema: Schema, at: string) => {
      for (const key of ['oneOf', 'anyOf', 'allOf'] as const)
        schema[key]?.forEach((s, i) => visit(s, `${at}/${key}[${i}]`));
      if (schema.items) visit(schema.items, `${at}[]`);
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        // A reference's own schema is described where it is defined; the property still says what it holds.
        if (!property.description) lacking.push(`${at}.${name}: description`);
        const exemplified =
          property.example !== undefined ||
          property.$ref !== undefined ||
          [...(property.anyOf ?? []), ...(property.allOf ?? [])].some((s) => s.$ref) ||
          property.items?.$ref !== undefined ||
          property.items?.example !== undefined;
        if (!exemplified) lacking.push(`${at}.${name}: example`);
        visit(property, `${at}.${name}`);
      }
    };
    for (const [name, schema] of Object.entries(doc.components.schemas)) visit(schema, name);
    for (const { id, op } of operations()) {
      for (const parameter of op.parameters ?? [])
        if (!parameter.description) lacking.push(`${id} parameter ${parameter.name}: description`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (!response.description) lacking.push(`${id} ${status}: description`);
        for (const [type, media] of Object.entries(response.content ?? {}))
          if (media.schema && media.example === undefined && media.examples === undefined)
            lacking.push(`${id} ${status} ${type}: example`);
      }
    }
    expect(lacking).toEqual([]);
  });

  it("lists each error status's problem types, with an example of each carrying its real type and status", () => {
    for (const { id, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const media = response.content?.['application/problem+json'];
        const examples = Object.entries(media?.examples ?? {});
        // Each error response of each operation, by its status.
        expect({ id, status, examples: examples.length > 0 }).toEqual({ id, status, examples: true });
        const listed = media!.schema!.allOf![1].properties!.type.enum;
        expect({ id, status, types: examples.map(([, e]) => e.value.type) }).toEqual({ id, status, types: listed });
        for (const [code, example] of examples) {
          expect(example.value.type).toBe(`/problems/${code}`);
          expect(PROBLEMS[code as keyof typeof PROBLEMS].status).toBe(Number(status));
          expect(example.value.status).toBe(Number(status));
        }
      }
    }
    const booking = doc.paths['/bookings'].post.responses;
    expect(Object.keys(booking['409'].content!['application/problem+json'].examples!)).toEqual(
      expect.arrayContaining(['time-taken', 'idempotency-in-flight']),
    );
    expect(Object.keys(booking['429'].content!['application/problem+json'].examples!)).toEqual(
      expect.arrayContaining(['booking-rate', 'rate-limited', 'auth-failures']),
    );
    expect(
      Object.keys(doc.paths['/users'].post.responses['429'].content!['application/problem+json'].examples!),
    ).toContain('signup-limit');
  });

  it('declares X-Request-Id on every response, Retry-After on 429 and 503, and the rate-limit headers on successes', () => {
    for (const { id, path, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const headers = Object.keys(response.headers ?? {});
        const code = Number(status);
        const expected = [
          'X-Request-Id',
          ...(code === 429 || code === 503 ? ['Retry-After'] : []),
          ...(code < 400 && path !== '/health'
            ? ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']
            : []),
        ];
        expect({ id, status, headers }).toEqual({ id, status, headers: expect.arrayContaining(expected) });
      }
    }
  });

  it('writes whole numbers as integers, an opaque bearer scheme, and where the API is served', () => {
    expect(JSON.stringify(doc)).not.toMatch(/"type":(\["?|")number/);
    expect(doc.components.schemas.BookingDto.properties!.id.type).toBe('integer');
    expect(doc.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'opaque',
    });
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    // A public route takes no token, or a bearer one; a protected route needs the bearer.
    expect(doc.paths['/consultants'].get.security).toEqual([{}, { bearer: [] }]);
    expect(doc.paths['/bookings'].post.security).toEqual([{ bearer: [] }]);
  });

  it('documents the booking targets as one of their shapes, and each webhook event with its payload', () => {
    const target = doc.components.schemas.CreateBookingDto;
    expect(target.oneOf!.map((shape) => shape.title)).toEqual([
      'A one-time slot',
      'UTC instants',
      "The consultant's local time",
      'Any consultant of a specialization',
      'A hold',
    ]);
    expect(target.example).toEqual({ availability_id: 1 });
    expect(Object.keys(doc.webhooks ?? {}).sort()).toEqual([
      'availability.changed',
      'booking.cancelled',
      'booking.created',
      'booking.rescheduled',
    ]);
    const created = doc.webhooks!['booking.created'].post;
    expect(created.requestBody.content['application/json'].schema!.$ref).toBe('#/components/schemas/BookingEventDto');
    expect(created.parameters!.map((p) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  });
});
