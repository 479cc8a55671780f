import { applyDecorators, createParamDecorator, ExecutionContext, PipeTransform } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiParam, ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsInt,
  IsString,
  IsTimeZone as IsIanaTimeZone,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { isValidLocalDate, isValidTimeZone, parseLocalTime } from '../../scheduling';
import { isDateOrInstant, parseInstant } from '../../scheduling/query-range';
import { badRequest } from '../errors';

const MAX_ID = 2_147_483_647;
/** Dates outside these years have no use here and would not print as plain ISO 8601 in UTC. */
const SUPPORTED = { start: Date.UTC(1970, 0, 1), end: Date.UTC(9998, 11, 31) };
const inSupportedYears = (ms: number | null): boolean => ms !== null && ms >= SUPPORTED.start && ms <= SUPPORTED.end;

/** A path id: a positive 32-bit integer written as plain digits, else null. */
export const parseId = (text: string | undefined): number | null => {
  const id = /^\d{1,10}$/.test(text ?? '') ? Number(text) : NaN;
  return id >= 1 && id <= MAX_ID ? id : null;
};

/**
 * A body field that may be left out but not sent as null. IsOptional takes null for "absent",
 * so a null would pass validation and reach the service (a 500 from the time arithmetic, or the
 * wrong refusal); here a null is validated like any other value, and so refused.
 */
export const Omittable = () => ValidateIf((_: unknown, value: unknown) => value !== undefined);

/**
 * Wall-clock time `HH:MM` or `HH:MM:SS`, normalized to `HH:MM:SS`. Not class-validator's
 * IsMilitaryTime, which takes `0900` and refuses seconds.
 */
export const IsLocalTime = (options: ApiPropertyOptions = {}) =>
  applyDecorators(
    ApiProperty({
      type: String,
      example: '09:00:00',
      pattern: '^\\d{2}:\\d{2}(:\\d{2})?$',
      description: "Wall-clock time in the consultant's time zone",
      ...options,
    } as ApiPropertyOptions),
    Transform(({ value }) => (typeof value === 'string' ? (parseLocalTime(value) ?? value) : value)),
    ValidateBy({
      name: 'isLocalTime',
      validator: {
        validate: (v) => typeof v === 'string' && parseLocalTime(v) === v,
        defaultMessage: () => 'must be a time as HH:MM or HH:MM:SS',
      },
    }),
  );

/** Calendar date `YYYY-MM-DD` that exists. */
export const IsLocalDate = (options: ApiPropertyOptions = {}) =>
  applyDecorators(
    ApiProperty({ type: String, format: 'date', example: '2030-12-25', ...options } as ApiPropertyOptions),
    ValidateBy({
      name: 'isLocalDate',
      validator: {
        validate: (v) => typeof v === 'string' && isValidLocalDate(v) && inSupportedYears(Date.parse(v)),
        defaultMessage: () => 'must be a date as YYYY-MM-DD between 1970 and 9998',
      },
    }),
  );

/** A local date (`YYYY-MM-DD`, the consultant's day) or an ISO 8601 instant with offset. */
export const IsDateOrInstant = (options: ApiPropertyOptions = {}) =>
  applyDecorators(
    ApiProperty({
      type: String,
      example: '2030-12-25',
      description: 'A local date (YYYY-MM-DD) or an ISO 8601 instant such as 2030-12-25T09:00:00Z',
      ...options,
    } as ApiPropertyOptions),
    ValidateBy({
      name: 'isDateOrInstant',
      validator: {
        validate: (v) =>
          typeof v === 'string' && isDateOrInstant(v) && inSupportedYears(parseInstant(v) ?? Date.parse(v)),
        defaultMessage: () => 'must be a date (YYYY-MM-DD) or an ISO 8601 instant with offset, between 1970 and 9998',
      },
    }),
  );

