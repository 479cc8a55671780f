import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Where every limit counts: the throttler's budgets and the auth guard's failure budget. One
 * fixed window per key, blocked for `blockDuration` once over its limit. In this process's memory
 * (FixedWindowStorage), or with REDIS_URL in Redis, shared by every instance (RedisWindowStorage).
 */
export abstract class RateLimitStore implements ThrottlerStorage {
  abstract increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerRecord>;

  /**
   * Seconds until `key` may be counted again, 0 when it is not blocked; counts nothing. For a
   * budget spent only by failures: the request is checked before the work that may fail.
   */
  abstract secondsBlocked(key: string, throttlerName: string): Promise<number>;
}
