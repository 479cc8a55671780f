import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEMS, type ProblemCode } from '../errors/problem-catalogue';
import { ProblemDto } from './problem.dto';

const WHEN: Record<number, string> = {
  400: 'Malformed input: the `errors` array names each bad field',
  401: 'No token, or a token that is not valid',
  403: 'Authenticated, but not allowed',
  404: 'Unknown resource',
  409: 'Conflicts with existing state',
  413: 'Body larger than 100 KB',
  415: 'Body that is not application/json',
  422: 'Well-formed but not acceptable',
  429: 'A budget is spent; retry after the seconds in Retry-After',
  503: 'Database unavailable, or the server is draining; retry after the seconds in Retry-After',
};

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** A route's problem by its catalogue code, or every catalogued problem of one status. */
export type ProblemOrStatus = ProblemCode | number;

const codesOf = (problem: ProblemOrStatus): ProblemCode[] =>
  typeof problem === 'number'
    ? (Object.keys(PROBLEMS) as ProblemCode[]).filter((code) => PROBLEMS[code].status === problem)
    : [problem];

/** The problem as the service sends it, with the catalogue's text (a route may name specifics in `detail`). */
const exampleOf = (code: ProblemCode) => {
  const { status, title, text } = PROBLEMS[code];
  return {
    summary: text,
    value: {
      type: `/problems/${code}`,
      title,
      status,
      detail: code === 'validation-error' ? '1 field is invalid: start_time' : text,
      ...(code === 'validation-error'
        ? { errors: [{ field: 'start_time', message: 'must be a time as HH:MM or HH:MM:SS' }] }
        : {}),
    },
  };
};

/**
 * One status's response: a problem whose `type` is one of `codes`, an example of each, and the
 * statuses' own headers. The document's one shape for every error response, so that the
 * decorator below and `documentProblems` (the problems every route shares) agree.
 */
export function problemResponse(status: number, codes: ProblemCode[], description = WHEN[status]) {
  const unique = [...new Set(codes)];
  return {
    description: `${description ?? STATUS_CODES[status]}. Problem types: ${unique.map((c) => `\`/problems/${c}\``).join(', ')}`,
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: {
          allOf: [
            { $ref: getSchemaPath(ProblemDto) },
            { type: 'object', properties: { type: { type: 'string', enum: unique.map((c) => `/problems/${c}`) } } },
          ],
        },
        examples: Object.fromEntries(unique.map((code) => [code, exampleOf(code)])),
      },
    },
  };
}

/** The problem codes an operation's documented response already lists (its examples' names). */
export const problemCodesOf = (response: { content?: Record<string, { examples?: object }> } | undefined) =>
  Object.keys(response?.content?.[PROBLEM_MEDIA_TYPE]?.examples ?? {}) as ProblemCode[];

/**
 * Documents the problems a route answers with, by catalogue code (`'time-taken'`), grouped by
 * status, each with its example. A bare status documents every catalogued problem of it.
 */
export const ApiProblems = (...problems: ProblemOrStatus[]) => {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of problems.flatMap(codesOf)) {
    const status = PROBLEMS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...[...byStatus].map(([status, codes]) => ApiResponse({ status, ...problemResponse(status, codes) })),
  );
};

/** A seed alias's operation: listed apart, and not deprecated, since seed clients keep calling it. */
export const SEED_COMPATIBILITY = { tags: ['Seed compatibility'], deprecated: false };
