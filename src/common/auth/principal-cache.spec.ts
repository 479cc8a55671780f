import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { PrincipalCache } from '../../src/common/auth/principal-cache';

describe('PrincipalCache', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  it('answers for ten seconds, then asks the database again', () => {
    const cache = new PrincipalCache();
    cache.set('h', { role: 'user', id: 1 });
    mock.timers.tick(9_999);
    assert.deepEqual(cache.get('h'), { role: 'user', id: 1 });
    mock.timers.tick(1);
    assert.equal(cache.get('h'), undefined);
  });

  it('forgets a deleted principal at once, and only that one', () => {
    const cache = new PrincipalCache();
    cache.set('a', { role: 'consultant', id: 1 });
    cache.set('b', { role: 'user', id: 1 });
    cache.set('c', { role: 'consultant', id: 2 });
    cache.forget('consultant', 1);
    assert.equal(cache.get('a'), undefined);
    assert.deepEqual(cache.get('b'), { role: 'user', id: 1 });
    assert.deepEqual(cache.get('c'), { role: 'consultant', id: 2 });
  });

  it('holds at most 10,000 tokens, dropping the oldest', () => {
    const cache = new PrincipalCache();
    for (let id = 0; id <= 10_000; id++) cache.set(`t${id}`, { role: 'user', id });
    assert.equal(cache.get('t0'), undefined);
    assert.deepEqual(cache.get('t1'), { role: 'user', id: 1 });
    assert.deepEqual(cache.get('t10000'), { role: 'user', id: 10_000 });
  });
});
