import type { ArgumentMetadata } from '@nestjs/common';
import * as fc from 'fast-check';
import { appValidationPipe } from '../validation/validation.pipe';
import { DEFAULT_LIMIT, MAX_LIMIT, PageQuery, decodeCursor, encodeCursor, toPage } from './pagination';
import { DomainError, toProblem } from '../errors';

/** The problem a refused cursor answers with, thrown by decodeCursor (or undefined if it returned). */
function refusal(cursor: string, shape: Parameters<typeof decodeCursor>[1]): unknown {
  try {
    decodeCursor(cursor, shape);
  } catch (error) {
    return error instanceof DomainError ? toProblem(error) : error;
  }
  return undefined;
}

const INVALID_CURSOR = {
  type: '/problems/validation-error',
  title: 'Bad Request',
  status: 400,
  detail: 'The cursor is not valid; use next_cursor from a previous page',
  errors: [{ field: 'cursor', message: 'is not a valid cursor' }],
};

/** A cursor holding any JSON value, as a client could forge one. */
const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The list query as the global pipe hands it to a controller, or the problem it refuses it with. */
async function pageQuery(query: Record<string, string>): Promise<PageQuery | unknown> {
  const metadata: ArgumentMetadata = { type: 'query', metatype: PageQuery, data: undefined };
  try {
    return (await appValidationPipe().transform(query, metadata)) as PageQuery;
  } catch (error) {
    return error instanceof DomainError ? toProblem(error) : error;
  }
}

describe('keyset cursors', () => {
  it('decode what encode wrote, for every shape the lists use, in URL-safe characters', () => {
    const instant = fc
      .integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9998, 11, 31) })
      .map((ms) => new Date(ms).toISOString());
    const id = fc.integer({ min: 1, max: 2_147_483_647 });
    // Any UTF-16 code units, lone surrogates too, up to the 100 a string part may hold.
    const text = fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      maxLength: 100,
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(id).map((key) => ({ key, shape: ['number'] as const })),
          fc.tuple(instant, id).map((key) => ({ key, shape: ['instant', 'number'] as const })),
          fc.tuple(fc.integer({ min: 0, max: 6 }), text, id).map((key) => ({
            key,
            shape: ['number', 'string', 'number'] as const,
          })),
          fc.tuple(fc.maxSafeInteger(), text).map((key) => ({ key, shape: ['number', 'string'] as const })),
        ),
        ({ key, shape }) => {
          const cursor = encodeCursor(key);
          expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(decodeCursor(cursor, [...shape])).toStrictEqual(key);
        },
      ),
      { numRuns: 300 },
    );
    expect(decodeCursor(encodeCursor([2, '09:00:00', 17]), ['number', 'string', 'number'])).toStrictEqual([
      2,
      '09:00:00',
      17,
    ]);
  });

  it('refuse anything but a base64url JSON array of the expected shape with a 400 naming the cursor', () => {
    const cases: [string, Parameters<typeof decodeCursor>[1]][] = [
      ['', ['number']],
      ['not-a-cursor', ['number']],
      [Buffer.from('[1').toString('base64url'), ['number']],
      [forge({ id: 1 }), ['number']],
      [forge(1), ['number']],
      [forge(null), ['number']],
      [forge([]), ['number']],
      // Too few or too many parts.
      [forge([1]), ['instant', 'number']],
      [forge([1, 2]), ['number']],
      // A number part must be a safe integer: not text, a fraction, null or past 2^53.
      [forge(['1']), ['number']],
      [forge([1.5]), ['number']],
      [forge([null]), ['number']],
      [forge([2 ** 53]), ['number']],
      // A string part must be text of at most 100 characters.
      [forge([1, 7, 3]), ['number', 'string', 'number']],
      [forge([1, 'x'.repeat(101), 3]), ['number', 'string', 'number']],
      // An instant must be text that parses as a date, or it would reach the database as an invalid one.
      [forge(['yesterday', 1]), ['instant', 'number']],
      [forge(['2030-02-30T25:00:00Z', 1]), ['instant', 'number']],
      [forge([1_900_000_000_000, 1]), ['instant', 'number']],
    ];
    for (const [cursor, shape] of cases)
      expect({ cursor, problem: refusal(cursor, shape) }).toStrictEqual({
        cursor,
        problem: INVALID_CURSOR,
      });
    // The edges of what is accepted.
    expect(decodeCursor(forge([1, 'x'.repeat(100), 3]), ['number', 'string', 'number'])).toStrictEqual([
      1,
      'x'.repeat(100),
      3,
    ]);
    expect(decodeCursor(forge([Number.MAX_SAFE_INTEGER]), ['number'])).toStrictEqual([Number.MAX_SAFE_INTEGER]);
  });

  it('toPage returns limit rows and a cursor of the last one when a row more was read, else no cursor', () => {
    const rows = [10, 20, 30, 40].map((id) => ({ id, name: `c${id}` }));
    const page = toPage(
      rows,
      3,
      (r) => r.name,
      (r) => [r.id],
    );
    expect(page.data).toStrictEqual(['c10', 'c20', 'c30']);
    expect(decodeCursor(page.next_cursor!, ['number'])).toStrictEqual([30]);
    for (const last of [rows.slice(0, 3), rows.slice(0, 2), []]) {
      expect(
        toPage(
          last,
          3,
          (r) => r.name,
          (r) => [r.id],
        ),
      ).toStrictEqual({ data: last.map((r) => r.name), next_cursor: null });
    }
  });
});

