import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../config/configuration';
import { hashToken, sameHash } from './token';

/** Longer than any token worth hashing: a made-up megabyte is refused without the work. */
const MAX_TOKEN_LENGTH = 512;

/**
 * The service token internal callers put in every message (INTERNAL_TOKEN). Whoever holds it
 * may act for any principal, the admin included, so it is compared like the admin's token:
 * as a digest, in constant time.
 */
@Injectable()
export class InternalToken implements OnModuleInit {
  private readonly logger = new Logger('Auth');
  private digest: string | undefined;

  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  onModuleInit(): void {
    // Without a transport no message can arrive, and a generated token would only be noise.
    if (this.config.get('MICROSERVICE_URL', { infer: true }) === 'off') return;
    let token = this.config.get('INTERNAL_TOKEN', { infer: true });
    if (!token) {
      token = `cc_i_${randomBytes(32).toString('base64url')}`;
      // Printed once, on purpose: without INTERNAL_TOKEN this is the only way to learn it.
      this.logger.warn(`INTERNAL_TOKEN is not set; generated internal token for this run: ${token}`);
    }
    this.digest = hashToken(token);
  }

  accepts(token: unknown): boolean {
    return (
      this.digest !== undefined &&
      typeof token === 'string' &&
      token.length <= MAX_TOKEN_LENGTH &&
      sameHash(hashToken(token), this.digest)
    );
  }
}
