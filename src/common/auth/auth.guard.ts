import { CanActivate, ExecutionContext, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/configuration';
import { ConsultantsService } from '../../consultants/consultants.service';
import { UsersService } from '../../users/users.service';
import { forbidden, ProblemException } from '../http/problem';
import { parseId } from '../validation/decorators';
import { ACCESS_KEY, Policy } from './access.decorator';
import type { Principal } from './principal';
import { PrincipalCache } from './principal-cache';
import { generateToken, hashToken, roleOfToken, sameHash } from './token';

const unauthorized = (detail: string) => new ProblemException(401, 'unauthorized', detail);

/** Authenticates every request that carries a token and enforces each route's @Access. */
@Injectable()
export class AuthGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger('Auth');
  private adminTokenHash: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly consultants: ConsultantsService,
    private readonly users: UsersService,
    private readonly cache: PrincipalCache,
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
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const policies = this.reflector.getAllAndOverride<Policy[] | undefined>(ACCESS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const header = request.headers.authorization;
    if (header !== undefined) request.principal = await this.authenticate(header);
    if (!policies) return true;
    const principal = request.principal;
    if (!principal) throw unauthorized('This route needs an Authorization: Bearer <token> header.');
    if (policies.some((policy) => allows(policy, principal, request.params as Record<string, string>))) return true;
    throw forbidden('Your token does not allow this action.');
  }

  private async authenticate(header: string): Promise<Principal> {
    const match = /^Bearer\s+(\S{1,200})\s*$/i.exec(header);
    if (!match) throw unauthorized('The Authorization header must be "Bearer <token>".');
    const token = match[1];
    const hash = hashToken(token);
    const role = roleOfToken(token);
    if (role === 'admin' || role === null) {
      if (sameHash(hash, this.adminTokenHash)) return { role: 'admin' };
    } else {
      const cached = this.cache.get(hash);
      if (cached) return cached;
      // Lookup by the digest's unique index; the digest, not the token, is what is compared.
      const id = await (role === 'consultant' ? this.consultants : this.users).idByTokenHash(hash);
      if (id !== null) {
        const principal: Principal = { role, id };
        this.cache.set(hash, principal);
        return principal;
      }
    }
    throw unauthorized('The token is not valid.');
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
