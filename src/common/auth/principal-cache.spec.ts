import { PrincipalCache } from './principal-cache';

describe('PrincipalCache', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('answers for ten seconds, then asks the database again', () => {
    const cache = new PrincipalCache();
    cache.set('h', { role: 'user', id: 1 });
    jest.advanceTimersByTime(9_999);
    expect(cache.get('h')).toStrictEqual({ role: 'user', id: 1 });
    jest.advanceTimersByTime(1);
    expect(cache.get('h')).toBeUndefined();
  });

  it('forgets a deleted principal at once, and only that one', () => {
    const cache = new PrincipalCache();
    cache.set('a', { role: 'consultant', id: 1 });
    cache.set('b', { role: 'user', id: 1 });
    cache.set('c', { role: 'consultant', id: 2 });
    cache.forget('consultant', 1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toStrictEqual({ role: 'user', id: 1 });
    expect(cache.get('c')).toStrictEqual({ role: 'consultant', id: 2 });
  });

  it('does not keep a lookup that began before a principal was forgotten (it may have read the removed row)', () => {
    const cache = new PrincipalCache();
    const lookedUpAt = cache.generation;
    cache.forget('consultant', 7);
    cache.set('late', { role: 'consultant', id: 7 }, lookedUpAt);
    expect(cache.get('late')).toBeUndefined();
    cache.set('fresh', { role: 'consultant', id: 8 }, cache.generation);
    expect(cache.get('fresh')).toStrictEqual({ role: 'consultant', id: 8 });
  });

  it('drops every token on clear() (listening restarted: revocations may have been missed)', () => {
    const cache = new PrincipalCache();
    cache.set('a', { role: 'user', id: 1 });
    cache.clear();
    expect(cache.get('a')).toBeUndefined();
  });

  it('holds at most 10,000 tokens, dropping the oldest', () => {
    const cache = new PrincipalCache();
    for (let id = 0; id <= 10_000; id++) cache.set(`t${id}`, { role: 'user', id });
    expect(cache.get('t0')).toBeUndefined();
    expect(cache.get('t1')).toStrictEqual({ role: 'user', id: 1 });
    expect(cache.get('t10000')).toStrictEqual({ role: 'user', id: 10_000 });
  });
});
