import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { EntityManager, Raw } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import { conflict, DomainError, type Problem, toProblem, unprocessable } from '../common/errors';
import { TransactionalConnection } from '../database/transactional-connection';
import { IdempotencyKey } from './entities/idempotency-key.entity';

/** How long a key's first answer is replayed. */
export const IDEMPOTENCY_TTL_HOURS = 24;
const HOURS = { hours: IDEMPOTENCY_TTL_HOURS };
// By the database's clock, as the row's created_at is.
const unexpired = (createdAt: string) => `${createdAt} > now() - make_interval(hours => :hours)`;
const expired = (createdAt: string) => `${createdAt} <= now() - make_interval(hours => :hours)`;

/**
 * Runs a booking write at most once per caller and Idempotency-Key. The key's answer is stored in
 * the same transaction as the booking, so a crash can never leave a booking without its answer
 * (or the reverse); a transaction-scoped advisory lock marks the key as in flight, and dies with
 * the transaction if the process does.
 */
@Injectable()
export class Idempotency {
  constructor(private readonly connection: TransactionalConnection) {}

  async run<T extends object>(
    principal: Principal,
    key: string | undefined,
    request: unknown,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    if (key === undefined) return this.connection.withTransaction(work);
    const owner = principal.role === 'admin' ? 'admin' : `${principal.role}:${principal.id}`;
    const fingerprint = createHash('sha256').update(canonicalJson(request)).digest('hex');
    const answer = await this.connection.withTransaction(async (manager) => {
      const [{ locked }]: { locked: boolean }[] = await manager.query(
        `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked`,
        [`${owner} ${key}`],
      );
      if (!locked)
        throw conflict(
          'idempotency-in-flight',
          'A request with this Idempotency-Key is still running; retry when it has finished.',
        );
      const keys = manager.getRepository(IdempotencyKey);
      const prior = await keys.findOneBy({ principal: owner, key, createdAt: Raw(unexpired, HOURS) });
      if (prior) {
        if (prior.fingerprint !== fingerprint)
          throw unprocessable('idempotency-key-reused', 'This Idempotency-Key was used with a different request body.');
        if (prior.statusCode >= 400) throw DomainError.replay(prior.response as Problem);
        return { body: prior.response as T };
      }
      await manager.query('SAVEPOINT work');
      let answer: { status: number; body: T | Problem; error?: unknown };
      try {
        answer = { status: 201, body: await work(manager) };
      } catch (error) {
        const problem = toProblem(error);
        // A refusal is an answer and is replayed; an outage is not, so a retry may succeed.
        if (problem.status >= 500) throw error;
        await manager.query('ROLLBACK TO SAVEPOINT work');
        answer = { status: problem.status, body: problem, error };
      }
      // This caller's expired keys go now (one may have this key's name); everyone's go by IdempotencyPurge.
      await keys.delete({ principal: owner, createdAt: Raw(expired, HOURS) });
      await keys.insert({ principal: owner, key, fingerprint, statusCode: answer.status, response: answer.body });
      return answer;
    });
    // A refusal's answer is committed with its key, then thrown.
    if ('error' in answer && answer.error !== undefined) throw answer.error;
    return answer.body as T;
  }
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` are the same request. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
