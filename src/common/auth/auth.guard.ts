import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/configuration';
import type { Envelope } from '@consultant-calendar/client/wire';
import { envelopePrincipal, envelopeToken } from '../../messaging/envelope';
import { serviceTokenRefused } from '../../messaging/message-port';
import { clientAddress } from '../http/client-throttler.guard';
import { RateLimitStore } from '../http/rate-limit-store';
import { DomainError, forbidden, TooManyRequests } from '../errors';
import { parseId } from '../validation/decorators';
import { ACCESS_KEY, Policy } from './access.decorator';
import { InternalToken } from './internal-token';
import type { Principal } from './principal';
import { PrincipalCache } from './principal-cache';
import { PRINCIPAL_SOURCES, type PrincipalSource } from './principal-source';
import { generateToken, hashToken, roleOfToken, sameHash } from './token';

const unauthorized = (detail: string) => new DomainError('unauthorized', detail);

/** The budget of failed authentications per client address, in the rate-limit store under this name. */
const FAILURES = 'auth-failures';
const FAILURE_WINDOW_MS = 60_000;

/**
 * Authenticates every request that carries a token, and every internal message by its service
 * token, and enforces each route's or message pattern's @Access.
 */
@Injectable()
export class AuthGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('Auth');
  private adminTokenHash: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly config: ConfigService<AppConfig, true>,
    @Inject(PRINCIPAL_SOURCES.consultant) private readonly consultants: PrincipalSource,
    @Inject(PRINCIPAL_SOURCES.user) private readonly users: PrincipalSource,
    private readonly cache: PrincipalCache,
    private readonly budgets: RateLimitStore,
    private readonly internalToken: InternalToken,
  ) {}

  onModuleInit(): void {
    let token = this.config.get('ADMIN_TOKEN', { infer: true });
    if (!token) {
      token = generateToken('admin');
      // Printed once, on purpose: without ADMIN_TOKEN this is the only way to learn it.
      this.logger.warn(`ADMIN_TOKEN is not set; generated admin token for this run: ${token}`);
    }
    this.adminTokenHash = hashToken(token);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policies = this.reflector.getAllAndOverride<Policy[] | undefined>(ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (context.getType() === 'rpc') return this.admitMessage(context.switchToRpc(), policies);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    if (header !== undefined) request.principal = await this.authenticate(header, request);
    if (!policies) return true;
    const principal = request.principal;
    if (!principal) throw await this.failed(request, 'This route needs an Authorization: Bearer <token> header.');
    if (policies.some((policy) => allows(policy, principal, request.params as Record<string, string>))) return true;
    throw forbidden('Your token does not allow this action.');
  }

  /**
   * A message must carry the service token; the principal it names is then trusted as a
   * verified token's would be, and meets the same policies.
   */
  private admitMessage(rpc: ReturnType<ExecutionContext['switchToRpc']>, policies: Policy[] | undefined): boolean {
    const message = rpc.getData<unknown>();
    if (!this.internalToken.accepts(envelopeToken(message))) {
      serviceTokenRefused(rpc.getContext());
      throw unauthorized('The message needs the service token (INTERNAL_TOKEN) as its token.');
    }
    const envelope = message as Envelope<{ id?: unknown }>;
    const principal = envelopePrincipal(envelope as unknown as Record<string, unknown>);
    if (!policies) return true;
    if (!principal) throw unauthorized('This message pattern needs the principal the call acts for.');
    if (policies.some((policy) => allows(policy, principal, { id: String(envelope.data?.id) }))) return true;
    throw forbidden('The principal may not do this.');
  }

  /**
   * Recently seen tokens (256 random bits each: no guess finds one) are recognised without the
   * database, so they pass even from an address that has spent its failure budget. Any other
   * token from such an address is refused before it is compared or looked up, the admin's
   * included: the admin's token is chosen by an operator, and a 429 must not tell a right guess
   * from a wrong one. Guessing then costs the server next to nothing.
   */
  private async authenticate(header: string, request: FastifyRequest): Promise<Principal> {
    const match = /^Bearer\s+(\S{1,200})\s*$/i.exec(header);
    if (!match) throw await this.failed(request, 'The Authorization header must be "Bearer <token>".');
    const token = match[1];
    const hash = hashToken(token);
    const role = roleOfToken(token);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const wait = await this.budgets.secondsBlocked(clientAddress(request), FAILURES);
    if (wait > 0) throw this.tooManyFailures(wait);
    if (role === 'admin' || role === null) {
      if (sameHash(hash, this.adminTokenHash)) return { role: 'admin' };
    } else {
      // Lookup by the digest's unique index; the digest, not the token, is what is compared.
      const generation = this.cache.generation;
      const id = await (role === 'consultant' ? this.consultants : this.users).idByTokenHash(hash);
      if (id !== null) {
        const principal: Principal = { role, id };
        this.cache.set(hash, principal, generation);
        return principal;
      }
    }
    throw await this.failed(request, 'The token is not valid.');
  }

  /** Counts a failed authentication against the client address: a 401, or a 429 once its budget is spent. */
  private async failed(request: FastifyRequest, detail: string): Promise<DomainError> {
    const { isBlocked, timeToBlockExpire } = await this.budgets.increment(
      clientAddress(request),
      FAILURE_WINDOW_MS,
      this.config.get('FAILED_AUTH_PER_IP_PER_MINUTE', { infer: true }),
      FAILURE_WINDOW_MS,
      FAILURES,
    );
    return isBlocked ? this.tooManyFailures(timeToBlockExpire) : unauthorized(detail);
  }

  private tooManyFailures(seconds: number): TooManyRequests {
    return new TooManyRequests(
      'auth-failures',
      `Too many requests from this address had a missing or invalid token; retry in ${seconds} seconds.`,
      seconds,
    );
  }
}

function allows(policy: Policy, principal: Principal, params: Record<string, string>): boolean {
  if (policy === principal.role) return true;
  const [role, self] = policy.split(':');
  if (self !== 'self' || role !== principal.role || principal.role === 'admin') return false;
  // A malformed id is let through so that the id pipe answers 400 rather than 403.
  const id = parseId(params.id);
  return id === null || id === principal.id;
}
