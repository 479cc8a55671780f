import { ForbiddenException, HttpException, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { QueryFailedError } from 'typeorm';
import { conflict, DomainError, invalidFields, notFound } from './domain-error';
import { PROBLEMS } from './problem-catalogue';
import { toProblem } from './problem-translator';

/** A failed query as TypeORM throws it: the driver's error, with its SQLSTATE, inside. */
const queryFailed = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new QueryFailedError('INSERT INTO bookings …', [], Object.assign(new Error(message), { code, ...extra }));

/** An error of Fastify's own, as its body parser throws it. */
const fastifyError = (statusCode: number) =>
  Object.assign(new Error('refused by Fastify'), { name: 'FastifyError', statusCode, code: 'FST_ERR_SOMETHING' });

const problem = (status: number, title: string, slug: string, detail: string) => ({
  type: `/problems/${slug}`,
  title,
  status,
  detail,
});
const INTERNAL = problem(
  500,
  'Internal Server Error',
  'internal-error',
  'Something went wrong on our side; it has been logged.',
);
const UNAVAILABLE = problem(
  503,
  'Service Unavailable',
  'database-unavailable',
  'The database is unavailable; retry shortly.',
);

describe('toProblem', () => {
  it('answers a DomainError with its catalogue entry, or its own detail, word for word, and its replay the same', () => {
    const taken = conflict('time-taken');
    expect(toProblem(taken)).toStrictEqual(
      problem(
        409,
        'Conflict',
        'time-taken',
        'That time, or a buffer around it, is already booked or held; pick another.',
      ),
    );
    expect(toProblem(new DomainError('response-too-large', 'At most 5 slots.', { max_slots: 5 }))).toStrictEqual({
      ...problem(400, 'Bad Request', 'response-too-large', 'At most 5 slots.'),
      max_slots: 5,
    });
    const invalid = invalidFields([
      { field: 'start', message: 'must be an ISO 8601 instant' },
      { field: 'end', message: 'must be an ISO 8601 instant' },
    ]);
    expect(toProblem(invalid)).toStrictEqual({
      ...problem(400, 'Bad Request', 'validation-error', '2 fields are invalid: start, end'),
      errors: [
        { field: 'start', message: 'must be an ISO 8601 instant' },
        { field: 'end', message: 'must be an ISO 8601 instant' },
      ],
    });
    for (const original of [taken, invalid, notFound('Consultant 7')]) {
      const answered = { ...toProblem(original), instance: '/bookings' };
      expect(toProblem(DomainError.replay(answered))).toStrictEqual(toProblem(original));
    }
    // A stored answer is replayed as it was sent, even of a type the catalogue no longer has.
    const retired = { type: '/problems/retired', title: 'Gone', status: 410, detail: 'Once refused so.', extra: 1 };
    expect(toProblem(DomainError.replay({ ...retired, instance: '/bookings' }))).toStrictEqual(retired);
  });

  it('titles every catalogued type with its status reason phrase, and gives each a text', () => {
    for (const [code, { status, title, text }] of Object.entries(PROBLEMS)) {
      expect({ code, title }).toStrictEqual({ code, title: STATUS_CODES[status] });
      expect(text).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('keeps the status of an HttpException, with its message as the detail', () => {
    const cases: [HttpException, ReturnType<typeof problem>][] = [
      [new NotFoundException('Cannot GET /nowhere'), problem(404, 'Not Found', 'not-found', 'Cannot GET /nowhere')],
      [new ForbiddenException('Not yours'), problem(403, 'Forbidden', 'forbidden', 'Not yours')],
      [new HttpException('No PUT here', 405), problem(405, 'Method Not Allowed', 'method-not-allowed', 'No PUT here')],
      [new HttpException('Short and stout', 418), problem(418, "I'm a Teapot", 'i-m-a-teapot', 'Short and stout')],
      [new UnprocessableEntityException('Nope'), problem(422, 'Unprocessable Entity', 'unprocessable-entity', 'Nope')],
      // A 429 says when to come back, whatever the throttler's message.
      [
        new HttpException('ThrottlerException: Too Many Requests', 429),
        problem(429, 'Too Many Requests', 'rate-limited', 'Too many requests; retry after the time in Retry-After.'),
      ],
    ];
    for (const [exception, expected] of cases) expect(toProblem(exception)).toStrictEqual(expected);
  });

  it("gives Fastify's own refusals, bare or wrapped in an HttpException, the documented problem types", () => {
    const tooLarge = problem(413, 'Payload Too Large', 'payload-too-large', 'The request body is larger than 100 KB.');
    const badJson = problem(400, 'Bad Request', 'malformed-body', 'The request body is not valid JSON.');
    const mediaType = problem(
      415,
      'Unsupported Media Type',
      'unsupported-media-type',
      'Send the body as application/json.',
    );
    expect(toProblem(fastifyError(413))).toStrictEqual(tooLarge);
    expect(toProblem(fastifyError(400))).toStrictEqual(badJson);
    expect(toProblem(fastifyError(415))).toStrictEqual(mediaType);
    expect(toProblem(new HttpException('Payload Too Large', 413, { cause: fastifyError(413) }))).toStrictEqual(
      tooLarge,
    );
    expect(toProblem(new HttpException('Bad Request', 400, { cause: fastifyError(400) }))).toStrictEqual(badJson);
    // Only a FastifyError with a 4xx status is unwrapped; any other cause leaves the HttpException as it is.
    expect(
      toProblem(
        new HttpException('Bad Request', 400, { cause: Object.assign(new Error('other'), { statusCode: 400 }) }),
      ),
    ).toStrictEqual(problem(400, 'Bad Request', 'bad-request', 'Bad Request'));
  });

  it('maps the SQLSTATEs a request can cause: conflicts to 409, bad values to 400', () => {
    const conflictDetail = 'The change conflicts with existing data.';
    const raceDetail = 'A concurrent change got in the way; retry the request.';
    const cases: [string, ReturnType<typeof problem>][] = [
      ['23505', problem(409, 'Conflict', 'conflict', conflictDetail)],
      ['23P01', problem(409, 'Conflict', 'conflict', conflictDetail)],
      ['40P01', problem(409, 'Conflict', 'conflict', raceDetail)],
      ['40001', problem(409, 'Conflict', 'conflict', raceDetail)],
      ['23502', problem(400, 'Bad Request', 'validation-error', 'A required value is missing.')],
      ['22021', problem(400, 'Bad Request', 'validation-error', 'A text value is not valid UTF-8.')],
      ['22P02', problem(400, 'Bad Request', 'validation-error', 'A value is not in the expected format.')],
      ['22003', problem(400, 'Bad Request', 'validation-error', 'A number is out of range.')],
      ['22007', problem(400, 'Bad Request', 'validation-error', 'A date or time is not valid.')],
      ['22008', problem(400, 'Bad Request', 'validation-error', 'A date or time is out of range.')],
      ['22001', problem(400, 'Bad Request', 'validation-error', 'A value is too long.')],
    ];
    for (const [code, expected] of cases) {
      expect({ code, problem: toProblem(queryFailed(code, 'the driver says why')) }).toStrictEqual({
        code,
        problem: expected,
      });
      // Anything carrying the driver's error is read the same way.
      expect({ code, problem: toProblem({ driverError: { code } }) }).toStrictEqual({ code, problem: expected });
    }
  });

  it('names the overlap by constraint, and an insert naming a missing row a 404', () => {
    expect(
      toProblem(queryFailed('23P01', 'conflicting key value', { constraint: 'bookings_blocked_no_overlap' })),
    ).toStrictEqual(
      problem(
        409,
        'Conflict',
        'time-taken',
        'That time, or a buffer around it, is already booked or held; pick another.',
      ),
    );
    expect(
      toProblem(queryFailed('23P01', 'conflicting key value', { constraint: 'availabilities_no_overlap' })),
    ).toStrictEqual(
      problem(409, 'Conflict', 'availability-overlap', 'The slot overlaps another slot of this consultant.'),
    );
    // A foreign key's refusal: an insert naming no row is a 404, a delete of a row that others
    // still refer to a 409; PostgreSQL's words differ only in DETAIL.
    const foreignKey: [string, string, ReturnType<typeof problem>][] = [
      [
        'insert or update on table "bookings" violates foreign key constraint "bookings_user_id_fkey"',
        'Key (user_id)=(99) is not present in table "users".',
        problem(404, 'Not Found', 'not-found', 'A referenced record does not exist.'),
      ],
      [
        'update or delete on table "users" violates foreign key constraint "bookings_user_id_fkey" on table "bookings"',
        'Key (id)=(7) is still referenced from table "bookings".',
        problem(409, 'Conflict', 'conflict', 'Other records still refer to this one.'),
      ],
    ];
    for (const [message, detail, expected] of foreignKey)
      expect(toProblem(queryFailed('23503', message, { constraint: 'bookings_user_id_fkey', detail }))).toStrictEqual(
        expected,
      );
  });

  it('answers a lost or refused database connection with a 503', () => {
    const lost = [
      queryFailed('57P01', 'terminating connection due to administrator command'),
      queryFailed('53300', 'sorry, too many clients already'),
      queryFailed('08006', 'connection failure'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('Query runner already released'), { name: 'QueryRunnerAlreadyReleasedError' }),
    ];
    for (const error of lost)
      expect({ error: error.message, problem: toProblem(error) }).toStrictEqual({
        error: error.message,
        problem: UNAVAILABLE,
      });
  });

  it('answers anything else with a 500 that tells nothing of the error', () => {
    const secret = 'password=hunter2 in /srv/app/secret.ts';
    const unknown: unknown[] = [
      new Error(secret),
      new TypeError(secret),
      queryFailed('42P01', `relation "secret" does not exist: ${secret}`),
      // A SQLSTATE of class 22 that is not listed is ours too.
      queryFailed('22012', `division by zero: ${secret}`),
      Object.assign(new Error(secret), { statusCode: 502 }),
      secret,
      { message: secret },
      undefined,
      null,
    ];
    for (const error of unknown) {
      const answer = toProblem(error);
      expect(answer).toStrictEqual(INTERNAL);
      expect(JSON.stringify(answer)).not.toContain('hunter2');
    }
  });
});
