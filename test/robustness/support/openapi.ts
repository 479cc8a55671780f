/**
 * The OpenAPI document as the robustness suites use it: the operations it lists, and a checker
 * for the part of JSON Schema the document uses (type, nullable, enum, $ref, properties,
 * required, items, bounds, pattern, format). Response objects are checked strictly: a property
 * the document does not list is an error, so a leaked field (a token, a user id) is caught.
 */

export interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  additionalProperties?: boolean | Schema;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface ResponseSpec {
  /** media type → schema (undefined when the media type has none) */
  content: Record<string, Schema | undefined>;
}

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  id: string;
  parameters: Parameter[];
  body?: Schema;
  secured: boolean;
  responses: Record<string, ResponseSpec>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, Schema> };
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const responses: Record<string, ResponseSpec> = {};
      for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
        responses[status] = {
          content: Object.fromEntries(Object.entries<any>(r.content ?? {}).map(([type, c]) => [type, c.schema])),
        };
      }
      ops.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        id: `${method.toUpperCase()} ${path}`,
        parameters: (op.parameters ?? []).map((p: any) => ({
          name: p.name,
          in: p.in,
          required: !!p.required,
          schema: p.schema ?? {},
        })),
        body: op.requestBody?.content?.['application/json']?.schema,
        // `{}` among the alternatives: the token is optional (a public route).
        secured:
          Array.isArray(op.security) &&
          op.security.length > 0 &&
          !op.security.some((alternative: object) => Object.keys(alternative).length === 0),
        responses,
      });
    }
  }
  return ops;
}

export function resolve(doc: OpenApiDocument, schema: Schema): Schema {
  let s = schema;
  for (let hops = 0; s.$ref; hops++) {
    if (hops > 20) throw new Error(`$ref cycle at ${schema.$ref}`);
    const name = s.$ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    if (!target) throw new Error(`unresolved $ref ${s.$ref}`);
    s = target;
  }
  // OpenAPI 3.1 writes a nullable field as `type: [t, 'null']`, or `anyOf: [schema, {type: 'null'}]`
  // around a reference; the checker and the generators read it as 3.0's `nullable`.
  const types = s.type as string | string[] | undefined;
  if (Array.isArray(types)) return { ...s, type: types.find((t) => t !== 'null'), nullable: types.includes('null') };
  const inner =
    s.anyOf?.length === 2 && s.anyOf.some((o) => o.type === 'null') && s.anyOf.find((o) => o.type !== 'null');
  if (inner) return { ...resolve(doc, inner), nullable: true };
  // A body of several shapes offers the union of their fields to whoever reads fields; `oneOf`
  // still decides what conforms.
  if (s.oneOf && !s.properties)
    return {
      ...s,
      type: 'object',
      properties: Object.assign({}, ...s.oneOf.map((shape) => resolve(doc, shape).properties)),
    };
  return s;
}

/** Instants are returned in UTC with Z (API.md, Conventions). */
const INSTANT_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * What API.md promises about fields by name, beyond what the document writes down: instants in
 * UTC with Z, dates as YYYY-MM-DD, wall-clock times as HH:MM:SS on output.
 */
const CONTRACT_FORMATS: Record<string, RegExp> = {
  start: INSTANT_Z,
  end: INSTANT_Z,
  created_at: INSTANT_Z,
  date: DATE,
  valid_from: DATE,
  valid_until: DATE,
  start_time: /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/,
  end_time: /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/,
};

/** Every way `value` departs from `schema`; empty when it conforms. */
export function checkSchema(doc: OpenApiDocument, value: unknown, schema: Schema, at = '$', name?: string): string[] {
  const s = resolve(doc, schema);
  if (value === null) return s.nullable || s.type === undefined ? [] : [`${at}: null but not nullable`];
  // The parts of an allOf describe one object together (a problem, and the types its operation
  // lists): checked as one, so each part's fields are known to the others.
  if (s.allOf) {
    const parts = s.allOf.map((part) => resolve(doc, part));
    return checkSchema(
      doc,
      value,
      parts.reduce<Schema>(
        (whole, part) => ({
          ...whole,
          ...part,
          properties: { ...whole.properties, ...part.properties },
          required: [...(whole.required ?? []), ...(part.required ?? [])],
        }),
        {},
      ),
      at,
      name,
    );
  }
  if (s.oneOf || s.anyOf) {
    const options = (s.oneOf ?? s.anyOf)!;
    return options.some((o) => checkSchema(doc, value, o, at, name).length === 0)
      ? []
      : [`${at}: matches none of ${options.length} alternatives`];
  }
  const errors: string[] = [];
  if (s.enum && !s.enum.includes(value))
    errors.push(`${at}: ${JSON.stringify(value)} not in enum ${JSON.stringify(s.enum)}`);
  switch (s.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected object, got ${kind(value)}`];
      const obj = value as Record<string, unknown>;
      for (const key of s.required ?? []) if (!(key in obj)) errors.push(`${at}.${key}: required but missing`);
      for (const [key, v] of Object.entries(obj)) {
        const prop = s.properties?.[key];
        if (prop) errors.push(...checkSchema(doc, v, prop, `${at}.${key}`, key));
        else if (s.additionalProperties === undefined || s.additionalProperties === false)
          errors.push(`${at}.${key}: not in the document`);
        else if (typeof s.additionalProperties === 'object')
          errors.push(...checkSchema(doc, v, s.additionalProperties, `${at}.${key}`));
      }
      break;
    }
    case 'array':
      if (!Array.isArray(value)) return [`${at}: expected array, got ${kind(value)}`];
      if (s.minItems !== undefined && value.length < s.minItems) errors.push(`${at}: fewer than ${s.minItems} items`);
      if (s.maxItems !== undefined && value.length > s.maxItems) errors.push(`${at}: more than ${s.maxItems} items`);
      if (s.items) value.forEach((v, i) => errors.push(...checkSchema(doc, v, s.items!, `${at}[${i}]`)));
      break;
    case 'string':
      if (typeof value !== 'string') return [`${at}: expected string, got ${kind(value)}`];
      if (s.minLength !== undefined && value.length < s.minLength) errors.push(`${at}: shorter than ${s.minLength}`);
      if (s.maxLength !== undefined && value.length > s.maxLength) errors.push(`${at}: longer than ${s.maxLength}`);
      if (s.pattern && !new RegExp(s.pattern, 'u').test(value))
        errors.push(`${at}: ${JSON.stringify(value)} does not match ${s.pattern}`);
      if (s.format === 'date-time' && Number.isNaN(Date.parse(value)))
        errors.push(`${at}: ${JSON.stringify(value)} is not a date-time`);
      if (s.format === 'date' && !DATE.test(value)) errors.push(`${at}: ${JSON.stringify(value)} is not a date`);
      if (name && CONTRACT_FORMATS[name] && !CONTRACT_FORMATS[name].test(value))
        errors.push(`${at}: ${JSON.stringify(value)} breaks the contract format of ${name}`);
      break;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`${at}: expected number, got ${kind(value)}`];
      if (s.type === 'integer' && !Number.isInteger(value)) errors.push(`${at}: ${value} is not an integer`);
      if (s.minimum !== undefined && value < s.minimum) errors.push(`${at}: ${value} < minimum ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) errors.push(`${at}: ${value} > maximum ${s.maximum}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return [`${at}: expected boolean, got ${kind(value)}`];
      break;
    case undefined:
      break;
    default:
      errors.push(`${at}: schema type ${s.type} is not supported by this checker`);
  }
  return errors;
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
