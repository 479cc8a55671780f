import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
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

/**
 * Refusals every route can give whatever its own decorators say: a token that is not valid (401,
 * even on a public route), the rate limit (429; /health is exempt), and for a route with a body,
 * one too large (413) or not JSON (415). Added to the document once, so no route can forget them.
 */
export function documentCommonProblems(document: OpenAPIObject): void {
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
  });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const op of [item.get, item.post, item.put, item.patch, item.delete]) {
      if (!op) continue;
      const add = (status: number, description = WHEN[status]) => (op.responses[status] ??= problem(description));
      add(401, op.security?.length ? WHEN[401] : 'A token was sent and is not valid (this route needs none)');
      if (path !== '/health') add(429);
      if (op.requestBody) [413, 415].forEach((status) => add(status));
    }
  }
}
