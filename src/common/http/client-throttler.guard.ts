import { applyDecorators, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import {
  DEFAULT_IPV6_SUBNET_PREFIX,
  normalizeIp,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerOptions,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/configuration';
import { TooManyRequests } from '../errors';
import { ApiProblems } from './api-problems.decorator';

const HOUR_MS = 3_600_000;

/**
 * The client's address as every per-address limit counts it: the socket's, or the one
 * TRUST_PROXY picks from X-Forwarded-For. An IPv6 client counts by its /64, which one host
 * usually holds whole.
 */
export const clientAddress = (request: FastifyRequest): string => normalizeIp(request.ip, DEFAULT_IPV6_SUBNET_PREFIX);

/** The HTTP client's address (as `clientAddress` gives it) as a handler parameter; null for a message. */
export const RequestAddress = createParamDecorator((_: unknown, context: ExecutionContext) =>
  context.getType() === 'http' ? clientAddress(context.switchToHttp().getRequest<FastifyRequest>()) : null,
);

/** Budgets a route opts into, each per client address across all accounts. */
export type AddressLimit = 'signup' | 'bookings';
const ADDRESS_LIMIT_KEY = 'address-limit';

/**
 * Counts each call of the route against the client address's `limit` budget: `signup` on the
 * sign-up routes, `bookings` on every route that creates a booking or a hold.
 */
export const LimitPerAddress = (limit: AddressLimit) =>
  applyDecorators(
    SetMetadata(ADDRESS_LIMIT_KEY, limit),
    ApiProblems(limit === 'signup' ? 'signup-limit' : 'booking-rate'),
  );

const reflector = new Reflector();
const routeLimit = (context: ExecutionContext) =>
  reflector.get<AddressLimit | undefined>(ADDRESS_LIMIT_KEY, context.getHandler());
const addressTracker = (request: Record<string, unknown>) => clientAddress(request as unknown as FastifyRequest);

/**
 * Every throttler the app runs, from the configuration. `default` is the request budget of each
 * client (its principal, or its address without a token); the others count one client address
 * on the routes marked with @LimitPerAddress, so fresh accounts bring no fresh budget.
 */
export function clientThrottlers(config: ConfigService<AppConfig, true>): ThrottlerOptions[] {
  return [
    { name: 'default', ttl: 60_000, limit: config.get('RATE_LIMIT_PER_MINUTE', { infer: true }) },
    {
      name: 'signup',
      ttl: HOUR_MS,
      limit: config.get('SIGNUPS_PER_IP_PER_HOUR', { infer: true }),
      getTracker: addressTracker,
      skipIf: (context) => routeLimit(context) !== 'signup',
      setHeaders: false,
    },
    {
      name: 'bookings',
      ttl: HOUR_MS,
      limit: config.get('BOOKINGS_PER_IP_PER_HOUR', { infer: true }),
      getTracker: addressTracker,
      // The admin books on behalf of users (support, imports): not a flow anyone can abuse.
      skipIf: (context) =>
        routeLimit(context) !== 'bookings' ||
        context.switchToHttp().getRequest<FastifyRequest>().principal?.role === 'admin',
      setHeaders: false,
    },
  ];
}

/** Each budget's refusal: its own problem type, and a detail that says which budget is spent. */
const REFUSALS: Record<string, (limit: number, seconds: number) => TooManyRequests> = {
  default: (_limit, seconds) =>
    new TooManyRequests('rate-limited', 'Too many requests; retry after the time in Retry-After.', seconds),
  signup: (limit, seconds) =>
    new TooManyRequests(
      'signup-limit',
      `This address has made ${limit} sign-up attempts within the hour, the most allowed; retry in ${seconds} seconds.`,
      seconds,
    ),
  bookings: (limit, seconds) =>
    new TooManyRequests(
      'booking-rate',
      `This address has made ${limit} booking attempts within the hour, the most allowed whatever the account; retry in ${seconds} seconds.`,
      seconds,
    ),
};

/** Carries the library's refusal to handleRequest, which knows which throttler refused. */
class Throttled extends Error {
  constructor(readonly seconds: number) {
    super('throttled');
  }
}

/** Limits each client: an authenticated principal wherever it calls from, otherwise the IP. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as FastifyRequest;
    const { principal } = request;
    if (!principal) return `ip:${clientAddress(request)}`;
    return principal.role === 'admin' ? 'admin' : `${principal.role}:${principal.id}`;
  }

  /** One budget per client for the whole API; the library's default key adds the route handler, a budget per route. */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  /** Internal service calls (message handlers) are not limited here: they come from our own services. */
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return context.getType() !== 'http';
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(request);
    } catch (error) {
      if (!(error instanceof Throttled)) throw error;
      throw (REFUSALS[request.throttler.name!] ?? REFUSALS.default)(request.limit, error.seconds);
    }
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new Throttled(detail.timeToBlockExpire);
  }
}
