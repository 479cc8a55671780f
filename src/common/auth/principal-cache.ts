import { Global, Injectable, Module } from '@nestjs/common';
import type { Principal } from './principal';

/** Long enough to spare a busy client's every lookup, short enough to bound a stale answer. */
const TTL_MS = 10_000;
/** Bounds memory whatever the number of tokens in use; the oldest entry goes first. */
const MAX_ENTRIES = 10_000;

/**
 * Token digest → principal, briefly: every authenticated request would otherwise cost a round
 * trip to the database. Only found principals are kept, so made-up tokens cannot fill it. A
 * deleted principal is forgotten at once in this process, and in every other over the same
 * PostgreSQL database as soon as its removal's notification arrives (principal-revocations.ts).
 */
@Injectable()
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();
  /**
   * Counts forgets: a lookup that began before one may have read a principal being removed, so
   * its answer is not kept (`set` with the generation read before the lookup).
   */
  generation = 0;

  get(hash: string): Principal | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > Date.now()) return entry.principal;
    this.entries.delete(hash);
    return undefined;
  }

  set(hash: string, principal: Principal, lookedUpAt = this.generation): void {
    if (lookedUpAt !== this.generation) return;
    this.entries.delete(hash);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { principal, expiresAt: Date.now() + TTL_MS });
  }

  forget(role: 'consultant' | 'user', id: number): void {
    this.generation++;
    for (const [hash, { principal }] of this.entries)
      if (principal.role === role && principal.id === id) this.entries.delete(hash);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}

/** Global so that whoever deletes a principal can forget it. */
@Global()
@Module({ providers: [PrincipalCache], exports: [PrincipalCache] })
export class PrincipalCacheModule {}
