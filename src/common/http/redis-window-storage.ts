import type { OnModuleDestroy } from '@nestjs/common';
import type { SharedRedis } from '../../operations/shared-redis';
import { FixedWindowStorage } from './fixed-window-storage';
import { RateLimitStore } from './rate-limit-store';

/**
 * One window's count and block, atomically: the same fixed window as FixedWindowStorage, in
 * Redis. KEYS: the window's count, its block. ARGV: ttl ms, limit, block ms. While blocked,
 * nothing is counted. Answers {hits, ms until the window resets, ms until the block ends}.
 */
const INCREMENT = `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), math.max(redis.call('PTTL', KEYS[1]), 0), blocked}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, ttl, tonumber(ARGV[3])}
end
return {hits, ttl, 0}`;

type Increment = (count: string, block: string, ttl: number, limit: number, blockMs: number) => Promise<number[]>;

/**
 * The limits counted in Redis (REDIS_URL), so that n instances give a client one budget, not n.
 * When Redis cannot be reached, each count falls back to this instance's memory until it is back:
 * the limits still hold per instance (n × each budget at worst, as before they were shared), and
 * no request is refused, or made to wait, for the outage. A count's keys share one hash tag, so
 * the script also runs on a Redis Cluster.
 */
export class RedisWindowStorage extends RateLimitStore implements OnModuleDestroy {
  private readonly local = new FixedWindowStorage();
  private readonly script: Increment;

  constructor(private readonly redis: SharedRedis) {
    super();
    const client = redis.client!;
    client.defineCommand('ccWindowIncrement', { numberOfKeys: 2, lua: INCREMENT });
    this.script = (client as unknown as { ccWindowIncrement: Increment }).ccWindowIncrement.bind(client);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const id = windowId(key, throttlerName);
    try {
      const [hits, resetMs, blockedMs] = await this.script(`${id}:n`, `${id}:b`, ttl, limit, blockDuration);
      return {
        totalHits: hits,
        timeToExpire: Math.ceil(resetMs / 1000),
        isBlocked: blockedMs > 0,
        timeToBlockExpire: Math.ceil(blockedMs / 1000),
      };
    } catch (error) {
      this.redis.outage(error);
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  async secondsBlocked(key: string, throttlerName: string): Promise<number> {
    try {
      return Math.max(0, Math.ceil((await this.redis.client!.pttl(`${windowId(key, throttlerName)}:b`)) / 1000));
    } catch (error) {
      this.redis.outage(error);
      return this.local.secondsBlocked(key, throttlerName);
    }
  }

  onModuleDestroy(): void {
    this.local.onModuleDestroy();
  }
}

/** `{…}` is the Redis Cluster hash tag: both keys of a window land on one node. */
const windowId = (key: string, throttlerName: string) => `cc:limit:{${throttlerName}:${key}}`;
