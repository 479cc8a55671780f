import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ServerProcess } from '../support/server-process';
import { ADMIN_TOKEN, Api, killService, networkCode, removeTempDir, startService, tempDir } from './fault-kit';

interface Acknowledged {
  kind: 'user' | 'consultant' | 'slot';
  id: number;
  /** What identifies it besides the id: a name, or the slot's consultant and date. */
  detail: { last_name?: string; consultant_id?: number; date?: string };
}

/**
 * The embedded database (PGlite under DATA_DIR, no DATABASE_URL) and a SIGKILL in the middle of
 * a stream of writes: after a restart on the same folder, every write that was answered 2xx is
 * still there, and the service takes new writes.
 */
describe('faults: embedded database, SIGKILL during writes', { timeout: 58_000 }, () => {
  const dataDir = tempDir('cc-fault-embedded-');
  let server: ServerProcess | undefined;
  const env = { DATA_DIR: dataDir, DATABASE_URL: '' };
  after(async () => {
    if (server) await killService(server);
    removeTempDir(dataDir);
  });

  it('keeps every acknowledged write across a SIGKILL and a restart on the same DATA_DIR', async () => {
    const t0 = Date.now();
    const lap = (what: string) => timings.push(`${what} +${Date.now() - t0} ms`);
    const timings: string[] = [];
    server = await startService(env);
    lap('started');
    let api = new Api(server.url);
    const acknowledged: Acknowledged[] = [];
    let lost = '';
    let consultant: { id: number; token: string } | undefined;
    // Kill after a random number of acknowledged writes, a moment into the next one, so the
    // SIGKILL lands in the middle of a write (and the test does not depend on the machine's speed).
    const target = 30 + Math.floor(Math.random() * 30);
    let killed!: () => void;
    const killedAt = new Promise<void>((resolve) => (killed = resolve));

    // One client writing as fast as it is answered: users, consultants, and slots of the latest consultant.
    const writer = (async () => {
      for (let n = 0; ; n++) {
        if (acknowledged.length === target) {
          setTimeout(() => {
            server!.child.kill('SIGKILL');
            killed();
          }, Math.random() * 3);
        }
        try {
          if (n % 3 === 0 || !consultant) {
            const last_name = `Crash${n}`;
            if (n % 3 === 0) {
              const res = await api.post('/users', { first_name: 'Emb', last_name });
              assert.equal(res.status, 201, res.text);
              acknowledged.push({ kind: 'user', id: res.body.id, detail: { last_name } });
            } else {
              const res = await api.as(ADMIN_TOKEN).post('/consultants', { first_name: 'Emb', last_name });
              assert.equal(res.status, 201, res.text);
              consultant = { id: res.body.id, token: res.body.api_token };
              acknowledged.push({ kind: 'consultant', id: res.body.id, detail: { last_name } });
            }
          } else {
            const date = new Date(Date.UTC(2032, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
            const res = await api
              .as(consultant.token)
              .post(`/consultants/${consultant.id}/availabilities`, { date, start_time: '09:00', end_time: '10:00' });
            assert.equal(res.status, 201, res.text);
            acknowledged.push({ kind: 'slot', id: res.body.id, detail: { consultant_id: consultant.id, date } });
          }
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          lost = networkCode(error);
          return;
        }
      }
    })();

    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([killedAt, new Promise<void>((resolve) => (giveUp = setTimeout(resolve, 30_000)))]);
    clearTimeout(giveUp);
    await writer;
    assert.ok(lost, 'the write in flight was cut off');
    assert.ok(
      acknowledged.length >= target,
      `a real stream of writes was running (${acknowledged.length} acknowledged)`,
    );
    await killService(server);
    lap(`killed after ${acknowledged.length} writes`);

    server = await startService(env);
    lap('restarted');
    api = new Api(server.url);
    const missing: string[] = [];
    for (const write of acknowledged) {
      if (write.kind === 'user') {
        const res = await api.as(ADMIN_TOKEN).get(`/users/${write.id}`);
        if (res.status !== 200 || res.body.last_name !== write.detail.last_name)
          missing.push(`user ${write.id}: ${res.status}`);
      } else if (write.kind === 'consultant') {
        const res = await api.get(`/consultants/${write.id}`);
        if (res.status !== 200 || res.body.last_name !== write.detail.last_name)
          missing.push(`consultant ${write.id}: ${res.status}`);
      } else {
        const { consultant_id, date } = write.detail;
        const res = await api.get(`/consultants/${consultant_id}/availabilities?from=${date}&to=${date}`);
        if (res.status !== 200 || !res.body.data.some((s: { id: number }) => s.id === write.id))
          missing.push(`slot ${write.id}: ${res.status}`);
      }
    }
    lap('verified');
    console.log(`# ${timings.join(', ')}`);
    console.log(
      `# ${acknowledged.length} writes acknowledged before SIGKILL (aimed after ${target}) (the next one: ${lost}); ${missing.length} missing after restart`,
    );
    assert.deepEqual(missing, [], `every 2xx write survives (of ${acknowledged.length})`);

    const after = await api.post('/users', { first_name: 'Emb', last_name: 'AfterCrash' });
    assert.equal(after.status, 201, after.text);
    assert.ok(
      after.body.id > Math.max(0, ...acknowledged.filter((w) => w.kind === 'user').map((w) => w.id)),
      'ids go on, none is reused',
    );
    assert.equal(await server.stop('SIGTERM'), 0, server.output());
  });
});
