import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';

/** Limits each client: an authenticated principal wherever it calls from, otherwise the IP. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const { principal, ip } = req as unknown as FastifyRequest;
    if (!principal) return `ip:${ip}`;
    return principal.role === 'admin' ? 'admin' : `${principal.role}:${principal.id}`;
  }

  /** Internal messages come from trusted services, on their own transport: HTTP's budgets are not theirs. */
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(context.getType() !== 'http');
  }

  /** One budget per client for the whole API; the library's default key adds the route handler, a budget per route. */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }
}