/** An ISO 8601 instant with an explicit offset or Z. */
export const IsInstant = (options: ApiPropertyOptions = {}) =>
  applyDecorators(
    ApiProperty({
      type: String,
      format: 'date-time',
      example: '2030-12-25T09:00:00Z',
      ...options,
    } as ApiPropertyOptions),
    ValidateBy({
      name: 'isInstant',
      validator: {
        validate: (v) => typeof v === 'string' && inSupportedYears(parseInstant(v)),
        defaultMessage: () =>
          'must be an ISO 8601 instant with offset, e.g. 2030-12-25T09:00:00Z, between 1970 and 9998',
      },
    }),
  );

/** An IANA time zone name such as `Europe/Berlin`. */
export const IsTimeZone = (options: ApiPropertyOptions = {}) =>
  applyDecorators(
    ApiProperty({
      type: String,
      example: 'Europe/Berlin',
      description: 'IANA time zone',
      ...options,
    } as ApiPropertyOptions),
    IsIanaTimeZone({ message: 'must be an IANA time zone such as Europe/Berlin' }),
    // class-validator takes any spelling Intl takes ('utc', 'europe/berlin'); the zone is stored
    // as Temporal spells it, so that what is read back is what was sent.
    ValidateBy({
      name: 'isCanonicalTimeZone',
      validator: {
        validate: (v) => typeof v === 'string' && isValidTimeZone(v),
        defaultMessage: () => 'must be spelled as the IANA database spells it, such as Europe/Berlin or UTC',
      },
    }),
  );

/** A person's name part: trimmed, 1 to 50 characters, no control characters. */
export const IsName = (example: string) =>
  applyDecorators(
    ApiProperty({ type: String, example, minLength: 1, maxLength: 50 }),
    Transform(({ value }) => (typeof value === 'string' ? value.trim() : value)),
    IsString(),
    Matches(/^[^\p{Cc}]{1,50}$/u, { message: 'must be 1 to 50 characters with no control characters' }),
  );

/** Integer query parameter: query strings arrive as text, so convert before validating. */
export const QueryInt = (min: number, max: number) =>
  applyDecorators(
    Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value)),
    // applyDecorators registers these in this order, and stopAtFirstError reports the first that
    // fails: IsInt first, so "abc" is "must be an integer", not "must not be greater than".
    IsInt(),
    Min(min),
    Max(max),
  );

/** An id in a query string or body: a positive 32-bit integer. */
export const QueryId = () => QueryInt(1, MAX_ID);

/**
 * An id in a JSON body: a positive 32-bit integer, sent as a number (no conversion from text).
 * Documents its bounds itself, so the OpenAPI document does not depend on the Swagger plugin
 * reading them off Min/Max (it copies only literal arguments).
 */
export const IsId = (options: ApiPropertyOptions = {}) =>
  applyDecorators(
    ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_ID, example: 1, ...options } as ApiPropertyOptions),
    // In this order, like QueryInt: "1.5" is "must be an integer number", not a range error.
    IsInt(),
    Min(1),
    Max(MAX_ID),
  );

/**
 * A positive integer id from the path; anything else is a 400 naming the parameter. Read from
 * the raw path, not through the global ValidationPipe, which would turn "1e3" into 1000.
 */
export const IdParam = createParamDecorator((name: string, ctx: ExecutionContext): number => {
  const id = parseId((ctx.switchToHttp().getRequest<FastifyRequest>().params as Record<string, string>)[name]);
  if (id === null)
    throw badRequest(`Path parameter ${name} must be a positive integer`, [
      { field: name, message: 'must be a positive integer' },
    ]);
  return id;
});

/** A `YYYY-MM-DD` path parameter that names a real date in the supported years, like IsLocalDate. */
export class LocalDatePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isValidLocalDate(value) || !inSupportedYears(Date.parse(value)))
      throw badRequest('The date must be YYYY-MM-DD, exist, and lie between 1970 and 9998', [
        { field: 'date', message: 'must be a date as YYYY-MM-DD between 1970 and 9998' },
      ]);
    return value;
  }
}

/** Documents an id path parameter. */
export const ApiIdParam = (name: string, description: string) =>
  ApiParam({ name, schema: { type: 'integer', minimum: 1, maximum: MAX_ID }, description, example: 1 });