describe('list query (limit and cursor)', () => {
  it('takes a limit from 1 to MAX_LIMIT as a number, and leaves it out when absent', async () => {
    expect(MAX_LIMIT).toBe(200);
    // The default is itself a limit a client may send.
    for (const limit of [1, DEFAULT_LIMIT, MAX_LIMIT]) {
      const query = await pageQuery({ limit: String(limit) });
      expect(query).toBeInstanceOf(PageQuery);
      expect(query).toMatchObject({ limit });
    }
    const none = await pageQuery({});
    expect(none).toBeInstanceOf(PageQuery);
    expect((none as PageQuery).limit).toBeUndefined();
  });

  it('refuses a limit out of bounds or not an integer, naming the field', async () => {
    const refused = (message: string) => ({
      type: '/problems/validation-error',
      title: 'Bad Request',
      status: 400,
      detail: '1 field is invalid: limit',
      errors: [{ field: 'limit', message }],
    });
    expect(await pageQuery({ limit: '0' })).toStrictEqual(refused('must not be less than 1'));
    expect(await pageQuery({ limit: '-5' })).toStrictEqual(refused('must not be less than 1'));
    expect(await pageQuery({ limit: String(MAX_LIMIT + 1) })).toStrictEqual(
      refused(`must not be greater than ${MAX_LIMIT}`),
    );
    for (const limit of ['abc', '1.5', '1e2', '', ' 5'])
      expect({ limit, problem: await pageQuery({ limit }) }).toStrictEqual({
        limit,
        problem: refused('must be an integer number'),
      });
  });

  it('takes only cursors in the URL-safe alphabet encodeCursor writes, up to 200 characters', async () => {
    const cursor = encodeCursor(['2030-01-07T09:00:00.000Z', 12]);
    expect(await pageQuery({ cursor })).toMatchObject({ cursor });
    expect(await pageQuery({ cursor: 'a'.repeat(200) })).toMatchObject({ cursor: 'a'.repeat(200) });
    for (const bad of ['', 'a'.repeat(201), 'WzUwXQ==', 'a+b/c', 'a b']) {
      expect({ bad, problem: await pageQuery({ cursor: bad }) }).toStrictEqual({
        bad,
        problem: {
          type: '/problems/validation-error',
          title: 'Bad Request',
          status: 400,
          detail: '1 field is invalid: cursor',
          errors: [{ field: 'cursor', message: 'must be a next_cursor value from a previous page' }],
        },
      });
    }
  });
});
