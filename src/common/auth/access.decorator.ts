import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiProblems } from '../http/api-problems.decorator';

/**
 * Who may call a route. `consultant:self` / `user:self` match a consultant or user whose id
 * is the route's `:id` parameter. A route without @Access is public.
 */
export type Policy = 'admin' | 'consultant' | 'user' | 'consultant:self' | 'user:self';

export const ACCESS_KEY = 'access-policies';

export const Access = (...policies: Policy[]) =>
  applyDecorators(SetMetadata(ACCESS_KEY, policies), ApiBearerAuth(), ApiProblems('unauthorized', 'forbidden'));
