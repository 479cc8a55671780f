import { eventually } from '../support/eventually';
import { ADMIN_TOKEN, createConsultant } from '../support/factories';
import { startPostgres, type PostgresServer } from '../support/postgres-server';
import { runToFailure } from '../support/server-process';
import { Api, describeWithPostgres, killService, startService } from '../support/service';

interface LogLine {
  level: number;
  msg: string;
  context?: string;
  req?: { id: string; method: string; path: string };
  res?: { statusCode: number };
  route?: string;
  responseTime?: number;
  err?: { type: string; message: string; stack: string };
}

const INFO = 30;
const ERROR = 50;

const linesOf = (output: string): LogLine[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

/**
 * The first five minutes on a PostgreSQL server, as the README promises them: a DATABASE_URL
 * naming a database nobody created yet starts the service on it (or, when its role may not
 * create one, stops in one line that says how), and each request then leaves one log line.
 */
describeWithPostgres('first start on PostgreSQL')('first start on a PostgreSQL server', () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.destroy());

  it('creates the database DATABASE_URL names when it does not exist, and logs one line per request', async () => {
    const server = await startService({ DATABASE_URL: pg.url('cc_first_start'), LOG_LEVEL: 'info' });
    try {
      expect(await pg.query('SELECT datname FROM pg_database WHERE datname = $1', ['cc_first_start'])).toHaveLength(1);
      expect(server.output()).toMatch(/Created database \\?"cc_first_start\\?"/);
      const api = new Api(server.url);
      const consultant = await createConsultant(api);
      const read = await api.get(`/consultants/${consultant.id}?fields=secret-looking`);
      const missing = await api.get('/consultants/2147483647');
      expect([read.status, missing.status]).toEqual([200, 404]);

      // One line each, at info: the request's id (the X-Request-Id answered), route, status and time.
      const lineOf = async (id: string | null) =>
        eventually(`the log line of request ${id}`, () =>
          linesOf(server.output()).find((line) => line.context === 'HTTP' && line.req?.id === id),
        );
      const readLine = await lineOf(read.headers.get('x-request-id'));
      expect(readLine).toMatchObject({
        level: INFO,
        req: { method: 'GET', path: `/consultants/${consultant.id}` },
        route: '/consultants/:id',
        res: { statusCode: 200 },
      });
      expect(readLine.responseTime).toEqual(expect.any(Number));
      // The query is left out of the line.
      expect(JSON.stringify(readLine)).not.toMatch(/secret-looking/);
      expect(await lineOf(missing.headers.get('x-request-id'))).toMatchObject({
        level: INFO,
        route: '/consultants/:id',
        res: { statusCode: 404 },
      });
      expect(linesOf(server.output()).filter((line) => line.req?.id === read.headers.get('x-request-id'))).toHaveLength(
        1,
      );

      // A failure of ours: its request line is at error, and the error's own line keeps the stack.
      await pg.query('ALTER TABLE users RENAME TO users_away', [], 'cc_first_start');
      const failed = await api.as(ADMIN_TOKEN).get('/users/1');
      await pg.query('ALTER TABLE users_away RENAME TO users', [], 'cc_first_start');
      expect(failed.status).toBe(500);
      const id = failed.headers.get('x-request-id');
      expect(await lineOf(id)).toMatchObject({ level: ERROR, route: '/users/:id', res: { statusCode: 500 } });
      const cause = linesOf(server.output()).find(
        (line) => line.context !== 'HTTP' && line.err && line.msg.includes('failed'),
      );
      expect(cause).toMatchObject({ level: ERROR, err: { message: expect.stringMatching(/users/) } });
      expect(cause!.err!.stack).toMatch(/\n\s+at /);
    } finally {
      await killService(server);
    }
  });

  it('stops in one line that says how, when the role may not create the missing database', async () => {
    await pg.query('CREATE ROLE cc_no_createdb LOGIN');
    const url = pg.url('cc_never_made').replace('postgres@', 'cc_no_createdb@');
    const { code, stderr } = await runToFailure({ DATABASE_URL: url, DATA_DIR: 'memory://', MICROSERVICE_URL: 'off' });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    // One line (the array shows stderr on failure).
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^DATABASE_URL names database "cc_never_made", which does not exist on 127\\.0\\.0\\.1:${pg.port}, and role "cc_no_createdb" could not create it \\(permission denied to create database\\): create it with \`createdb -h 127\\.0\\.0\\.1 -p ${pg.port} -U cc_no_createdb cc_never_made\`, or give the role CREATEDB$`,
      ),
    );
    expect(await pg.query('SELECT datname FROM pg_database WHERE datname = $1', ['cc_never_made'])).toEqual([]);
  });
});
