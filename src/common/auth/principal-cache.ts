import { Global, Injectable, Module } from '@nestjs/common';
import type { Principal } from './principal';

/** Long enough to spare a busy client's every lookup, short enough to bound a stale answer. */
const TTL_MS = 10_000;
/** Bounds memory whatever the number of tokens in use; the oldest entry goes first. */
const MAX_ENTRIES = 10_000;

/**
 * Token digest → principal, briefly: every authenticated request would otherwise cost a round
 * trip to the database. Only found principals are kept, so made-up tokens cannot fill it. A
 * deleted principal is forgotten at once in this process; another instance may still accept
 * its token for up to TTL_MS, and then finds its rows gone (404).
 */
@Injectable()
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();

  get(hash: string): Principal | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > Date.now()) return entry.principal;
    this.entries.delete(hash);
    return undefined;
  }

  set(hash: string, principal: Principal): void {
    this.entries.delete(hash);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { principal, expiresAt: Date.now() + TTL_MS });
  }

  forget(role: 'consultant' | 'user', id: number): void {
    for (const [hash, { principal }] of this.entries)
      if (principal.role === role && principal.id === id) this.entries.delete(hash);
  }
}

/** Global so that whoever deletes a principal can forget it. */
@Global()
@Module({ providers: [PrincipalCache], exports: [PrincipalCache] })
export class PrincipalCacheModule {}
