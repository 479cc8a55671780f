import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ProblemDto } from './problem.dto';

const WHEN: Record<number, string> = {
  400: 'Malformed input: the `errors` array names each bad field',
  401: 'No token, or a token that is not valid',
  403: 'Authenticated, but not allowed',
  404: 'Unknown resource',
  409: 'Conflicts with existing state',
  413: 'Body larger than 100 KB',
  422: 'Well-formed but not acceptable',
  429: 'Rate limited; see Retry-After',
  503: 'Database unavailable',
};

/** Documents problem+json error responses for the given statuses. */
export const ApiProblems = (...statuses: number[]) =>
  applyDecorators(
    ApiExtraModels(ProblemDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: WHEN[status] ?? STATUS_CODES[status],
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
