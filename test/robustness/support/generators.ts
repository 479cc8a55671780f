/**
 * fast-check arbitraries for requests, built from the OpenAPI document's schemas. A request is
 * generated as a template: ids are symbolic `Ref`s into pools of rows that exist when the
 * request is sent (the run creates and deletes rows as it goes), so generation stays pure.
 */
import fc from 'fast-check';
import { type OpenApiDocument, type Operation, type Parameter, resolve, type Schema } from './openapi';

export type PoolName = 'consultant' | 'user' | 'slot' | 'rule' | 'booking' | 'cursor';

/** An id (or cursor) taken from a pool at send time; `pick` chooses which, and whether to stay coherent with the path. */
export class Ref {
  constructor(
    readonly pool: PoolName,
    readonly pick: number,
  ) {}
}

export type Principal =
  'admin' | 'owner' | 'other-consultant' | 'party-user' | 'other-user' | 'none' | 'forged' | 'malformed';

export interface Template {
  op: Operation;
  principal: Principal;
  /** path parameter → Ref, or a raw (already URL-safe or deliberately broken) segment */
  path: Record<string, Ref | { raw: string }>;
  query: [string, unknown][];
  headers: Record<string, string>;
  /**
   * `value` is encoded at send time, once its Refs are resolved: as JSON, or as a form when the
   * content type says so; `raw` is sent as it is. `contentType` overrides application/json.
   */
  body?: { value?: unknown; raw?: string; contentType?: string };
  /** What was done to make the request invalid, if anything. */
  mutations: string[];
  /** The request breaks the contract for certain: any 2xx answer to it is a failure. */
  mustRefuse: boolean;
  /** The body and path are well-formed, so the auth guard decides (401 for a missing or bad token). */
  reachesGuard: boolean;
}

// ---------------------------------------------------------------- values

