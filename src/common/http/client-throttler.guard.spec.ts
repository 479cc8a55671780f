import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ClientThrottlerGuard } from './client-throttler.guard';
import { FixedWindowStorage } from './fixed-window-storage';

describe('ClientThrottlerGuard', () => {
  it('lets internal message calls through without counting them', async () => {
    const storage = new FixedWindowStorage();
    const increment = jest.spyOn(storage, 'increment');
    const guard = new ClientThrottlerGuard({ throttlers: [{ ttl: 60_000, limit: 1 }] }, storage, new Reflector());
    await guard.onModuleInit();
    const rpc = { getType: () => 'rpc', getHandler: () => () => undefined, getClass: () => Object } as unknown;
    for (let i = 0; i < 3; i++) await expect(guard.canActivate(rpc as ExecutionContext)).resolves.toBe(true);
    expect(increment).not.toHaveBeenCalled();
    storage.onModuleDestroy();
  });
});

describe('FixedWindowStorage.secondsBlocked', () => {
  it('reads a budget without counting: 0 until it is spent, then the seconds of the block', async () => {
    const storage = new FixedWindowStorage();
    expect(await storage.secondsBlocked('a', 'auth-failures')).toBe(0);
    for (let i = 0; i < 2; i++) await storage.increment('a', 60_000, 2, 60_000, 'auth-failures');
    expect(await storage.secondsBlocked('a', 'auth-failures')).toBe(0);
    expect(await storage.secondsBlocked('a', 'auth-failures')).toBe(0);
    expect((await storage.increment('a', 60_000, 2, 60_000, 'auth-failures')).isBlocked).toBe(true);
    expect(await storage.secondsBlocked('a', 'auth-failures')).toBe(60);
    expect(await storage.secondsBlocked('a', 'other')).toBe(0);
    storage.onModuleDestroy();
  });
});
