import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { RateLimitStore } from './rate-limit-store';

interface Window {
  hits: number;
  resetAt: number;
  blockedUntil: number;
}

/**
 * Rate-limit counters as one fixed window per client: O(1) per request. The library's default
 * storage keeps a timestamp per hit and filters the whole list on every request, which the bench
 * measured at 0.2 ms per request once a client had made 10,000 requests in the window.
 */
@Injectable()
export class FixedWindowStorage extends RateLimitStore implements OnModuleDestroy {
  private readonly windows = new Map<string, Window>();
  // Unref'd: the sweep never keeps the process alive.
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const now = Date.now();
    const id = `${throttlerName}:${key}`;
    let window = this.windows.get(id);
    if (!window || window.resetAt <= now) {
      window = { hits: 0, resetAt: now + ttl, blockedUntil: window?.blockedUntil ?? 0 };
      this.windows.set(id, window);
    }
    if (window.blockedUntil <= now) {
      window.hits++;
      if (window.hits > limit) window.blockedUntil = now + blockDuration;
    }
    const isBlocked = window.blockedUntil > now;
    return {
      totalHits: window.hits,
      timeToExpire: Math.ceil((window.resetAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((window.blockedUntil - now) / 1000) : 0,
    };
  }

  async secondsBlocked(key: string, throttlerName: string): Promise<number> {
    const blockedUntil = this.windows.get(`${throttlerName}:${key}`)?.blockedUntil ?? 0;
    return Math.max(0, Math.ceil((blockedUntil - Date.now()) / 1000));
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, window] of this.windows)
      if (window.resetAt <= now && window.blockedUntil <= now) this.windows.delete(id);
  }
}
