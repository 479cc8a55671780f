import { Global, Module } from '@nestjs/common';
import { SharedRedis } from '../../operations/shared-redis';
import { FixedWindowStorage } from './fixed-window-storage';
import { RateLimitStore } from './rate-limit-store';
import { RedisWindowStorage } from './redis-window-storage';

/** One store for every limit: the throttler's and the auth guard's failure budget. */
@Global()
@Module({
  providers: [
    {
      provide: RateLimitStore,
      inject: [SharedRedis],
      useFactory: (redis: SharedRedis) => (redis.client ? new RedisWindowStorage(redis) : new FixedWindowStorage()),
    },
  ],
  exports: [RateLimitStore],
})
export class RateLimitStorageModule {}
