import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEMPLATE_DIR } from '../../src/database/pglite-template';
import { assertProblem } from '../support/factories';
import { Http } from '../support/http';
import { freePort } from '../support/postgres-server';
import { runToFailure, startServer } from '../support/server-process';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/test-app';

describe('operations', () => {
  describe('rate limiting', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '5' });
    });
    after(() => t.close());

    it('answers 429 with Retry-After past the limit, per client', async () => {
      const http = new Http(t.app);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await http.get('/consultants')).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
      const limited = await http.get('/consultants');
      assertProblem(limited, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After is set');
      assert.equal((await http.as(ADMIN_TOKEN).get('/me')).status, 200, 'another client (a token) has its own budget');
      assert.equal((await http.get('/health')).status, 200, 'health checks are not limited');
    });
  });

  describe('process', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cc-ops-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    it('stops start-up with one line naming a bad setting', async () => {
      for (const [name, value] of [
        ['PORT', 'eighty'],
        ['RATE_LIMIT_PER_MINUTE', '0'],
        ['LOG_LEVEL', 'loud'],
        ['ADMIN_TOKEN', 'short'],
      ]) {
        const { code, stderr } = await runToFailure({ [name]: value, DATA_DIR: 'memory://' });
        assert.equal(code, 1);
        const lines = stderr.trim().split('\n');
        assert.equal(lines.length, 1, stderr);
        assert.match(lines[0], new RegExp(`^Invalid configuration: ${name}=`));
      }
    });

    it("makes a new embedded database from the build's template, keeps its data across a SIGTERM and a restart, and exits 0", async () => {
      const env = { DATA_DIR: dataDir, ADMIN_TOKEN, DATABASE_URL: '' };
      const first = await startServer(env, await freePort(40_000, 50_000));
      const created = await fetch(`${first.url}/consultant/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ first_name: 'John', last_name: 'Doe' }),
      });
      assert.equal(created.status, 201);
      const { id } = (await created.json()) as { id: number };
      assert.equal(await first.stop('SIGTERM'), 0, first.output());
      // initdb draws a new system identifier (pg_control's first 8 bytes); a copy keeps the template's.
      const systemIdentifier = (dir: string) => readFileSync(join(dir, 'global', 'pg_control')).subarray(0, 8);
      assert.deepEqual(
        systemIdentifier(dataDir),
        systemIdentifier(TEMPLATE_DIR),
        'copied from the template, not made by initdb',
      );
      const second = await startServer(env, await freePort(40_000, 50_000));
      try {
        const fetched = await fetch(`${second.url}/consultant/${id}/`);
        assert.equal(fetched.status, 200);
        assert.equal(((await fetched.json()) as { first_name: string }).first_name, 'John');
      } finally {
        assert.equal(await second.stop('SIGTERM'), 0, second.output());
      }
    });

    it('generates and prints an admin token once when ADMIN_TOKEN is unset', async () => {
      const server = await startServer(
        { DATA_DIR: 'memory://', ADMIN_TOKEN: '', DATABASE_URL: '' },
        await freePort(40_000, 50_000),
      );
      try {
        const printed = /generated admin token for this run: (cc_a_[\w-]+)/.exec(server.output());
        assert.ok(printed, server.output());
        const me = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${printed[1]}` } });
        assert.deepEqual(await me.json(), { role: 'admin' });
        assert.equal(server.output().split(printed[1]).length, 2, 'printed exactly once');
      } finally {
        await server.stop();
      }
    });
  });
});
