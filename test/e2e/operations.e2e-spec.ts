import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPLATE_DIR } from '../../src/database/pglite-template';
import { assertProblem } from '../support/factories';
import { Http } from '../support/http';
import { freePort } from '../support/postgres-server';
import { runToFailure, startServer } from '../support/server-process';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

describe('operations', () => {
  describe('rate limiting', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
    });
    afterAll(() => t.close());

    it('answers 429 with Retry-After past the limit, per client', async () => {
      const http = new Http(t.app);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await http.get('/consultants')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await http.get('/consultants');
      assertProblem(limited, 429);
      // Retry-After is set.
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another client (a token) has its own budget.
      expect(await http.as(ADMIN_TOKEN).get('/me')).toHaveStatus(200);
      // Health checks are not limited.
      expect(await http.get('/health')).toHaveStatus(200);
    });
  });

  describe('process', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cc-ops-'));
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    // Four starts of the built service in turn; under node:test it had no time limit.
    it('stops start-up with one line naming a bad setting', async () => {
      for (const [name, value] of [
        ['PORT', 'eighty'],
        ['RATE_LIMIT_PER_MINUTE', '0'],
        ['LOG_LEVEL', 'loud'],
        ['ADMIN_TOKEN', 'short'],
      ]) {
        const { code, stderr } = await runToFailure({ [name]: value, DATA_DIR: 'memory://' });
        expect(code).toBe(1);
        const lines = stderr.trim().split('\n');
        // One line (the array shows stderr on failure).
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^Invalid configuration: ${name}=`));
      }
    }, 600_000);

    // Two starts of the built service, each given 30 s by startServer: more than the default 60 s.
    it("makes a new embedded database from the build's template, keeps its data across a SIGTERM and a restart, and exits 0", async () => {
      const env = { DATA_DIR: dataDir, ADMIN_TOKEN, DATABASE_URL: '' };
      const first = await startServer(env, await freePort());
      const created = await fetch(`${first.url}/consultant/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ first_name: 'John', last_name: 'Doe' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: number };
      // Exits 0; the server's output shows on failure.
      expect({ code: await first.stop('SIGTERM'), output: first.output() }).toMatchObject({ code: 0 });
      // initdb draws a new system identifier (pg_control's first 8 bytes); a copy keeps the template's.
      const systemIdentifier = (dir: string) => readFileSync(join(dir, 'global', 'pg_control')).subarray(0, 8);
      // Copied from the template, not made by initdb.
      expect(systemIdentifier(dataDir)).toEqual(systemIdentifier(TEMPLATE_DIR));
      const second = await startServer(env, await freePort());
      try {
        const fetched = await fetch(`${second.url}/consultant/${id}/`);
        expect(fetched.status).toBe(200);
        expect(((await fetched.json()) as { first_name: string }).first_name).toBe('John');
      } finally {
        // Exits 0; the server's output shows on failure.
        expect({ code: await second.stop('SIGTERM'), output: second.output() }).toMatchObject({ code: 0 });
      }
    }, 600_000);

    it('generates and prints an admin token once when ADMIN_TOKEN is unset', async () => {
      const server = await startServer({ DATA_DIR: 'memory://', ADMIN_TOKEN: '', DATABASE_URL: '' }, await freePort());
      try {
        const announcement = /generated admin token for this run: (cc_a_[\w-]+)/;
        expect(server.output()).toMatch(announcement);
        const printed = announcement.exec(server.output())!;
        const me = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${printed[1]}` } });
        expect(await me.json()).toEqual({ role: 'admin' });
        // Printed exactly once.
        expect(server.output().split(printed[1])).toHaveLength(2);
      } finally {
        await server.stop();
      }
    });
  });
});