export const BASE_DATE = '2031-03-03'; // a Monday, years ahead: bookable
export const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const pad = (n: number) => String(n).padStart(2, '0');
const nearDate = fc.integer({ min: 0, max: 13 }).map((d) => addDays(BASE_DATE, d));
const time = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 7, max: 19 }).map((h) => `${pad(h)}:00`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
      .map(([h, m]) => `${pad(h)}:${pad(m)}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }))
      .map(([h, m, s]) => `${pad(h)}:${pad(m)}:${pad(s)}`),
  },
);
const offset = fc.constantFrom('Z', 'Z', 'Z', '+00:00', '+02:00', '-05:00', '+05:30', '+14:00', '-12:00');
const instant = fc.tuple(nearDate, time, offset).map(([d, t, o]) => `${d}T${t.length === 5 ? `${t}:00` : t}${o}`);

export const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'America/St_Johns',
  'Asia/Kathmandu',
  'Etc/GMT+12',
  'Pacific/Apia',
  'America/Sao_Paulo',
];
const NASTY = [
  "Robert'); DROP TABLE consultants;--",
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '%s%s%n',
  '../../etc/passwd',
  'Zoë Ω≈ç√ 你好',
  '👩‍👩‍👧‍👦🏳️‍🌈',
  '\u202Egnp.exe',
  'null',
  'undefined',
  '0',
  '  padded  ',
  'x'.repeat(50),
  'ﷺ',
  '\uFEFFbom',
];
const nameText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('Ann', 'Bo', 'Chen', 'Dana', "O'Neil", 'José', 'Łukasz') },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 50, unit: 'grapheme' }) },
);
const specialization = fc.oneof(
  fc.constantFrom('cardiology', 'dermatology', 'tax', 'law'),
  fc.constantFrom(...NASTY),
  fc.string({ minLength: 1, maxLength: 100, unit: 'grapheme' }),
);

// Invalid on purpose; each is refused by the contract.
export const BAD_DATES = [
  '2031-02-30',
  '2031-13-01',
  '2031-00-10',
  '2031-04-31',
  '2030-02-29',
  '0000-00-00',
  '31-03-2031',
  '2031-3-3',
  '20310303',
  '2031/03/03',
  '2031-03-03T10:00:00Z',
  '+002031-03-03',
  '99999-01-01',
  '',
  ' 2031-03-03',
  '2031-03-03\n',
  'today',
  '２０３１-０３-０３',
  '1e3',
];
/** Valid by the contract, at the edges of what a date can be. */
const EDGE_DATES = ['0000-01-01', '0001-01-01', '1582-10-10', '1970-01-01', '2032-02-29', '9999-12-31', '2038-01-19'];
export const BAD_TIMES = [
  '24:00',
  '23:60',
  '9:00',
  '09:0',
  '09:00:60',
  '25:00:00',
  '-01:00',
  '09:00:00.000',
  '09h00',
  '',
  ' 09:00',
  '09:00 ',
  '０９:００',
  '99:99',
  '0900',
  '09:00:00:00',
  'noon',
];
const EDGE_TIMES = ['00:00', '00:00:00', '23:59', '23:59:59', '12:00:00'];
export const BAD_INSTANTS = [
  '2031-03-03T09:00:00',
  '2031-03-03T25:00:00Z',
  '2031-02-30T09:00:00Z',
  '2031-03-03 09:00',
  '2031-03-03T09:00:00+25:00',
  '+275760-09-13T00:00:00.001Z',
  '-271821-04-20T00:00:00Z',
  'now',
  '1e10',
  '',
  '2031-03-03',
  'T09:00Z',
];
const EDGE_INSTANTS = [
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999Z',
  '1970-01-01T00:00:00Z',
  '2031-03-03T09:00:00+14:00',
  '2031-03-03T09:00:00-12:00',
  '2031-03-03t09:00:00z',
];
export const BAD_ZONES = [
  'Mars/Olympus',
  '+05:00',
  'UTC+1',
  '../../etc/passwd',
  '',
  'Europe/Berlin\u0000',
  'Europe/',
  'x'.repeat(300),
];
const WRONG_TYPES: unknown[] = [0, 1, -1, 1.5, true, false, [], {}, ['x'], { a: 1 }, 'x'];
const UNKNOWN_FIELDS = [
  'is_booked',
  'status',
  'user_id',
  'id',
  'role',
  'consultant_id',
  'api_token',
  'api_token_hash',
  'created_at',
  'updated_at',
  'is_admin',
  'sequence',
  'constructor',
  'toString',
  'hasOwnProperty',
];
/** Path segments that are not ids: each a 400 (or the guard's 401/403 first). */
export const BAD_SEGMENTS = [
  'abc',
  '0',
  '-1',
  '1.5',
  '1e3',
  '00000000001',
  '2147483648',
  '9999999999',
  '%20',
  '%00',
  '1%2F2',
  '%D9%A1',
  '0x1F',
  '%2B1',
  '1%20',
  "1'",
  '1%3B',
  'null',
  'undefined',
  'a'.repeat(101),
  '9'.repeat(120),
  '%E0%A4%A',
  '%',
];

// ---------------------------------------------------------------- schema → values

/** Which pool an id-valued field or parameter points into. */
export function poolOf(name: string, path: string, inPath = false): PoolName | undefined {
  if (name === 'consultant_id') return 'consultant';
  if (name === 'user_id') return 'user';
  if (name === 'availability_id' || name === 'slot_id') return 'slot';
  if (name === 'rule_id') return 'rule';
  if (name === 'cursor') return 'cursor';
  if (name === 'id') {
    // The only `id` field in a body or query is the seed's slot id (DELETE /consultant/{id}/availability).
    if (!inPath) return 'slot';
    if (/^\/users\//.test(path)) return 'user';
    if (/^\/bookings\//.test(path)) return 'booking';
    return 'consultant';
  }
  return undefined;
}

const ref = (pool: PoolName) => fc.nat({ max: 999_999 }).map((pick) => new Ref(pool, pick));

/** A value the document (and API.md) allow for this field. */
export function validValue(
  doc: OpenApiDocument,
  schema: Schema,
  name: string,
  path: string,
  inQuery = false,
): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  const pool = poolOf(name, path, false);
  if (pool)
    return pool === 'cursor'
      ? ref('cursor')
      : fc.oneof(
          { weight: 9, arbitrary: ref(pool) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_147_483_647 }) },
        );
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (name) {
    case 'first_name':
    case 'last_name':
      return nameText;
    case 'timezone':
      return fc.constantFrom(...ZONES);
    case 'specialization':
      return specialization;
    case 'date':
    case 'valid_from':
    case 'valid_until':
      return fc.oneof({ weight: 9, arbitrary: nearDate }, { weight: 1, arbitrary: fc.constantFrom(...EDGE_DATES) });
    case 'start_time':
    case 'end_time':
      return fc.oneof({ weight: 9, arbitrary: time }, { weight: 1, arbitrary: fc.constantFrom(...EDGE_TIMES) });
    case 'start':
    case 'end':
      return inQuery ? fc.oneof(nearDate, instant) : instant;
    case 'from':
    case 'to':
      return fc.oneof(nearDate, instant);
    case 'day_of_week':
      return fc.integer({ min: 0, max: 6 });
    case 'limit':
      return fc.oneof(fc.constantFrom(1, 2, 50, 200), fc.integer({ min: 1, max: 200 }));
    case 'year':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constant(2031) },
        { weight: 1, arbitrary: fc.constantFrom(1971, 2030, 9998) },
      );
    case 'month':
      return fc.integer({ min: 1, max: 12 });
    case 'slot_minutes':
      return fc.oneof(fc.constantFrom(15, 30, 60), fc.integer({ min: 5, max: 1440 }));
  }
  switch (s.type) {
    case 'string':
      if (s.format === 'date') return nearDate;
      if (s.format === 'date-time') return instant;
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 20, 20) });
    case 'number':
    case 'integer':
      return fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? 1000 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validValue(doc, s.items ?? {}, name, path), { maxLength: Math.min(s.maxItems ?? 8, 8) });
    case 'object':
      return validObject(doc, s, path);
    default:
      return fc.constant(null);
  }
}

export function validObject(doc: OpenApiDocument, schema: Schema, path: string): fc.Arbitrary<Record<string, unknown>> {
  const s = resolve(doc, schema);
  // A body of several shapes (booking targets): one of them, as the document lists them.
  if (s.oneOf) return fc.constantFrom(...s.oneOf).chain((shape) => validObject(doc, shape, path));
  const props = Object.keys(s.properties ?? {});
  const required = s.required ?? [];
  const model = Object.fromEntries(props.map((p) => [p, validValue(doc, s.properties![p], p, path)]));
  return fc.record(model, { requiredKeys: required });
}

interface Bad {
  value: unknown;
  label: string;
  /** false: odd but within the contract (an edge value, or null on an optional field) */
  refuse: boolean;
}

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const bad =
  (label: string, refuse = true) =>
  (value: unknown): Bad => ({ value, label, refuse });

/** A value that breaks the field's contract (or sits at its edge, with refuse=false). */
export function invalidValue(doc: OpenApiDocument, schema: Schema, name: string, required: boolean): fc.Arbitrary<Bad> {
  const s = resolve(doc, schema);
  const wrong = WRONG_TYPES.filter((v) =>
    s.type === 'number' || s.type === 'integer'
      ? typeof v !== 'number' || !Number.isInteger(v)
      : s.type === 'array'
        ? !Array.isArray(v) || v.length > 0
        : kindOf(v) !== s.type,
  );
  const options: fc.Arbitrary<Bad>[] = [fc.constantFrom(...wrong).map(bad('wrong-type'))];
  // null on an optional field may mean "not given" or "clear it": only a required one must be refused.
  options.push(fc.constant({ value: null, label: 'null', refuse: required }));
  if (s.type === 'string') {
    options.push(
      fc.constantFrom(5_000, 100_000).map((n) => ({ value: 'x'.repeat(n), label: `oversized-${n}`, refuse: true })),
    );
    if (s.maxLength !== undefined)
      options.push(fc.constant({ value: 'y'.repeat(s.maxLength + 1), label: 'too-long', refuse: true }));
    if (s.enum)
      options.push(
        fc
          .constantFrom('mon', 'MON', 'Monday', '7', '', 'Mon ', 'TRUE', 'CONFIRMED')
          .filter((v) => !s.enum!.includes(v))
          .map(bad('not-in-enum')),
      );
    if (s.format === 'date' || ['date', 'valid_from', 'valid_until'].includes(name)) {
      options.push(
        fc.constantFrom(...BAD_DATES).map(bad('bad-date')),
        fc.constantFrom(...EDGE_DATES).map(bad('edge-date', false)),
      );
      options.push(
        fc
          .tuple(
            fc.integer({ min: 1000, max: 9999 }),
            fc.integer({ min: 13, max: 99 }),
            fc.integer({ min: 1, max: 28 }),
          )
          .map(([y, m, d]) => bad('bad-month')(`${y}-${m}-${pad(d)}`)),
      );
    }
    if (s.pattern?.includes(':') || ['start_time', 'end_time'].includes(name))
      options.push(
        fc.constantFrom(...BAD_TIMES).map(bad('bad-time')),
        fc.constantFrom(...EDGE_TIMES).map(bad('edge-time', false)),
      );
    if (s.format === 'date-time' || ['start', 'end'].includes(name))
      options.push(
        fc.constantFrom(...BAD_INSTANTS).map(bad('bad-instant')),
        fc.constantFrom(...EDGE_INSTANTS).map(bad('edge-instant', false)),
      );
    if (name === 'timezone') options.push(fc.constantFrom(...BAD_ZONES).map(bad('bad-zone')));
    if (name === 'first_name' || name === 'last_name')
      options.push(fc.constantFrom('', '   ', 'a\u0000b', 'tab\there', 'line\nbreak').map(bad('bad-name')));
    if (name === 'specialization') options.push(fc.constantFrom('', 'bell\u0007').map(bad('bad-specialization')));
  }
  if (s.type === 'number' || s.type === 'integer') {
    const min = s.minimum ?? (name.endsWith('id') ? 1 : undefined);
    const max = s.maximum;
    const out = [
      1.5,
      2 ** 53 + 2,
      1e308,
      -1e308,
      ...(min !== undefined ? [min - 1] : []),
      ...(max !== undefined ? [max + 1] : []),
    ];
    options.push(fc.constantFrom(...out).map(bad('out-of-range')));
    options.push(fc.constantFrom('1', '0x10', '1e3', '').map(bad('numeric-string')));
  }
  if (s.type === 'boolean') options.push(fc.constantFrom('true', 'false', 1, 0, 'yes').map(bad('boolean-string')));
  if (s.type === 'array') {
    options.push(fc.constantFrom({}, 'x', 1).map(bad('not-an-array')));
    if (s.maxItems !== undefined) {
      const item = resolve(doc, s.items ?? {});
      options.push(
        fc.constant({
          value: Array.from({ length: s.maxItems + 1 }, (_, i) =>
            item.type === 'object' ? { day_of_week: i % 7, start_time: '09:00', end_time: '10:00' } : 1,
          ),
          label: 'too-many-items',
          refuse: true,
        }),
      );
    }
  }
  return fc.oneof(...options);
}

// ---------------------------------------------------------------- bodies

interface BodyCase {
  body?: Template['body'];
  mutations: string[];
  mustRefuse: boolean;
  wellFormed: boolean;
}

function bodyArb(doc: OpenApiDocument, op: Operation): fc.Arbitrary<BodyCase> {
  const schema = resolve(doc, op.body!);
  const props = Object.keys(schema.properties ?? {});
  const required = schema.required ?? [];
  const valid = validObject(doc, schema, op.path);
  const ok = (value: unknown, mutations: string[] = [], mustRefuse = false): BodyCase => ({
    body: { value },
    mutations,
    mustRefuse,
    wellFormed: true,
  });
  const cases: { weight: number; arbitrary: fc.Arbitrary<BodyCase> }[] = [
    { weight: 20, arbitrary: valid.map((v) => ok(v)) },
  ];
  if (required.length) {
    cases.push({
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...required))
        .map(([v, field]) =>
          ok(Object.fromEntries(Object.entries(v).filter(([k]) => k !== field)), [`missing:${field}`], true),
        ),
    });
  }
  if (props.length) {
    const fieldInvalid = fc
      .constantFrom(...props)
      .chain((field) =>
        fc
          .tuple(valid, invalidValue(doc, schema.properties![field], field, required.includes(field)))
          .map(([v, b]) => ok({ ...v, [field]: b.value }, [`${b.label}:${field}`], b.refuse)),
      );
    cases.push({ weight: 6, arbitrary: fieldInvalid });
  }
  // An array of objects (the weekly schedule): break one entry.
  const arrays = props.filter((p) => resolve(doc, schema.properties![p]).type === 'array');
  for (const field of arrays) {
    const items = resolve(doc, resolve(doc, schema.properties![field]).items ?? {});
    const itemProps = Object.keys(items.properties ?? {});
    if (!itemProps.length) continue;
    cases.push({
      weight: 3,
      arbitrary: fc
        .tuple(
          validObject(doc, items, op.path),
          fc.array(validObject(doc, items, op.path), { maxLength: 4 }),
          fc.constantFrom(...itemProps),
        )
        .chain(([item, others, key]) =>
          fc.oneof(
            invalidValue(doc, items.properties![key], key, (items.required ?? []).includes(key)).map((b) =>
              ok({ [field]: [...others, { ...item, [key]: b.value }] }, [`${b.label}:${field}[].${key}`], b.refuse),
            ),
            fc
              .constantFrom(...UNKNOWN_FIELDS.filter((u) => !itemProps.includes(u)))
              .map((u) => ok({ [field]: [...others, { ...item, [u]: 1 }] }, [`unknown:${field}[].${u}`], true)),
          ),
        ),
    });
  }
  cases.push({
    weight: 3,
    arbitrary: fc
      .tuple(
        valid,
        fc.constantFrom(...UNKNOWN_FIELDS.filter((u) => !props.includes(u))),
        fc.constantFrom<unknown>(true, 1, 'x', null, { nested: true }, [1]),
      )
      .map(([v, key, value]) => ok({ ...v, [key]: value }, [`unknown:${key}`], true)),
  });
  // Not an object at all. `null` becomes {} in Nest's pipe, which an all-optional DTO accepts.
  cases.push({
    weight: 1,
    arbitrary: fc.constantFrom<unknown>([], [{}], 'text', 42, true).map((v) => ok(v, ['not-an-object'], true)),
  });
  cases.push({ weight: 1, arbitrary: fc.constant(ok(null, ['null-body'], required.length > 0)) });
  cases.push({
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '{',
        '{"a":',
        '[1,',
        '{"first_name": "x",}',
        "{'a': 1}",
        'nul',
        '{"a":1}{"b":2}',
        '\u0000',
        '{"__proto__": {"admin": true}}',
        '{"constructor": {"prototype": {"admin": true}}}',
      )
      .map((raw): BodyCase => ({
        body: { raw, contentType: 'application/json' },
        mutations: ['malformed-json'],
        mustRefuse: true,
        wellFormed: false,
      })),
  });
  cases.push({
    weight: 1,
    arbitrary: fc
      .tuple(
        valid,
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'application/json; charset=utf-8',
          'application/vnd.api+json',
          '',
        ),
      )
      .map(([v, contentType]): BodyCase => ({
        body: { value: v, contentType },
        mutations: [`content-type:${contentType || 'none'}`],
        mustRefuse: false,
        wellFormed: false,
      })),
  });
  cases.push({
    weight: 1,
    arbitrary: fc.constant<BodyCase>({
      body: undefined,
      mutations: ['no-body'],
      mustRefuse: required.length > 0,
      wellFormed: true,
    }),
  });
  return fc.oneof(...cases);
}

// ---------------------------------------------------------------- queries

/** Query parameters every paginated list takes (whether or not the document says so). */
const PAGE_PARAMS: Parameter[] = [
  { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200 } },
  { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
];

function queryParams(doc: OpenApiDocument, op: Operation): Parameter[] {
  const params = op.parameters.filter((p) => p.in === 'query');
  const ok = op.responses['200']?.content['application/json'];
  const paginated = ok && JSON.stringify(resolve(doc, ok)).includes('next_cursor');
  for (const p of paginated ? PAGE_PARAMS : []) if (!params.some((q) => q.name === p.name)) params.push(p);
  return params;
}

const BAD_QUERY: Record<string, string[]> = {
  number: ['abc', '1.5', '-1', '0', '1e3', '0x10', '', '99999999999', '%201', '1,2'],
  date: [...BAD_DATES.filter((d) => d !== '2031-03-03T10:00:00Z'), ...BAD_INSTANTS.filter((i) => i !== '2031-03-03')],
  enum: ['TRUE', '1', 'yes', '', 'confirmed ', 'maybe'],
  text: ['', 'x'.repeat(101), 'bell\u0007'],
  cursor: [
    'abc',
    'bm90LWpzb24',
    'W10',
    'WyJ4Il0',
    'x'.repeat(201),
    '!!',
    'WzEsMiwzXQ',
    'WyItMjcxODIxLTA0LTIwVDAwOjAwOjAwWiIsMV0',
  ],
};

function badQueryValue(p: Parameter): fc.Arbitrary<string> {
  const s = p.schema;
  if (p.name === 'cursor') return fc.constantFrom(...BAD_QUERY.cursor);
  if (s.enum) return fc.constantFrom(...BAD_QUERY.enum.filter((v) => !s.enum!.includes(v)));
  if (s.type === 'number' || s.type === 'integer')
    return fc.constantFrom(
      ...BAD_QUERY.number,
      ...(s.minimum !== undefined ? [String(s.minimum - 1)] : []),
      ...(s.maximum !== undefined ? [String(s.maximum + 1)] : []),
    );
  if (['from', 'to', 'start', 'end'].includes(p.name)) return fc.constantFrom(...BAD_QUERY.date);
  return fc.constantFrom(...BAD_QUERY.text);
}

/** Parameters the document does not bound but the contract does. */
const QUERY_BOUNDS: Record<string, [number, number]> = {
  year: [1971, 9998],
  month: [1, 12],
  slot_minutes: [5, 1440],
  limit: [1, 200],
};

function queryArb(
  doc: OpenApiDocument,
  op: Operation,
): fc.Arbitrary<{ query: [string, unknown][]; mutations: string[]; mustRefuse: boolean }> {
  const params = queryParams(doc, op).map((p) =>
    QUERY_BOUNDS[p.name]
      ? { ...p, schema: { ...p.schema, minimum: QUERY_BOUNDS[p.name][0], maximum: QUERY_BOUNDS[p.name][1] } }
      : p,
  );
  const hasQueryDto = params.length > 0;
  type One = { entries: [string, unknown][]; mutation?: string; refuse: boolean };
  const perParam = params.map((p): fc.Arbitrary<One> => {
    const valid = validValue(doc, p.schema, p.name, op.path, true).map((v): One => ({
      entries: [[p.name, v]],
      refuse: false,
    }));
    const invalid = badQueryValue(p).map((v): One => ({
      entries: [[p.name, v]],
      mutation: `bad-query:${p.name}`,
      refuse: true,
    }));
    const absent = fc.constant<One>({
      entries: [],
      mutation: p.required ? `missing-query:${p.name}` : undefined,
      refuse: p.required,
    });
    return p.required
      ? fc.oneof({ weight: 17, arbitrary: valid }, { weight: 2, arbitrary: invalid }, { weight: 1, arbitrary: absent })
      : fc.oneof({ weight: 10, arbitrary: absent }, { weight: 8, arbitrary: valid }, { weight: 1, arbitrary: invalid });
  });
  const extra = fc.oneof(
    { weight: 12, arbitrary: fc.constant<One>({ entries: [], refuse: false }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('foo', 'is_admin', 'id', 'role', '__proto__', 'constructor').map((k): One => ({
        entries: [[k, '1']],
        mutation: `unknown-query:${k}`,
        refuse: hasQueryDto && k !== '__proto__' && k !== 'constructor',
      })),
    },
    ...(params.length
      ? [
          {
            weight: 1,
            arbitrary: fc.constantFrom(...params).map((p): One => ({
              entries: [
                [p.name, '1'],
                [p.name, '2'],
              ],
              mutation: `repeated-query:${p.name}`,
              refuse: true,
            })),
          },
        ]
      : []),
  );
  return fc.tuple(fc.tuple(...perParam), extra).map(([ones, more]) => {
    const all = [...ones, more];
    return {
      query: all.flatMap((o) => o.entries),
      mutations: all.flatMap((o) => (o.mutation ? [o.mutation] : [])),
      mustRefuse: all.some((o) => o.refuse),
    };
  });
}

// ---------------------------------------------------------------- whole requests

export function requestArb(doc: OpenApiDocument, op: Operation): fc.Arbitrary<Template> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const pathArb = fc.tuple(
    ...pathParams.map((p) =>
      fc.oneof(
        {
          weight: 9,
          arbitrary:
            p.name === 'date'
              ? fc.oneof(nearDate, fc.constantFrom(...EDGE_DATES)).map((raw) => ({ raw, bad: false }))
              : ref(poolOf(p.name, op.path, true)!).map((r) => ({ ref: r, bad: false })),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(...(p.name === 'date' ? BAD_DATES.map(encodeURIComponent).filter(Boolean) : BAD_SEGMENTS))
            .map((raw) => ({ raw, bad: true })),
        },
      ),
    ),
  );
  const idempotency = op.parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')
    ? fc.oneof(
        { weight: 6, arbitrary: fc.constant<[Record<string, string>, boolean]>([{}, false]) },
        {
          weight: 3,
          arbitrary: fc
            .constantFrom('k-1', 'k-2', 'k-3', 'b7d6c0e2-4a8f-4a55-9e4e-2f1b1c9d0a11')
            .map((k): [Record<string, string>, boolean] => [{ 'idempotency-key': k }, false]),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom('', 'has space', 'k'.repeat(256))
            .map((k): [Record<string, string>, boolean] => [{ 'idempotency-key': k }, true]),
        },
      )
    : fc.constant<[Record<string, string>, boolean]>([{}, false]);
  const principal = fc.oneof(
    { weight: 4, arbitrary: fc.constant<Principal>('admin') },
    { weight: 5, arbitrary: fc.constant<Principal>('owner') },
    { weight: 4, arbitrary: fc.constant<Principal>('party-user') },
    { weight: 1, arbitrary: fc.constantFrom<Principal>('other-consultant', 'other-user') },
    { weight: 2, arbitrary: fc.constantFrom<Principal>('none', 'none', 'forged', 'malformed') },
  );
  const body = op.body
    ? bodyArb(doc, op)
    : fc.constant<BodyCase>({ mutations: [], mustRefuse: false, wellFormed: true });
  return fc
    .tuple(pathArb, queryArb(doc, op), body, principal, idempotency)
    .map(([path, q, b, who, [headers, badKey]]) => {
      const badPath = path.some((p) => p.bad);
      return {
        op,
        principal: who,
        path: Object.fromEntries(
          pathParams.map((p, i) => [p.name, 'ref' in path[i] ? path[i].ref! : { raw: path[i].raw! }]),
        ),
        query: q.query,
        headers,
        body: b.body,
        mutations: [
          ...(badPath ? ['bad-path'] : []),
          ...q.mutations,
          ...b.mutations,
          ...(badKey ? ['bad-idempotency-key'] : []),
        ],
        mustRefuse: badPath || q.mustRefuse || b.mustRefuse || badKey,
        reachesGuard: !badPath && b.wellFormed,
      };
    });
}
