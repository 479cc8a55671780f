import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';

/** Limits each client: a bearer token counts as one client wherever it calls from; otherwise the IP. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as FastifyRequest;
    const auth = request.headers.authorization;
    return auth ? 'token:' + createHash('sha256').update(auth).digest('base64url') : 'ip:' + request.ip;
  }
}
