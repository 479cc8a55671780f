import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { QueryInt } from '../validation/decorators';
import { badRequest } from '../errors';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

// Documented by hand: the Swagger plugin reads only *.dto.ts files, and every list's query extends this.
export class PageQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_LIMIT,
    default: DEFAULT_LIMIT,
    example: 50,
    description: 'Page size',
  })
  @IsOptional()
  @QueryInt(1, MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({
    type: String,
    description: "Opaque cursor: a previous page's `next_cursor`",
    example: 'WzUwXQ',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'must be a next_cursor value from a previous page' })
  cursor?: string;
}

/**
 * Keyset cursors: the sort key of the last row, so pages stay stable while rows are added,
 * and each page is one index range scan however deep.
 */
export function encodeCursor(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

const CURSOR_PARTS = {
  number: (v: unknown) => Number.isSafeInteger(v),
  string: (v: unknown) => typeof v === 'string' && v.length <= 100,
  // An instant: a forged one must not reach the database as an invalid date.
  instant: (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
};

export function decodeCursor<T extends (string | number)[]>(cursor: string, shape: (keyof typeof CURSOR_PARTS)[]): T {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (Array.isArray(key) && key.length === shape.length && key.every((v, i) => CURSOR_PARTS[shape[i]](v)))
      return key as T;
  } catch {
    // fall through to the 400
  }
  throw badRequest('The cursor is not valid; use next_cursor from a previous page', [
    { field: 'cursor', message: 'is not a valid cursor' },
  ]);
}

/** Takes one row more than the page to learn whether another page exists. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  key: (row: R) => (string | number)[],
): { data: T[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  return { data: page.map(map), next_cursor: rows.length > limit ? encodeCursor(key(page[page.length - 1])) : null };
}
