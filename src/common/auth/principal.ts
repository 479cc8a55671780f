import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

import type { Principal } from '@consultant-calendar/client/wire';

/** Who is calling: resolved once per request by the AuthGuard; internal callers name it in their envelope. */
export type { Principal };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * The caller, or undefined on a public route called without a token. For an internal message,
 * the principal its envelope names (checked by the AuthGuard before any handler runs).
 */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext) =>
  ctx.getType() === 'rpc'
    ? ctx.switchToRpc().getData<{ principal?: Principal }>().principal
    : ctx.switchToHttp().getRequest<FastifyRequest>().principal,
);
